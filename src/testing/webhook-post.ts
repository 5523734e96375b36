import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SignedWebhookRequest } from './webhook-request.js';

/** The answer's status, or why no answer came. */
export type PostResult = { status: number } | { error: string };

export interface PostTimeouts {
  /** Time to establish the TCP connection. */
  connectTimeoutMs: number;
  /** Time to wait for the answer, and between its packets, once connected. */
  readTimeoutMs: number;
  /** Aborts the attempt (the emulator is closing). */
  signal: AbortSignal;
}

/** One POST of a webhook. Never rejects: every failure is a result. */
export function postWebhook(request: SignedWebhookRequest, timeouts: PostTimeouts): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    if (timeouts.signal.aborted) {
      finish({ error: 'emulator closed' });
      return;
    }
    const send = request.url.startsWith('https:') ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(request.url, {
        method: 'POST',
        // A fresh connection per attempt, so a receiver's server can close without waiting on us.
        agent: false,
        signal: timeouts.signal,
        headers: {
          'Content-Type': request.contentType,
          'Content-Length': Buffer.byteLength(request.body),
          'X-Twilio-Signature': request.signature,
          // Guess: the User-Agent Twilio's webhook proxy is known to send.
          'User-Agent': 'TwilioProxy/1.1',
          Connection: 'close',
        },
      });
    } catch (error) {
      finish({ error: error instanceof Error ? error.message : String(error) });
      return;
    }
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(new Error('connect timed out')), timeouts.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.setTimeout(timeouts.readTimeoutMs, () => req.destroy(new Error('webhook timed out')));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => finish({ status: res.statusCode ?? 0 }));
      res.on('error', (error) => finish({ error: error.message }));
    });
    req.on('error', (error) => finish({ error: timeouts.signal.aborted ? 'emulator closed' : error.message }));
    req.on('close', () => finish({ error: 'connection closed' }));
    req.end(request.body);
  });
}
