/**
 * Twilio's error answers. Handlers throw `TwilioApiError`; the router turns it into Twilio's body
 * `{ code, message, more_info, status }`, which twilio-node maps to `RestException`.
 * Each code's meaning and, where its page gives one, its HTTP status come from Twilio's error pages
 * (https://www.twilio.com/docs/api/errors/<code>); docs/twilio-fidelity.md lists them.
 */
export class TwilioApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly headers: Record<string, string>;

  constructor(status: number, code: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'TwilioApiError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function errorBody(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** The generic not-found: unknown routes, services and the resources Verify has no code of its own for. */
export function notFound(path: string): TwilioApiError {
  return new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
}

/**
 * Verify's own not-found codes (60390 factor, 60391 challenge, 60392 entity).
 * Guess: their pages give no HTTP status; 404, as for 20404.
 */
export function factorNotFound(): TwilioApiError {
  return new TwilioApiError(404, 60390, TWILIO_MESSAGES[60390] ?? 'Factor not found');
}

export function challengeNotFound(): TwilioApiError {
  return new TwilioApiError(404, 60391, TWILIO_MESSAGES[60391] ?? 'Challenge not found');
}

export function entityNotFound(): TwilioApiError {
  return new TwilioApiError(404, 60392, TWILIO_MESSAGES[60392] ?? 'Entity not found');
}

export function invalidParameter(message: string): TwilioApiError {
  return new TwilioApiError(400, 60200, `Invalid parameter: ${message}`);
}

/**
 * 60367: an `Identity` sent as a parameter, or the one of a push factor being created, is missing or not
 * 8–64 dash-separated alphanumerics. 60366: the `{Identity}` another Entity, Factor or Challenge path names is not.
 * Guess: their pages give no HTTP status; 400, as for the other invalid-parameter codes.
 */
export function identityInvalid(where: 'parameter' | 'path'): TwilioApiError {
  return where === 'parameter'
    ? new TwilioApiError(400, 60367, 'Invalid entity identity')
    : new TwilioApiError(400, 60366, 'Entity invalid or not provided');
}

/**
 * 60368: a push challenge's `Details.Message` or `Details.Fields` is missing or breaks its limits.
 * Guess: the page gives no HTTP status; 400.
 */
export function detailsInvalid(message: string): TwilioApiError {
  return new TwilioApiError(400, 60368, `Challenge details invalid or not provided: ${message}`);
}

export function unauthenticated(): TwilioApiError {
  return new TwilioApiError(401, 20003, 'Authenticate');
}

/** Messages of the codes a fault may name, as their error pages title them. */
const TWILIO_MESSAGES: Readonly<Record<number, string>> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'Internal Server Error',
  20503: 'Service Unavailable',
  60200: 'Invalid parameter',
  60301: 'Entity already exists',
  60309: 'Push notifications limit reached for a Challenge',
  60311: 'Factor verification failed',
  60315: 'Reached max limit of 20 push Factors associated per Entity',
  60318: 'Factor is unverified',
  60322: 'Challenge already responded',
  60323: 'Challenge expired',
  60324: 'Challenge verification failed',
  60326: 'Too many requests to create factors for the entity',
  60366: 'Entity invalid or not provided',
  60367: 'Invalid entity identity',
  60368: 'Challenge details invalid or not provided',
  60390: 'Factor not found',
  60391: 'Challenge not found',
  60392: 'Entity not found',
};

/** The code Twilio puts in the body of an injected status fault that names none. */
export function faultCode(status: number): number {
  if (status === 404) return 20404;
  if (status === 429) return 20429;
  // Guess: Twilio's generic 5xx bodies carry 20500 / 20503; other statuses reuse 20000 + status.
  return 20000 + status;
}

export function faultMessage(status: number, code: number): string {
  const known = TWILIO_MESSAGES[code];
  if (known !== undefined) return known;
  if (status === 429) return 'Too Many Requests';
  if (status === 503) return 'Service Unavailable';
  if (status >= 500) return 'Internal Server Error';
  return 'Injected fault';
}
