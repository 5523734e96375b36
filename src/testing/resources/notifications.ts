import { TwilioApiError } from '../errors.js';
import type { Route } from '../http-router.js';
import { pathParam } from '../route-context.js';
import { isoSeconds } from '../dates.js';
import { newSid } from '../sids.js';
import { optionalInt } from '../validate.js';
import { challengeOf } from './lookup.js';

/**
 * Pushes a challenge may have, the one sent when it was created included: "The maximum number of push
 * notifications for the Challenge has been reached. Max number of notifications: 3. HTTP status: 429"
 * (https://www.twilio.com/docs/api/errors/60309). The page counts notifications *for the challenge*, and the
 * first push is one of them, so two re-sends succeed and the third is refused. See docs/twilio-fidelity.md.
 */
export const MAX_NOTIFICATIONS = 3;

export const notificationRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Challenges/{YC}/Notifications',
    operation: 'createNotification',
    handle(ctx) {
      const challenge = challengeOf(ctx, pathParam(ctx, 'YC'));
      const ttl = optionalInt(ctx.params, 'Ttl', 0, 300) ?? 300;
      // Twilio's Notifications resource page: a retry push for an expired challenge is an error response.
      // Guess: which one; the emulator answers what an answer would get (60323), and 60322 once answered.
      if (challenge.status === 'expired') throw new TwilioApiError(403, 60323, 'Challenge expired');
      if (challenge.status !== 'pending') throw new TwilioApiError(403, 60322, 'Challenge already responded');
      if (challenge.notificationsSent >= MAX_NOTIFICATIONS) {
        throw new TwilioApiError(429, 60309, 'Push notifications limit reached for a Challenge');
      }
      challenge.notificationsSent += 1;
      return {
        status: 201,
        body: {
          sid: newSid('NT'),
          account_sid: ctx.env.accountSid,
          service_sid: challenge.serviceSid,
          entity_sid: challenge.entitySid,
          identity: challenge.identity,
          challenge_sid: challenge.sid,
          priority: 'high',
          ttl,
          date_created: isoSeconds(ctx.env.state.now()),
        },
      };
    },
  },
];
