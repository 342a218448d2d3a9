import { findOrder, findOrderByImpUid } from '../../../db/orders';
import { firstRedirectAt, insertRedirectHit, lastGatewayCheckAt } from '../../../db/evidence';
import type { OrderRow } from '../../../db/monitor-schema';
import type { MessageKey } from '../../i18n/messages';
import type { RedirectFlag } from '../verify/decide';
import { REDIRECT_GATEWAY_TIMEOUT_MS } from '../verify/gateway.server';
import type { OrderStatus } from '../status';
import { getStore, type Store } from '../stores/stores.server';
import { admitEvidence, countUnknownStore } from './unknown-evidence.server';
import { fromDbTime, toDbTime } from '../time';
import type { CaptureDeps as MonitorDeps } from '../deps';
import { verifyPayment } from '../verify/verify.server';

/** Longer query strings are stored truncated and refused with 414. */
export const MAX_QUERY_LENGTH = 4096;
const MAX_ERROR_TEXT = 500;

export type ParsedRedirect = {
  impUid: string | null;
  merchantUid: string | null;
  flag: RedirectFlag;
  errorCode: string | null;
  errorMsg: string | null;
  /** Why part of the query was ignored; the raw query string is kept regardless. */
  parseError: string | null;
};

const IMP_UID = /^[A-Za-z0-9_-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Reads what Iamport put on the redirect. Pure and total: it never throws, whatever the query
 * string holds; the flag is recorded as evidence and never decides anything.
 */
export function parseRedirectQuery(query: string): ParsedRedirect {
  const params = new URLSearchParams(query);
  const problems: string[] = [];
  const single = (name: string): string | null => {
    const values = params.getAll(name);
    if (values.length > 1 && new Set(values).size > 1)
      problems.push(`${name} given ${values.length} times with different values; the first was used`);
    return values[0] ?? null;
  };

  let impUid = single('imp_uid');
  if (impUid === '') impUid = null;
  if (impUid !== null && !IMP_UID.test(impUid)) {
    problems.push('imp_uid is malformed');
    impUid = null;
  }
  let merchantUid = single('merchant_uid');
  if (merchantUid === '') merchantUid = null;
  // Blank ids cannot be asked of the gateway (its client refuses them): malformed, like "." and "..".
  if (
    merchantUid !== null &&
    (merchantUid.length > 80 || CONTROL.test(merchantUid) || /^\.{1,2}$/.test(merchantUid) || merchantUid.trim() === '')
  ) {
    problems.push('merchant_uid is malformed');
    merchantUid = null;
  }

  let flag: RedirectFlag = { kind: 'none', value: null };
  for (const kind of ['imp_success', 'success'] as const) {
    const raw = single(kind);
    if (raw === null) continue;
    const value = raw === 'true' ? true : raw === 'false' ? false : null;
    if (value === null) problems.push(`${kind} is neither true nor false`);
    flag = { kind, value };
    break;
  }
  const text = (name: string) => {
    const value = single(name);
    return value === null || value === '' ? null : value.slice(0, MAX_ERROR_TEXT);
  };
  return {
    impUid,
    merchantUid,
    flag,
    errorCode: text('error_code'),
    errorMsg: text('error_msg'),
    parseError: problems.length ? problems.join('; ') : null,
  };
}

/** How often the confirming page reloads itself while the buyer waits. */
export const CONFIRMING_REFRESH_SECONDS = 5;
/**
 * Reloads within this long of the order's last gateway look-up answer from what we know instead
 * of asking again: a buyer pressing reload (or the page refreshing itself) during an outage costs
 * at most one gateway call per window, not one per reload.
 */
export const REDIRECT_COALESCE_MS = 15_000;

export type RedirectOutcome =
  | { kind: 'unknown_store'; message: MessageKey }
  /** The store is archived: the hit is kept as evidence, the buyer is told, nothing is verified (410). */
  | { kind: 'gone'; message: MessageKey }
  | { kind: 'bad_request'; status: 400 | 414; message: MessageKey }
  | { kind: 'landing'; location: string; status: OrderStatus }
  | {
      kind: 'confirming';
      merchantUid: string | null;
      /** Seconds until the page reloads itself; null once the buyer has waited `buyerWaitSeconds`. */
      refreshSeconds: number | null;
    };

/**
 * Where the buyer goes for a verified status: the store's landing URL or our result page. A failure
 * the buyer's window reported and the gateway has not confirmed (the order stays pending, decision
 * 0010) goes to the failure page with `confirmed=false`, so the shop's page can say it is not final.
 */
export function landingLocation(
  store: Store,
  merchantUid: string,
  status: OrderStatus,
  options: { unconfirmed?: boolean } = {},
): string | null {
  const target =
    status === 'paid'
      ? store.landing.success
      : status === 'vbank_issued'
        ? store.landing.pending
        : status === 'pending'
          ? null
          : store.landing.failure;
  const base = target ?? `/payments/${encodeURIComponent(store.slug)}/result`;
  if (status === 'pending') return null;
  const url = new URL(base, 'http://relative.invalid');
  url.searchParams.set('merchant_uid', merchantUid);
  url.searchParams.set('status', status);
  if (options.unconfirmed) url.searchParams.set('confirmed', 'false');
  return target ? url.toString() : `${url.pathname}${url.search}`;
}

/**
 * The redirect-result flow: store the raw hit, verify synchronously with a short timeout, and
 * say where the buyer goes. A slow or failing gateway leaves the order `unverified` for the job
 * and the buyer on a "confirming" page; a repeated hit is recorded and changes nothing twice.
 */
export async function captureRedirect(
  deps: MonitorDeps,
  input: { storeSlug: string; rawQuery: string; ip: string; userAgent: string | null },
): Promise<RedirectOutcome> {
  const store = await getStore(deps, input.storeSlug);
  if (!store) {
    // Not evidence of anything we monitor: counted per slug, never stored in full.
    await countUnknownStore(deps, input.storeSlug, 'redirect');
    deps.metrics.inc('monitor_redirects_total', { outcome: 'unknown_store' });
    return { kind: 'unknown_store', message: 'buyer.error.unknownStore' };
  }
  const truncated = input.rawQuery.length > MAX_QUERY_LENGTH;
  const rawQuery = truncated ? input.rawQuery.slice(0, MAX_QUERY_LENGTH) : input.rawQuery;
  const parsed = parseRedirectQuery(rawQuery);
  const order: OrderRow | undefined = !store
    ? undefined
    : parsed.merchantUid
      ? await findOrder(deps.db, store.id, parsed.merchantUid)
      : parsed.impUid
        ? await findOrderByImpUid(deps.db, store.id, parsed.impUid)
        : undefined;
  const hit = await insertRedirectHit(deps.db, {
    store_slug: input.storeSlug.slice(0, 100),
    store_id: store?.id ?? null,
    order_id: order?.id ?? null,
    received_at: toDbTime(deps.now()),
    query_string: rawQuery,
    query_truncated: truncated ? 1 : 0,
    ip: input.ip,
    user_agent: input.userAgent?.slice(0, 1000) ?? null,
    parse_error: truncated ? `query string longer than ${MAX_QUERY_LENGTH} characters` : parsed.parseError,
    imp_uid: parsed.impUid,
    merchant_uid: parsed.merchantUid,
    flag_kind: parsed.flag.kind,
    flag_value: parsed.flag.value === null ? null : String(parsed.flag.value),
    error_code: parsed.errorCode,
    error_msg: parsed.errorMsg,
  });

  const outcome = await decideRedirect(deps, { store, parsed, truncated, hitId: hit.id, order: order ?? null });
  deps.metrics.inc('monitor_redirects_total', { outcome: outcome.kind === 'landing' ? outcome.status : outcome.kind });
  return outcome;
}

async function decideRedirect(
  deps: MonitorDeps,
  args: { store: Store | null; parsed: ParsedRedirect; truncated: boolean; hitId: number; order: OrderRow | null },
): Promise<RedirectOutcome> {
  const { store, parsed, order } = args;
  if (!store) return { kind: 'unknown_store', message: 'buyer.error.unknownStore' };
  if (store.archivedAt) return { kind: 'gone', message: 'buyer.error.storeArchived' };
  if (args.truncated) return { kind: 'bad_request', status: 414, message: 'buyer.error.tooLong' };
  if (!parsed.impUid && !parsed.merchantUid) return { kind: 'bad_request', status: 400, message: 'buyer.error.noIds' };

  const merchantUid = order?.merchant_uid ?? parsed.merchantUid;
  const now = deps.now().getTime();
  const first = await firstRedirectAt(deps.db, { storeId: store.id, merchantUid, orderId: order?.id ?? null });
  const waitedMs = first ? now - (fromDbTime(first) as Date).getTime() : 0;
  const refreshSeconds = waitedMs >= deps.config.buyerWaitSeconds * 1000 ? null : CONFIRMING_REFRESH_SECONDS;
  const confirming = (uid: string | null): RedirectOutcome => ({
    kind: 'confirming',
    merchantUid: uid,
    refreshSeconds,
  });

  // Coalesce: the order was looked up moments ago (by this buyer's last reload, the webhook or
  // the job); what we know now is as good as another call would be during that window.
  if (order) {
    const lastCheck = await lastGatewayCheckAt(deps.db, order.id);
    if (lastCheck && now - (fromDbTime(lastCheck) as Date).getTime() < REDIRECT_COALESCE_MS) {
      deps.metrics.inc('monitor_redirect_coalesced_total', {});
      const status = order.status;
      const location = landingLocation(store, order.merchant_uid, status);
      return location ? { kind: 'landing', location, status } : confirming(order.merchant_uid);
    }
  }
  const claimsFailure = parsed.flag.value === false || parsed.errorCode !== null;
  try {
    // An unregistered order costs gateway calls: within the store's budget, or later by the job.
    const admission = await admitEvidence(deps, store, {
      impUid: parsed.impUid,
      merchantUid: parsed.merchantUid,
      claimsFailure,
      redirectHitId: args.hitId,
    });
    if (admission === 'deferred') {
      const failure =
        claimsFailure && parsed.merchantUid
          ? landingLocation(store, parsed.merchantUid, 'failed', { unconfirmed: true })
          : null;
      return failure ? { kind: 'landing', location: failure, status: 'failed' } : confirming(parsed.merchantUid);
    }
    const result = await verifyPayment(deps, {
      store,
      trigger: 'redirect',
      impUid: parsed.impUid,
      merchantUid: parsed.merchantUid,
      redirectHitId: args.hitId,
      redirectFlag: parsed.flag,
      redirectClaimsFailure: claimsFailure,
      timeoutMs: REDIRECT_GATEWAY_TIMEOUT_MS,
    });
    // The buyer said the window failed and the gateway has no payment: the buyer sees the failure
    // page at once, while the order itself stays pending until the gateway settles it (decision 0010).
    if (!result.settled && result.merchantUid && result.openReasons.includes('unconfirmed_failure')) {
      const location = landingLocation(store, result.merchantUid, 'failed', { unconfirmed: true });
      if (location) return { kind: 'landing', location, status: 'failed' };
    }
    if (!result.settled || !result.merchantUid || !result.status) return confirming(result.merchantUid);
    const location = landingLocation(store, result.merchantUid, result.status);
    return location ? { kind: 'landing', location, status: result.status } : confirming(result.merchantUid);
  } catch (error) {
    // The buyer never sees an error page for our fault: the hit is stored, the job will settle it.
    deps.log.error({ err: error, hit: args.hitId }, 'redirect verification failed');
    return confirming(merchantUid);
  }
}
