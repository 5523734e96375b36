/**
 * A raw HTTP reader of server-sent events, for tests: it sees exactly the bytes the server wrote
 * (comments and all), unlike an EventSource that hides them and reconnects by itself.
 */
import http from 'node:http';

export interface SseMessage {
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Everything received so far, unparsed. */
  raw(): string;
  /** Events received so far, in order. */
  messages(): SseMessage[];
  /** Resolves with the n-th event (0-based) once it has arrived; rejects if the stream ends first. */
  message(index: number): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Drop the connection from the client side, as a closed tab would. */
  close(): void;
}

function parseBlocks(text: string): SseMessage[] {
  const messages: SseMessage[] = [];
  for (const block of text.split('\n\n').slice(0, -1)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) messages.push({ event, data: data.join('\n') });
  }
  return messages;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      let text = '';
      const waiters: Array<() => void> = [];
      let done = false;
      const wake = (): void => {
        for (const waiter of waiters.splice(0)) waiter();
      };
      const ended = new Promise<void>((resolveEnd) => {
        const finish = (): void => {
          done = true;
          wake();
          resolveEnd();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        wake();
      });
      const messages = (): SseMessage[] => parseBlocks(text);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        raw: () => text,
        messages,
        message(index) {
          return new Promise((resolveMessage, rejectMessage) => {
            const check = (): void => {
              const found = messages()[index];
              if (found) resolveMessage(found);
              else if (done) rejectMessage(new Error(`stream ended before event ${index}: ${JSON.stringify(text)}`));
              else waiters.push(check);
            };
            check();
          });
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** Parsed `data` of the n-th event. */
export async function eventData(connection: SseConnection, index: number): Promise<Record<string, unknown>> {
  const message = await connection.message(index);
  return JSON.parse(message.data) as Record<string, unknown>;
}
