/**
 * Twilio's error answers. Handlers throw `TwilioApiError`; the router turns it into Twilio's body
 * `{ code, message, more_info, status }`, which twilio-node maps to `RestException`.
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

export function notFound(path: string): TwilioApiError {
  return new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
}

export function invalidParameter(message: string): TwilioApiError {
  return new TwilioApiError(400, 60200, `Invalid parameter: ${message}`);
}

export function unauthenticated(): TwilioApiError {
  return new TwilioApiError(401, 20003, 'Authenticate');
}

/** The code Twilio puts in the body of an injected status fault. */
export function faultCode(status: number): number {
  if (status === 429) return 20429;
  // Guess: Twilio's generic 5xx bodies carry 20500 / 20503; other statuses reuse 20000 + status.
  return 20000 + status;
}

export function faultMessage(status: number): string {
  if (status === 429) return 'Too Many Requests';
  if (status === 503) return 'Service Unavailable';
  if (status >= 500) return 'Internal Server Error';
  return 'Injected fault';
}
