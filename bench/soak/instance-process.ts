/**
 * An app instance in its own process (`node --import tsx bench/soak/instance-process.ts`), its config in
 * SOAK_INSTANCE. Over IPC it says `ready`, forwards every event the app reports, answers `stats`, and closes on
 * `close` or when the soak goes away (so it never outlives it). The soak kills it with SIGKILL once, mid-run.
 */
import { startApp } from './app.js';
import type { ChildMessage, InstanceConfig, ParentMessage } from './instance-config.js';

function say(message: ChildMessage): void {
  // A send after the soak went away would throw; there is nobody left to tell.
  if (process.connected) process.send?.(message);
}

const raw = process.env.SOAK_INSTANCE;
if (raw === undefined) throw new Error('SOAK_INSTANCE is not set');
const config = JSON.parse(raw) as InstanceConfig;
const app = await startApp(config, (event) => say({ type: 'event', event }));

let closing = false;
const close = (): void => {
  if (closing) return;
  closing = true;
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};

process.on('message', (message: ParentMessage) => {
  if (message.type === 'close') close();
  else if (message.type === 'stats') void app.stats().then((stats) => say({ type: 'stats', id: message.id, stats }));
});
process.once('disconnect', close);
say({ type: 'ready', url: app.url, pid: process.pid });
