/**
 * The few things the Redis store needs from the app's own client, whichever it is: node-redis (v5+, a client
 * from `createClient()` or a cluster from `createCluster()`) or ioredis (v5+, `Redis` or `Cluster`). No Redis
 * package is imported: the client is recognised by its shape, so none becomes a dependency of this package.
 */
import { VerifyPushError } from '../../errors.js';

export type ClientKind = 'node-redis' | 'node-redis-cluster' | 'ioredis' | 'ioredis-cluster';

/** A pub/sub connection the store made; closing it never touches the app's client. */
export interface SubscriberConnection {
  close(): Promise<void>;
}

export interface SubscriberEvents {
  message(text: string): void;
  /** The connection is (again) ready: after a reconnection, messages sent meanwhile were lost. */
  ready(): void;
  error(error: unknown): void;
}

export interface RedisConnection {
  /** One command; `key` routes it on a cluster (every script touches exactly one key). */
  send(key: string | undefined, args: string[]): Promise<unknown>;
  /** A dedicated subscriber connection with the app client's settings, subscribed to `channel`. */
  subscribe(channel: string, events: SubscriberEvents): Promise<SubscriberConnection>;
}

type Listener = (...args: unknown[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
}

interface NodeRedisLike extends Emitter {
  sendCommand(...args: unknown[]): Promise<unknown>;
  duplicate(): NodeRedisLike;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  isOpen: boolean;
  destroy?(): void;
  disconnect?(): Promise<void> | void;
  masters?: unknown;
}

interface IoRedisLike extends Emitter {
  once(event: string, listener: Listener): unknown;
  connect(): Promise<unknown>;
  call(command: string, ...args: string[]): Promise<unknown>;
  duplicate(): IoRedisLike;
  subscribe(channel: string): Promise<unknown>;
  disconnect(): void;
  status: string;
  isCluster?: boolean;
}

function isFunction(value: unknown): value is (...args: unknown[]) => unknown {
  return typeof value === 'function';
}

function kindOf(client: unknown): ClientKind | undefined {
  const candidate = client as Record<string, unknown> | null;
  if (typeof candidate !== 'object' || candidate === null || !isFunction(candidate.duplicate)) return undefined;
  if (isFunction(candidate.call) && typeof candidate.status === 'string') {
    return candidate.isCluster === true ? 'ioredis-cluster' : 'ioredis';
  }
  if (isFunction(candidate.sendCommand) && typeof candidate.isOpen === 'boolean') {
    return candidate.masters !== undefined ? 'node-redis-cluster' : 'node-redis';
  }
  return undefined;
}

/** Wraps the app's client, or refuses it with a sentence naming the option. */
export function connectionOf(client: unknown): RedisConnection {
  const kind = kindOf(client);
  if (kind === undefined) {
    throw new VerifyPushError(
      'INVALID_OPTION',
      'The `client` option must be a connected node-redis client or cluster (createClient / createCluster, v5 or later) or an ioredis Redis or Cluster (v5 or later).',
    );
  }
  if (kind === 'ioredis' || kind === 'ioredis-cluster') return ioredisConnection(client as IoRedisLike);
  return nodeRedisConnection(client as NodeRedisLike, kind);
}

function nodeRedisConnection(client: NodeRedisLike, kind: ClientKind): RedisConnection {
  return {
    // A cluster routes a command by its first key; a single client takes the arguments alone.
    send: (key, args) => (kind === 'node-redis-cluster' ? client.sendCommand(key, false, args) : client.sendCommand(args)),
    async subscribe(channel, events) {
      const subscriber = client.duplicate();
      // node-redis ends the process on an 'error' event nobody listens to: this connection always has one.
      subscriber.on('error', (error) => events.error(error));
      subscriber.on('ready', () => events.ready());
      await subscriber.connect();
      await subscriber.subscribe(channel, (message) => events.message(message));
      return {
        async close() {
          // Not a graceful QUIT: against a hung server it would wait forever.
          if (isFunction(subscriber.destroy)) subscriber.destroy();
          else await subscriber.disconnect?.();
        },
      };
    },
  };
}

function ioredisConnection(client: IoRedisLike): RedisConnection {
  return {
    send: (_key, [command, ...args]) => client.call(command as string, ...args),
    async subscribe(channel, events) {
      const subscriber = client.duplicate();
      subscriber.on('error', (error) => events.error(error));
      subscriber.on('ready', () => events.ready());
      subscriber.on('message', (_channel, message) => events.message(String(message)));
      await untilReady(subscriber);
      await subscriber.subscribe(channel);
      return {
        async close() {
          subscriber.disconnect();
        },
      };
    },
  };
}

/**
 * An ioredis duplicate copies the app client's options: with `lazyConnect` it waits to be connected, and with
 * `enableOfflineQueue: false` (the fail-fast setting the README recommends) a command sent before it is ready
 * fails at once. So the subscriber is connected and ready before it subscribes.
 */
async function untilReady(connection: IoRedisLike): Promise<void> {
  if (connection.status === 'wait') await connection.connect();
  if (connection.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    connection.once('ready', () => resolve());
    connection.once('end', () => reject(new Error('The subscriber connection ended before it was ready.')));
  });
}
