/**
 * The baseline for "Twilio API calls per login": a push second factor written the way Twilio's sample
 * backend does it. Starting looks up the factor and creates the challenge; every browser status poll then
 * fetches the challenge from Twilio, however many tabs poll and however often.
 */
import type { Express, Request, Response } from 'express';
import type twilio from 'twilio';
import { identityOf, type BenchUser } from './push-app.js';

interface NaiveSession {
  naiveChallenge?: { sid: string; identity: string };
}

function naiveSession(req: Request): NaiveSession {
  return req.session as unknown as NaiveSession;
}

export function naivePushRoutes(app: Express, client: twilio.Twilio, serviceSid: string): void {
  const service = client.verify.v2.services(serviceSid);

  app.post('/naive/start', async (req: Request, res: Response) => {
    const user = req.user as BenchUser | undefined;
    if (!user) {
      res.sendStatus(401);
      return;
    }
    const identity = identityOf(user);
    const factors = await service.entities(identity).factors.list();
    const factor = factors.find((f) => f.status === 'verified' && f.factorType === 'push');
    if (!factor) {
      res.sendStatus(409);
      return;
    }
    const challenge = await service.entities(identity).challenges.create({
      factorSid: factor.sid,
      'details.message': 'Approve sign-in?',
      'details.fields': [{ label: 'IP address', value: req.ip ?? '' }],
    });
    naiveSession(req).naiveChallenge = { sid: challenge.sid, identity };
    res.status(202).json({ status: 'pending' });
  });

  app.post('/naive/status', async (req: Request, res: Response) => {
    const pending = naiveSession(req).naiveChallenge;
    if (!pending) {
      res.sendStatus(401);
      return;
    }
    // The sample's essence: one Twilio fetch per browser poll.
    const challenge = await service.entities(pending.identity).challenges(pending.sid).fetch();
    if (challenge.status === 'approved') {
      delete naiveSession(req).naiveChallenge;
      res.json({ status: 'approved' });
      return;
    }
    res.status(challenge.status === 'pending' ? 202 : 401).json({ status: challenge.status });
  });
}
