/**
 * The load balancer Twilio's webhooks reach: the Verify service posts here, and this forwards each post,
 * unchanged (path, query, signature, body), to the instances in turn, passing over one that refuses the
 * connection. It also delivers some webhooks late, which the emulator cannot do itself: it holds the post
 * back for a while before forwarding it (Twilio waits up to 15 s for an answer). When an instance dies with a
 * post in flight, the connection from Twilio is dropped too, so the emulator retries it as Twilio would.
 */
import http from 'node:http';
import type { Prng } from './prng.js';

export interface WebhookProxyStats {
  received: number;
  forwarded: number;
  late: number;
  /** Posts passed to the next instance because one refused the connection. */
  failovers: number;
  /** Posts whose instance died mid-answer: Twilio's connection was dropped too. */
  dropped: number;
}

export interface WebhookProxyOptions {
  instances: () => string[];
  random: Prng;
  lateRate: number;
  lateMaxMs: number;
}

export class WebhookProxy {
  readonly stats: WebhookProxyStats = { received: 0, forwarded: 0, late: 0, failovers: 0, dropped: 0 };
  private readonly server: http.Server;
  private readonly inflight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private turn = 0;
  url = '';

  constructor(private readonly options: WebhookProxyOptions) {
    this.server = http.createServer((req, res) => {
      const handling = this.handle(req, res).catch(() => void res.destroy());
      this.inflight.add(handling);
      void handling.finally(() => this.inflight.delete(handling));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  /** Resolves once every post received so far was answered or dropped. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.stats.received += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { random, lateRate, lateMaxMs } = this.options;
    if (lateMaxMs > 0 && random.chance(lateRate)) {
      this.stats.late += 1;
      await this.sleep(random.int(Math.min(500, lateMaxMs), lateMaxMs));
    }
    const instances = this.options.instances();
    for (let tries = 0; tries < instances.length; tries += 1) {
      const target = instances[this.turn++ % instances.length]!;
      const outcome = await forward(target, req, body);
      if (outcome === 'refused') {
        this.stats.failovers += 1;
        continue;
      }
      if (outcome === 'lost') break;
      this.stats.forwarded += 1;
      res.writeHead(outcome.status, { 'Content-Type': outcome.contentType });
      res.end(outcome.body);
      return;
    }
    this.stats.dropped += 1;
    res.destroy();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

type Forwarded = { status: number; contentType: string; body: Buffer } | 'refused' | 'lost';

function forward(target: string, req: http.IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = {
      'content-type': req.headers['content-type'],
      'content-length': body.length,
      'x-twilio-signature': req.headers['x-twilio-signature'],
      'user-agent': req.headers['user-agent'],
    };
    const upstream = http.request(`${target}${req.url ?? '/'}`, { method: 'POST', headers, agent: false, timeout: 14_000 }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () =>
        resolve({ status: answer.statusCode ?? 502, contentType: String(answer.headers['content-type'] ?? 'text/plain'), body: Buffer.concat(chunks) }),
      );
      answer.on('error', () => resolve('lost'));
    });
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'lost'));
    upstream.end(body);
  });
}
