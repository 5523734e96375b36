/**
 * The device simulator (emulator mode only): a page playing the user's phone, and the small JSON API
 * it uses. These routes stand for the phone and Twilio's side of it; they are not part of an app you
 * would ship, which is why they live apart from the app's own routes.
 */
import { Router, json, type Request, type Response } from 'express';
import { isVerifyPushError } from 'passport-twilio-verify-push';
import { DeviceLoginError, signInOnPhone } from './device-login.js';
import type { Phone, Phones } from './device-sim.js';
import { asyncRoute, phoneChrome } from './http-helpers.js';
import { devicePage } from './views/device.js';

interface CodedError {
  code?: unknown;
  status?: unknown;
  message?: unknown;
}

/** Device and Twilio refusals become `{ code, message }` for the page to show. */
function refusal(res: Response, error: unknown): void {
  const coded = (error ?? {}) as CodedError;
  if (error instanceof DeviceLoginError || isVerifyPushError(error) || coded.code !== undefined) {
    const code = String(coded.code);
    const status = typeof coded.status === 'number' && coded.status >= 400 && coded.status < 500 ? coded.status : 409;
    res.status(status).json({ code, message: typeof coded.message === 'string' ? coded.message : code });
    return;
  }
  throw error;
}

async function phoneOf(phones: Phones, req: Request, res: Response): Promise<Phone | undefined> {
  const factorSid = typeof req.body?.factorSid === 'string' ? req.body.factorSid : '';
  const phone = await phones.find(factorSid);
  if (!phone) res.status(404).json({ code: 'UNKNOWN_PHONE', message: 'No such simulated phone.' });
  return phone;
}

function text(value: unknown, max = 200): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

export function deviceRoutes(phones: Phones, baseUrl: () => string, clock: () => number): Router {
  const router = Router();
  router.use('/device/api', json({ limit: '8kb' }));

  router.get('/device', (_req, res) => {
    res.type('html').send(String(devicePage(phoneChrome(res))));
  });

  router.get(
    '/device/api/state',
    asyncRoute(async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ serverTime: clock(), phones: await phones.view() });
    }),
  );

  // Approve or deny one challenge on the phone; approving passes the typed number-matching code along.
  const answer = (outcome: 'approved' | 'denied') =>
    asyncRoute(async (req, res) => {
      const phone = await phoneOf(phones, req, res);
      const challengeSid = text(req.body?.challengeSid, 34);
      if (!phone) return;
      if (!challengeSid) {
        res.status(400).json({ code: 'BAD_REQUEST', message: 'challengeSid is required.' });
        return;
      }
      try {
        if (outcome === 'approved') await phones.approve(phone, challengeSid, text(req.body?.matchCode, 12));
        else await phones.deny(phone, challengeSid);
        res.json({ status: outcome });
      } catch (error) {
        refusal(res, error);
      }
    });
  router.post('/device/api/approve', answer('approved'));
  router.post('/device/api/deny', answer('denied'));

  // The phone side of enrolment: it received the token (in a real app, by scanning a QR code).
  router.post(
    '/device/api/enrol',
    asyncRoute(async (req, res) => {
      const token = text(req.body?.token, 4096);
      const identity = text(req.body?.identity, 64);
      const username = text(req.body?.username, 64) ?? 'unknown';
      if (!token || !identity) {
        res.status(400).json({ code: 'BAD_REQUEST', message: 'token and identity are required.' });
        return;
      }
      try {
        const phone = await phones.enrol({ identity, username, friendlyName: `${username}'s simulated phone`, accessToken: token });
        res.json({ factorSid: phone.factorSid, friendlyName: phone.friendlyName });
      } catch (error) {
        refusal(res, error);
      }
    }),
  );

  router.post(
    '/device/api/sign-in',
    asyncRoute(async (req, res) => {
      const phone = await phoneOf(phones, req, res);
      const password = text(req.body?.password, 200);
      if (!phone) return;
      if (!password) {
        res.status(400).json({ code: 'BAD_REQUEST', message: 'password is required.' });
        return;
      }
      try {
        const result = await signInOnPhone({ baseUrl: baseUrl(), phone, password, phones });
        res.json({ status: 'signed-in', username: result.username, displayName: result.displayName });
      } catch (error) {
        refusal(res, error);
      }
    }),
  );

  return router;
}
