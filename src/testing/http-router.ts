import type { OperationName } from './types.js';
import type { PathParams, RouteContext, RouteResult } from './route-context.js';
import { isSid, type SidPrefix } from './sids.js';

/**
 * Which device credential a route accepts besides the account's Basic auth:
 * the enrolment access token (factor creation) or a JWT signed by the factor's key.
 */
export type DeviceAuth = 'accessToken' | 'factor';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. `/v2/Services/{VA}/Entities/{identity}/Challenges/{YC}`: `{XX}` is a SID of that prefix. */
  pattern: string;
  operation: OperationName;
  deviceAuth?: DeviceAuth;
  handle(ctx: RouteContext): RouteResult;
}


export type RouteMatch = { route: Route; pathParams: PathParams } | undefined;

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matchPattern(pattern: string, segments: string[]): PathParams | undefined {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: PathParams = {};
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] ?? '';
    const segment = segments[i] ?? '';
    const placeholder = /^\{(\w+)\}$/.exec(part)?.[1];
    if (placeholder === undefined) {
      if (part !== segment) return undefined;
      continue;
    }
    // A value of the wrong shape (wrong prefix, a decoded "/", "..") matches no resource: 20404,
    // exactly as Twilio answers a SID that does not exist.
    if (placeholder !== 'identity' && !isSid(placeholder as SidPrefix, segment)) return undefined;
    params[placeholder as SidPrefix | 'identity'] = segment;
  }
  return params;
}

export class HttpRouter {
  constructor(private readonly routes: readonly Route[]) {}

  match(method: string, pathname: string): RouteMatch {
    const segments: string[] = [];
    for (const raw of pathname.split('/').filter(Boolean)) {
      const decoded = decodeSegment(raw);
      if (decoded === undefined || decoded.includes('/')) return undefined;
      segments.push(decoded);
    }
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const pathParams = matchPattern(route.pattern, segments);
      if (pathParams) return { route, pathParams };
    }
    return undefined;
  }

  /** The operation a path would be, for the call log, even before auth is checked. */
  operationOf(method: string, pathname: string): OperationName | 'unknown' {
    return this.match(method, pathname)?.route.operation ?? 'unknown';
  }
}
