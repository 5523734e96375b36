import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

export interface ReceivedWebhook {
  path: string;
  /** Path and query string as requested (a JSON webhook carries `bodySHA256` there). */
  originalUrl: string;
  /** The body's fields: the form parameters, or the JSON object's. */
  params: Record<string, string>;
  /** The body exactly as received. */
  raw: string;
  signature: string;
  contentType: string;
}

/** A local Express app standing in for an app's webhook endpoint: records what Twilio POSTs. */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** Answers 204, or 500 on `/fail`; `/slow` waits `slowMs` before answering. */
export async function startReceiver(onReceive?: (hook: ReceivedWebhook) => void, slowMs = 1000): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const app = express();
  app.use(express.text({ type: () => true }));
  const timers = new Set<NodeJS.Timeout>();
  app.post('/:route', (req, res) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const contentType = req.get('Content-Type') ?? '';
    const params = contentType.startsWith('application/json')
      ? (JSON.parse(raw) as Record<string, string>)
      : Object.fromEntries(new URLSearchParams(raw));
    const hook = { path: req.path, originalUrl: req.originalUrl, params, raw, signature: req.get('X-Twilio-Signature') ?? '', contentType };
    received.push(hook);
    onReceive?.(hook);
    const route = req.params['route'];
    if (route === 'slow') {
      const timer = setTimeout(() => res.status(204).end(), slowMs);
      timers.add(timer);
      return;
    }
    res.status(route === 'fail' ? 500 : 204).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
