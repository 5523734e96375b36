import { invalidParameter } from './errors.js';
import type { EmulatorEnv } from './route-context.js';
import type { Params } from './params.js';

/**
 * Twilio's list paging. `PageSize` is 1–1000, default 50, and `Page` "is simply for client state"; where a page
 * starts is carried by `PageToken`, "provided by the API" in `next_page_url` / `previous_page_url` (Verify v2
 * OpenAPI, parameters of every list operation). Clients follow those URLs as absolute URLs: twilio-node's
 * `nextPage()`, and the mobile SDKs, which read `PageToken` out of `meta.next_page_url`
 * (twilio-verify-android domain/challenge/ChallengeListMapper.kt) and send it back with their own query
 * (api/ChallengeAPIClient.kt `getAll`).
 * Guess: the token's format. Twilio's is opaque (the SDK's fixture shows `PageToken=DNYC…`: letters then a
 * challenge SID); the emulator's is `PA` (page after) or `PB` (page before) followed by the SID of the item
 * the page starts after or ends before, so a page stays in place when earlier items change status.
 */

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** How a list is ordered, so a token can find its place even when its item no longer passes the filters. */
export interface ListOrder<T> {
  /** The item a token names, whether or not it is in this (filtered) list. */
  lookup(sid: string): T | undefined;
  /** Negative when `a` comes first in this list's order. */
  compare(a: T, b: T): number;
}

type PageToken = { direction: 'after' | 'before'; sid: string };

function readToken(raw: string | undefined): PageToken | undefined {
  if (raw === undefined) return undefined;
  const match = /^(PA|PB)([A-Z]{2}[0-9a-fA-F]{32})$/.exec(raw);
  if (!match?.[1] || !match[2]) throw invalidParameter('PageToken is not a token this API gave');
  return { direction: match[1] === 'PA' ? 'after' : 'before', sid: match[2] };
}

function readInt(params: Params, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw invalidParameter(`${name} must be an integer`);
  return Number(raw);
}

function indexOrder<T extends { sid: string }>(items: T[]): ListOrder<T> {
  return {
    lookup: (sid) => items.find((item) => item.sid === sid),
    compare: (a, b) => items.indexOf(a) - items.indexOf(b),
  };
}

/** The slice of `items` (already filtered and sorted) a token asks for. */
function sliceFor<T extends { sid: string }>(items: T[], token: PageToken | undefined, pageSize: number, order: ListOrder<T>): T[] {
  if (!token) return items.slice(0, pageSize);
  const anchor = order.lookup(token.sid);
  if (!anchor) throw invalidParameter('PageToken names an item that no longer exists');
  if (token.direction === 'after') return items.filter((item) => order.compare(item, anchor) > 0).slice(0, pageSize);
  const before = items.filter((item) => order.compare(item, anchor) < 0);
  return before.slice(Math.max(0, before.length - pageSize));
}

/**
 * One page of a list in Twilio's envelope: `{ [key]: items, meta: { page, page_size, first_page_url,
 * previous_page_url, url, next_page_url, key } }`, with absolute paging URLs that keep the filters.
 */
export function listPage<T extends { sid: string }, J>(
  env: EmulatorEnv,
  listPath: string,
  key: string,
  items: T[],
  params: Params,
  filters: Record<string, string>,
  toJson: (item: T) => J,
  order: ListOrder<T> = indexOrder(items),
): Record<string, unknown> {
  const pageSize = readInt(params, 'PageSize', DEFAULT_PAGE_SIZE);
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw invalidParameter(`PageSize must be between 1 and ${MAX_PAGE_SIZE}`);
  const page = readInt(params, 'Page', 0);
  const tokenRaw = params.get('PageToken');
  const slice = sliceFor(items, readToken(tokenRaw), pageSize, order);

  const pageUrl = (pageNumber: number, token?: string): string => {
    const query = new URLSearchParams({ ...filters, PageSize: String(pageSize), Page: String(pageNumber) });
    if (token !== undefined) query.set('PageToken', token);
    return `${env.baseUrl}${listPath}?${query.toString()}`;
  };
  const first = slice[0];
  const last = slice.at(-1);
  const hasAfter = last !== undefined && items.some((item) => order.compare(item, last) > 0);
  const hasBefore = first !== undefined && items.some((item) => order.compare(item, first) < 0);
  return {
    [key]: slice.map(toJson),
    meta: {
      page,
      page_size: pageSize,
      first_page_url: pageUrl(0),
      previous_page_url: hasBefore && first ? pageUrl(Math.max(0, page - 1), `PB${first.sid}`) : null,
      url: pageUrl(page, tokenRaw),
      next_page_url: hasAfter && last ? pageUrl(page + 1, `PA${last.sid}`) : null,
      key,
    },
  };
}
