import { TwilioApiError } from '../errors.js';
import type { Route } from '../http-router.js';
import { pathParam } from '../route-context.js';
import { isoSeconds } from '../dates.js';
import { newSid } from '../sids.js';
import { optionalInt } from '../validate.js';
import { challengeOf } from './lookup.js';

/** Twilio re-sends a challenge's push at most this many times. */
const MAX_NOTIFICATIONS = 3;

export const notificationRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v2/Services/{VA}/Entities/{identity}/Challenges/{YC}/Notifications',
    operation: 'createNotification',
    handle(ctx) {
      const challenge = challengeOf(ctx, pathParam(ctx, 'YC'));
      const ttl = optionalInt(ctx.params, 'Ttl', 0, 300) ?? 300;
      // Guess: Twilio refuses to notify about a challenge that can no longer be answered, with the
      // same codes an answer would get.
      if (challenge.status === 'expired') throw new TwilioApiError(403, 60323, 'Challenge expired');
      if (challenge.status !== 'pending') throw new TwilioApiError(403, 60322, 'Challenge already responded');
      // Guess: the status of 60309 is not documented; 429 fits a "too many" limit.
      if (challenge.notificationsSent >= MAX_NOTIFICATIONS) {
        throw new TwilioApiError(429, 60309, 'Max notifications per challenge reached');
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
