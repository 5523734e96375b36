/**
 * The waiting page's EventSource, on one instance: opens the live-waiting endpoint as a server-sent event
 * stream and reads `state` events until one is final, the stream ends, or the page stops waiting.
 */
import http from 'node:http';
import type { Browser } from './browser.js';

/** States after which nothing more happens to the challenge: the page moves on. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['none', 'approved', 'denied', 'expired', 'superseded', 'completed']);

export type StreamResult =
  | { kind: 'state'; state: string }
  /** The stream ended or broke (instance gone, lifetime reached): EventSource reconnects. */
  | { kind: 'closed' }
  /** The endpoint answered without a stream (an error status): its code. */
  | { kind: 'answer'; status: number; code: string | undefined };

export function readEventStream(browser: Browser, untilMs: number): Promise<StreamResult> {
  const instance = browser.nextInstance();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: StreamResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      const what = result.kind === 'state' ? result.state : result.kind === 'answer' ? `${result.status} ${result.code ?? ''}` : 'closed';
      browser.note(`SSE → ${instance.name} ${what}`);
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'closed' }), Math.max(0, untilMs - Date.now()));
    const req = http.request(
      `${instance.url}/login/push/events`,
      { method: 'GET', headers: browser.headers('text/event-stream'), agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            let code: string | undefined;
            try {
              code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: string }).code;
            } catch {
              code = undefined;
            }
            finish({ kind: 'answer', status: res.statusCode ?? 0, code });
          });
          res.on('error', () => finish({ kind: 'closed' }));
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').find((line) => line.startsWith('data: '));
            if (!block.includes('event: state') || data === undefined) continue;
            const state = (JSON.parse(data.slice('data: '.length)) as { state: string }).state;
            if (FINAL_STATES.has(state)) finish({ kind: 'state', state });
          }
        });
        res.on('end', () => finish({ kind: 'closed' }));
        res.on('error', () => finish({ kind: 'closed' }));
        res.on('close', () => finish({ kind: 'closed' }));
      },
    );
    req.on('error', () => finish({ kind: 'closed' }));
    req.end();
  });
}
