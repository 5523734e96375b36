/**
 * An app instance in its own Node process (`node --import tsx test/redis/instance-process.ts`), built by the
 * same code as the in-process instances. It reads its InstanceConfig from CLUSTER_INSTANCE_CONFIG and talks
 * to the test in JSON lines: on stdout `ready` (with its URL), every `login`, `denied` and `paid` it sees,
 * and `ack`; on stdin `clock` (the deployment's clock offset) and `sync` (answered with `ack` once everything
 * before it was written). It closes and exits when its stdin ends, so it never outlives the test that started it.
 */
import { createInterface } from 'node:readline';
import { startInstance, type InstanceConfig } from './instance-app.js';

type Command = { type: 'clock'; offset: number; id: number } | { type: 'sync'; id: number };

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const raw = process.env.CLUSTER_INSTANCE_CONFIG;
if (raw === undefined) throw new Error('CLUSTER_INSTANCE_CONFIG is not set');
const config = JSON.parse(raw) as InstanceConfig;

let offset = 0;
const instance = await startInstance(config, {
  clock: () => Date.now() + offset,
  onLogin: (event) => say({ type: 'login', ...event }),
  onDenied: (event) => say({ type: 'denied', ...event }),
  onPaid: (event) => say({ type: 'paid', ...event }),
});
say({ type: 'ready', url: instance.url });

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const command = JSON.parse(line) as Command;
  if (command.type === 'clock') offset = command.offset;
  say({ type: 'ack', id: command.id });
});
commands.on('close', () => {
  instance.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
