/**
 * The cluster's phones, served by the primary to its workers. A simulated phone keeps its private key in the
 * process that enrolled it, so the phones live in one process (the primary, beside the emulator) and every
 * worker's device routes reach them here. Loopback only, and every call carries a token the primary made.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { Phone, Phones } from '../device-sim.js';

export interface RunningPhoneService {
  /** Base URL; a call is `POST <url>/<name>` with a JSON body. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` by the workers. */
  token: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

/** A refusal the device routes show as `{ code, message }` (a replaced request, a wrong code, Twilio's answer). */
interface CodedError {
  code?: unknown;
  status?: unknown;
  message?: unknown;
}

class UnknownPhoneError extends Error {
  readonly code = 'UNKNOWN_PHONE';
  readonly status = 404;
  constructor() {
    super('No such simulated phone.');
  }
}

function text(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw Object.assign(new Error(`${name} is required.`), { code: 'BAD_REQUEST', status: 400 });
  return value;
}

function optionalText(body: Body, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Each call the workers may make, by name: the `Phones` interface over HTTP. */
function callsOn(phones: Phones): Record<string, (body: Body) => Promise<unknown>> {
  const known = async (body: Body): Promise<Phone> => {
    const phone = await phones.find(text(body, 'factorSid'));
    if (!phone) throw new UnknownPhoneError();
    return phone;
  };
  return {
    find: async (body) => (await phones.find(text(body, 'factorSid'))) ?? null,
    seed: (body) => phones.seed({ identity: text(body, 'identity'), username: text(body, 'username'), friendlyName: text(body, 'friendlyName') }),
    enrol: (body) =>
      phones.enrol({
        identity: text(body, 'identity'),
        username: text(body, 'username'),
        friendlyName: text(body, 'friendlyName'),
        accessToken: text(body, 'accessToken'),
      }),
    view: () => phones.view(),
    approve: async (body) => phones.approve(await known(body), text(body, 'challengeSid'), optionalText(body, 'matchCode')),
    deny: async (body) => phones.deny(await known(body), text(body, 'challengeSid')),
    'approve-transaction': async (body) => phones.approveTransaction(await known(body), text(body, 'transactionId'), optionalText(body, 'matchCode')),
  };
}

function answerError(res: Response, error: unknown): void {
  const coded = (error ?? {}) as CodedError;
  if (coded.code === undefined) {
    console.error(`Phone service: ${error instanceof Error ? error.message : String(error)}`);
    res.status(500).json({ code: 'PHONE_SERVICE_ERROR', message: 'The simulated phone failed.' });
    return;
  }
  const status = typeof coded.status === 'number' && coded.status >= 400 && coded.status < 500 ? coded.status : 409;
  const code = String(coded.code);
  res.status(status).json({ code, message: typeof coded.message === 'string' ? coded.message : code });
}

export async function servePhones(phones: Phones): Promise<RunningPhoneService> {
  const token = randomBytes(32).toString('hex');
  const calls = callsOn(phones);
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.post('/:name', (req: Request, res: Response) => {
    if (!sameToken(req.get('authorization') ?? '', `Bearer ${token}`)) {
      res.status(401).json({ code: 'NOT_AUTHENTICATED', message: 'Unknown caller.' });
      return;
    }
    const call = calls[String(req.params.name)];
    if (!call) {
      res.status(404).json({ code: 'NOT_FOUND', message: 'No such call.' });
      return;
    }
    call((req.body ?? {}) as Body).then((result) => res.json({ result: result ?? null }), (error: unknown) => answerError(res, error));
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
