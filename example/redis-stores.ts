/**
 * REDIS_URL: one node-redis client for the sessions (connect-redis), the challenges (RedisChallengeStore) and
 * the example's own per-user data (redis-accounts.ts), set to fail fast, so several processes share logins and a Redis outage gives error
 * answers rather than hung requests. The README's "Running several instances" explains each option.
 */
import { RedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import { RedisChallengeStore } from 'passport-twilio-verify-push/redis';
import { createClient } from 'redis';
import { RedisAccounts } from './redis-accounts.js';

export interface RedisStores {
  sessions: Store;
  challenges: RedisChallengeStore;
  accounts: RedisAccounts;
  close(): Promise<void>;
}

/** Keys of the example, apart from anything else in the same Redis. */
const PREFIX = 'verify-push-example:';
/** How long the first connection may take before the example gives up starting. */
const FIRST_CONNECTION_MS = 5000;

export async function openRedisStores(url: string, options: { clock: () => number; log: (line: string) => void }): Promise<RedisStores> {
  const client = createClient({
    url,
    // Commands fail at once while the connection is down, instead of waiting in a queue for it.
    disableOfflineQueue: true,
    // A PING every second keeps a healthy connection talking, so the socket timeout only fires on a silent
    // (hung) server: then the commands waiting on it fail instead of pending for ever.
    pingInterval: 1000,
    socket: {
      connectTimeout: 2000,
      socketTimeout: 5000,
      // Keep reconnecting (the default strategy gives up for good after a socket timeout).
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000),
    },
  });
  // node-redis ends the process on an 'error' event nobody listens to; a dropped connection emits one.
  client.on('error', (error: Error) => options.log(`Redis: ${error.message}`));
  try {
    await connectWithin(client, FIRST_CONNECTION_MS);
  } catch {
    client.destroy();
    throw new Error(`Could not connect to Redis at REDIS_URL within ${FIRST_CONNECTION_MS / 1000} s.`);
  }
  try {
    const challenges = await RedisChallengeStore.create({ client, prefix: `${PREFIX}push:`, clock: options.clock });
    return {
      sessions: new RedisStore({ client, prefix: `${PREFIX}sess:` }),
      challenges,
      accounts: new RedisAccounts(client, `${PREFIX}account:`),
      async close() {
        await challenges.close();
        client.destroy();
      },
    };
  } catch (error) {
    client.destroy();
    throw error;
  }
}

/** node-redis' connect() retries for ever while Redis is down; starting the example should not. */
function connectWithin(client: { connect(): Promise<unknown> }, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  const connecting = client.connect();
  connecting.catch(() => undefined);
  return Promise.race([connecting, deadline]).finally(() => clearTimeout(timer));
}
