/**
 * What Redis itself saw, command by command: a MONITOR connection of its own, and a control connection
 * that marks phases with `ECHO` (which MONITOR shows in order with everything else). Each seen command
 * says whether a client sent it (one round trip) or a Lua script ran it inside an EVALSHA (no round trip).
 */
import type { AppRedisClient } from './redis-client.js';
import { closeAppClient, connectAppClient } from './redis-client.js';

const MARK = 'bench-mark:';

export interface SeenCommand {
  /** 'client' for a command that came over a connection, 'lua' for one a script ran. */
  source: 'client' | 'lua';
  /** The command name in upper case and its arguments, unescaped. */
  args: string[];
  /** The phase marked before it. */
  phase: string;
}

export interface RedisMonitor {
  /** Everything seen after this call belongs to `phase`; resolves once MONITOR has shown the mark. */
  mark(phase: string): Promise<void>;
  /** Commands seen so far (marks and the control connection's own commands left out). */
  seen(): SeenCommand[];
  clear(): void;
  close(): void;
}

/** MONITOR prints each argument in double quotes with C-style escapes, non-ASCII bytes as \xNN. */
function unquote(text: string): string {
  const bytes = text.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, escape: string) => {
    if (escape.startsWith('x') && escape.length === 3) return String.fromCharCode(parseInt(escape.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[escape] ?? escape;
  });
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parseLine(line: string): { source: 'client' | 'lua'; args: string[] } | undefined {
  // `1700000000.123456 [0 127.0.0.1:40000] "GET" "key"` or `… [0 lua] "SET" …`
  const match = /^\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/s.exec(line);
  if (!match) return undefined;
  const args = [...(match[2] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unquote(m[1] ?? ''));
  if (args.length === 0) return undefined;
  args[0] = (args[0] ?? '').toUpperCase();
  return { source: match[1] === 'lua' ? 'lua' : 'client', args };
}

export async function startMonitor(url: string): Promise<RedisMonitor> {
  const watcher: AppRedisClient = await connectAppClient(url);
  const control: AppRedisClient = await connectAppClient(url);
  let phase = 'before';
  let seen: SeenCommand[] = [];
  const waiting = new Map<string, () => void>();
  await watcher.monitor((reply) => {
    const command = parseLine(String(reply));
    if (!command) return;
    const [name, first] = command.args;
    if (name === 'ECHO' && first?.startsWith(MARK)) {
      const [next, token] = first.slice(MARK.length).split('\n');
      phase = next ?? phase;
      waiting.get(token ?? '')?.();
      return;
    }
    // The control connection's own reads of INFO are not the app's.
    if (name === 'INFO') return;
    seen.push({ ...command, phase });
  });
  let tokens = 0;
  return {
    mark(next) {
      tokens += 1;
      const token = String(tokens);
      const shown = new Promise<void>((resolve) => waiting.set(token, resolve));
      void control.sendCommand(['ECHO', `${MARK}${next}\n${token}`]);
      return shown.then(() => {
        waiting.delete(token);
      });
    },
    seen: () => seen,
    clear() {
      seen = [];
    },
    close() {
      closeAppClient(watcher);
      closeAppClient(control);
    },
  };
}
