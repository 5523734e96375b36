/**
 * Makes the answering worker visible, so a person (or a test) can see a webhook received by one worker finish
 * a page held by another: an `X-Worker` header on every answer, the worker's name for the page footer, and a
 * log line per request.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The device page asks for its state every second: logging that would drown everything else. */
const QUIET = new Set(['/device/api/state']);

export function workerMarks(worker: string, log: (line: string) => void): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Worker', worker);
    // One request per connection: Node's cluster spreads connections, so a browser's next request may land on
    // another worker, as behind a load balancer that balances requests without sticky sessions.
    res.setHeader('Connection', 'close');
    res.locals.worker = worker;
    if (!QUIET.has(req.path)) {
      const started = Date.now();
      res.once('close', () => log(`${req.method} ${req.originalUrl} ${res.statusCode} (${Date.now() - started} ms)`));
    }
    next();
  };
}
