/**
 * A waiting browser's event stream, read raw over node:http: resolves each `state` event as it arrives
 * with the time it arrived, so a benchmark can time the moment the browser is told.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface StateEvent {
  state: string;
  /** performance.now() when the event's bytes arrived */
  at: number;
}

export interface StreamReader {
  /** The n-th state event (0-based). */
  event(index: number): Promise<StateEvent>;
  close(): void;
}

export function openStateStream(port: number, path: string, cookie: string): Promise<StreamReader> {
  return new Promise((resolve, reject) => {
    const req = request(
      // A stream holds its socket: a dedicated connection, as EventSource uses.
      { host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', cookie }, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        const events: StateEvent[] = [];
        const waiters = new Map<number, (event: StateEvent) => void>();
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').find((line) => line.startsWith('data: '));
            if (block.includes('event: state') && data) {
              const event = { state: (JSON.parse(data.slice(6)) as { state: string }).state, at };
              events.push(event);
              waiters.get(events.length - 1)?.(event);
            }
            end = buffer.indexOf('\n\n');
          }
        });
        resolve({
          event(index) {
            const known = events[index];
            if (known) return Promise.resolve(known);
            return new Promise((resolveEvent) => waiters.set(index, resolveEvent));
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
