import type { IncomingMessage, ServerResponse } from 'node:http';
import { isVerifyPushError } from '../errors.js';

export type JsonMiddleware<Req extends IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * A middleware around one async handler: our own errors become small JSON answers with their status and
 * code; anything unexpected goes to the app's error handler.
 */
export function jsonMiddleware<Req extends IncomingMessage>(
  handle: (req: Req, res: ServerResponse) => Promise<void>,
): JsonMiddleware<Req> {
  return (req, res, next) => {
    handle(req, res).catch((error: unknown) => {
      if (!isVerifyPushError(error) || res.headersSent) {
        next(error);
        return;
      }
      if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(Math.ceil(error.retryAfter)));
      sendJson(res, error.status, { error: error.code });
    });
  };
}

export function sendJson(res: ServerResponse, status: number, body: object): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  // Everything answered here is per user (tokens, devices, challenges): no shared cache may keep it.
  res.setHeader('Cache-Control', 'no-store');
  res.end(payload);
}
