/**
 * The node-redis client of one app instance (instance-app.ts), which serves both its sessions and its
 * challenge store.
 */
import { createClient } from 'redis';

/**
 * Client options that make every Redis call of the app fail fast against a hung server, sessions included.
 * node-redis 6's command timeout (`commandOptions.timeout`) only bounds the wait before a command is written,
 * not the wait for its reply, so a written command waits forever on a hung server. What bounds that wait is
 * `socketTimeout`, which closes a socket that has been silent (nothing read or written) that long and rejects
 * its pending commands; then the reconnect strategy must keep reconnecting (node-redis's default gives up
 * after a socket timeout). `pingInterval` keeps a healthy but idle connection, the store's subscriber
 * included, from being closed as silent. No offline queue: a command sent while reconnecting fails at once.
 */
export function redisClientFor(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    pingInterval: 300,
    socket: {
      connectTimeout: 1000,
      socketTimeout: 1000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500),
    },
  });
}
