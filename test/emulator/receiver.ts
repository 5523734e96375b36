import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

export interface ReceivedWebhook {
  path: string;
  params: Record<string, string>;
  signature: string;
  contentType: string;
}

/** A local Express app standing in for an app's webhook endpoint: records what Twilio POSTs. */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startReceiver(onReceive?: (hook: ReceivedWebhook) => void): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post('/:route', (req, res) => {
    const hook = {
      path: req.path,
      params: { ...(req.body as Record<string, string>) },
      signature: req.get('X-Twilio-Signature') ?? '',
      contentType: req.get('Content-Type') ?? '',
    };
    received.push(hook);
    onReceive?.(hook);
    res.status(req.params['route'] === 'fail' ? 500 : 204).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
