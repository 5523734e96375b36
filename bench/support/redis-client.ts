/**
 * The app's own Redis client as the README's Redis section sets it up: node-redis (the client connect-redis
 * needs, so one client serves sessions and challenges), with an 'error' listener (node-redis ends the
 * process without one). Also small readers of the server's INFO sections, for the benchmarks that count.
 */
import { createClient } from 'redis';

export type AppRedisClient = Awaited<ReturnType<typeof connectAppClient>>;

export async function connectAppClient(url: string) {
  const client = createClient({ url, socket: { connectTimeout: 2000 } });
  client.on('error', (error: unknown) => console.error('redis client error:', error));
  await client.connect();
  return client;
}

/** Closes a client without a graceful QUIT (nothing is left to flush in a benchmark). */
export function closeAppClient(client: AppRedisClient): void {
  if (client.isOpen) client.destroy();
}

/** `INFO <section>` as name → value. */
export async function info(client: AppRedisClient, section: string): Promise<Map<string, string>> {
  const text = String(await client.sendCommand(['INFO', section]));
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** `INFO commandstats`: calls per command name (lower case, e.g. `evalsha`, `get`), as Redis counts them. */
export async function commandCalls(client: AppRedisClient): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [name, value] of await info(client, 'commandstats')) {
    const match = /^calls=(\d+)/.exec(value);
    if (name.startsWith('cmdstat_') && match) calls.set(name.slice('cmdstat_'.length), Number(match[1]));
  }
  return calls;
}

/** `used_memory` in bytes. */
export async function usedMemory(client: AppRedisClient): Promise<number> {
  return Number((await info(client, 'memory')).get('used_memory'));
}
