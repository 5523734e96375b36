import type { VerifyPushErrorCode } from '../errors.js';

/**
 * Twilio's not-found answers: the generic 20404 and Verify's own codes for a factor (60390), a challenge
 * (60391) and an entity (60392), from Twilio's error pages (https://www.twilio.com/docs/api/errors/<code>).
 * Any HTTP 404 counts too, so a code Twilio adds later still reads as "not found" rather than as a fault.
 */
const NOT_FOUND_CODES: ReadonlySet<number> = new Set([20404, 60390, 60391, 60392]);

export function isNotFound(twilioCode: number | undefined, httpStatus: number): boolean {
  return httpStatus === 404 || (twilioCode !== undefined && NOT_FOUND_CODES.has(twilioCode));
}

export interface KnownTwilioError {
  code: VerifyPushErrorCode;
  status: number;
  message: string;
}

/**
 * Twilio errors the strategy can meet on the calls it makes, each turned into our stable code with a sentence
 * for the app's logs. 60311 and 60324 only reach a phone; 60322 and 60323 also answer a re-send of a challenge
 * answered or expired meanwhile, which http/resend.ts handles before this table is read.
 * Not-found answers are mapped per resource by the caller (see verify-api.ts).
 */
const KNOWN: Readonly<Record<number, KnownTwilioError>> = {
  60200: { code: 'TWILIO_ERROR', status: 502, message: 'Twilio refused a parameter of the request.' },
  60309: { code: 'RATE_LIMITED', status: 429, message: 'Twilio sends a challenge to the phone at most 3 times, the first push included.' },
  60312: { code: 'TWILIO_RATE_LIMITED', status: 503, message: 'Twilio refused to create more challenges for now.' },
  60318: { code: 'NO_PUSH_FACTOR', status: 403, message: 'The push factor is not verified.' },
  60366: { code: 'INVALID_IDENTITY', status: 400, message: 'Twilio refused the Verify identity.' },
  60367: { code: 'INVALID_IDENTITY', status: 400, message: 'Twilio refused the Verify identity.' },
  60368: { code: 'DETAILS_INVALID', status: 400, message: "Twilio refused the challenge's message or fields." },
};

export function knownTwilioError(twilioCode: number | undefined): KnownTwilioError | undefined {
  return twilioCode === undefined ? undefined : KNOWN[twilioCode];
}
