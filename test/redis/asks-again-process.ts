/**
 * An asks-again instance in its own Node process, forked by asks-again-deployment.ts with an IPC channel: its
 * InstanceConfig comes in ASKS_AGAIN_CONFIG; it sends `ready` (with its URL), every `login` and `paid`, and
 * `ack` after applying a `clock` offset. It closes and exits when the channel closes, so it never outlives the
 * test that started it.
 */
import { startAsksAgainInstance, type InstanceConfig } from './asks-again-instance.js';

type Command = { type: 'clock'; offset: number; id: number } | { type: 'sync'; id: number };

function say(message: Record<string, unknown>): void {
  process.send?.(message);
}

const raw = process.env.ASKS_AGAIN_CONFIG;
if (raw === undefined) throw new Error('ASKS_AGAIN_CONFIG is not set');
const config = JSON.parse(raw) as InstanceConfig;

let offset = 0;
const instance = await startAsksAgainInstance(config, {
  clock: () => Date.now() + offset,
  onLogin: (event) => say({ type: 'login', ...event }),
  onPaid: (event) => say({ type: 'paid', ...event }),
});
say({ type: 'ready', url: instance.url });

process.on('message', (message: Command) => {
  if (message.type === 'clock') offset = message.offset;
  say({ type: 'ack', id: message.id });
});
process.on('disconnect', () => {
  instance.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
