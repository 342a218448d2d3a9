import { createHmac } from 'node:crypto';
import { safeEqual } from './crypto.server';

/**
 * The buyer result page (`/payments/:store/result`) shows an order's status only to the browser
 * the redirect route just sent there: its link carries an expiry and an HMAC over (store,
 * merchant_uid, expiry, the outcome the route sent the buyer for) with a key derived from
 * APP_SECRET. A guessed, edited or old link shows a neutral page, so the page cannot be used to
 * ask whether any order is paid, nor to show a buyer an outcome the route did not send them for.
 */

export const RESULT_LINK_TTL_MS = 30 * 60 * 1000;

function linkKey(appSecret: string): Buffer {
  return createHmac('sha256', appSecret).update('buyer-result-link:v1').digest();
}

function signature(appSecret: string, store: string, merchantUid: string, expires: number, status: string): string {
  return createHmac('sha256', linkKey(appSecret))
    .update(`${store}\n${merchantUid}\n${expires}\n${status}`)
    .digest('base64url');
}

/** What a valid result link shows: its order, and the outcome the redirect route sent the buyer for. */
export type ResultLink = { merchantUid: string; status: string | null };

/**
 * Adds `exp` and `sig` to a location on this site that names a `merchant_uid` (our own result
 * page); any other location (a store's own landing URL) is answered unchanged.
 */
export function signResultLocation(appSecret: string, store: string, location: string, now: Date): string {
  if (!location.startsWith('/')) return location;
  const url = new URL(location, 'http://same-site.invalid');
  const merchantUid = url.searchParams.get('merchant_uid');
  if (!merchantUid) return location;
  const expires = Math.floor((now.getTime() + RESULT_LINK_TTL_MS) / 1000);
  url.searchParams.set('exp', String(expires));
  url.searchParams.set('sig', signature(appSecret, store, merchantUid, expires, url.searchParams.get('status') ?? ''));
  return `${url.pathname}${url.search}`;
}

/** The order (and reported outcome) a result link may show, or null when it is unsigned, forged or expired. */
export function verifyResultLink(
  appSecret: string,
  store: string,
  params: URLSearchParams,
  now: Date,
): ResultLink | null {
  const merchantUid = params.get('merchant_uid');
  const exp = params.get('exp');
  const sig = params.get('sig');
  if (!merchantUid || !exp || !sig || !/^\d{1,12}$/.test(exp)) return null;
  const expires = Number(exp);
  if (expires * 1000 <= now.getTime()) return null;
  const status = params.get('status');
  return safeEqual(sig, signature(appSecret, store, merchantUid, expires, status ?? ''))
    ? { merchantUid, status }
    : null;
}
