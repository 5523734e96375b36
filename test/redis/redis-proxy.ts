/**
 * A TCP proxy between one app instance's Redis client and redis-server, to break the wire the way networks
 * break it: a command reaches Redis and runs, but its reply never comes back and the connection dies (a reply
 * lost on the wire); or Redis cannot be reached for a while (new connections are cut at once).
 *
 * It forwards whole commands and whole replies and counts them per connection, so it can swallow the reply
 * of exactly the command it was told to watch for.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { commandWords, isReply, valueEnd } from './resp.js';

export interface DroppedReply {
  /** The command whose reply was swallowed (it ran on the server). */
  command: string[];
}

export interface RedisProxy {
  url: string;
  /**
   * Forward the next command for which `matches` is true, swallow its reply and cut that connection.
   * Resolves once the reply was swallowed.
   */
  dropReplyOf(matches: (command: string[]) => boolean): Promise<DroppedReply>;
  /**
   * Cut the connection just before the next command for which `matches` is true: that command never reaches
   * Redis. Resolves with the command once the connection was cut.
   */
  cutBefore(matches: (command: string[]) => boolean): Promise<string[]>;
  /** Cut every new connection at once (Redis unreachable for this instance) until `acceptConnections()`. */
  refuseConnections(): void;
  acceptConnections(): void;
  /** Replies swallowed so far. */
  readonly droppedReplies: DroppedReply[];
  close(): Promise<void>;
}

interface DropRule {
  matches(command: string[]): boolean;
  resolve(dropped: DroppedReply): void;
}

interface CutRule {
  matches(command: string[]): boolean;
  resolve(command: string[]): void;
}

export async function startRedisProxy(target: { port: number; host?: string }): Promise<RedisProxy> {
  const host = target.host ?? '127.0.0.1';
  const connections = new Set<net.Socket>();
  const droppedReplies: DroppedReply[] = [];
  let rule: DropRule | undefined;
  let cut: CutRule | undefined;
  let refusing = false;

  const server = net.createServer((client) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => undefined);
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ port: target.port, host });
    connections.add(upstream);
    upstream.on('close', () => {
      connections.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());

    let fromClient = Buffer.alloc(0);
    let fromServer = Buffer.alloc(0);
    let commandsSent = 0;
    let repliesSeen = 0;
    // The reply (by its position on this connection) to swallow, and who waits for it.
    let doomed: { index: number; command: string[]; rule: DropRule } | undefined;

    client.on('data', (chunk: Buffer) => {
      if (doomed) return; // the connection is about to die: nothing more reaches Redis
      fromClient = Buffer.concat([fromClient, chunk]);
      let at = 0;
      for (;;) {
        const end = valueEnd(fromClient, at);
        if (end < 0) break;
        const command = commandWords(fromClient, at, end);
        if (cut?.matches(command)) {
          // What came before goes through; this command and the rest die with the connection.
          const armed = cut;
          cut = undefined;
          upstream.write(fromClient.subarray(0, at), () => {
            client.destroy();
            upstream.destroy();
            armed.resolve(command);
          });
          fromClient = Buffer.alloc(0);
          return;
        }
        const index = commandsSent;
        commandsSent += 1;
        at = end;
        if (rule?.matches(command)) {
          doomed = { index, command, rule };
          rule = undefined;
          // Everything up to this command goes through; what follows it is lost with the connection.
          break;
        }
      }
      upstream.write(fromClient.subarray(0, at));
      fromClient = fromClient.subarray(at);
    });

    upstream.on('data', (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk]);
      let at = 0;
      for (;;) {
        const end = valueEnd(fromServer, at);
        if (end < 0) break;
        if (doomed && isReply(fromServer, at) && repliesSeen === doomed.index) {
          // The watched command ran; its reply is swallowed and the connection cut, as a broken wire would.
          client.write(fromServer.subarray(0, at));
          const dropped = { command: doomed.command };
          droppedReplies.push(dropped);
          doomed.rule.resolve(dropped);
          client.destroy();
          upstream.destroy();
          return;
        }
        if (isReply(fromServer, at)) repliesSeen += 1;
        at = end;
      }
      client.write(fromServer.subarray(0, at));
      fromServer = fromServer.subarray(at);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    droppedReplies,
    dropReplyOf(matches) {
      return new Promise((resolve) => {
        rule = { matches, resolve };
      });
    },
    cutBefore(matches) {
      return new Promise((resolve) => {
        cut = { matches, resolve };
      });
    },
    refuseConnections() {
      refusing = true;
    },
    acceptConnections() {
      refusing = false;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
    },
  };
}
