import { countUnknownStoreHit, orderExistsFor, queueUnverifiedEvidence, takeFromWindow } from '../../../db/integrity';
import type { Store } from '../stores/stores.server';
import { toDbTime } from '../time';
import type { CaptureDeps as MonitorDeps } from '../deps';

/**
 * The budget for unregistered orders (issue 10). Evidence naming a `merchant_uid` (or `imp_uid`)
 * the store has no order for is always stored, but looking it up at the gateway (and creating
 * the order) costs real calls, and anyone can send it. So each store gets a fixed number of such
 * look-ups per minute, counted in the database (`rate_window`, one atomic upsert per unit), so
 * the bound holds across concurrent requests and app instances. Evidence past the budget is
 * queued, coalesced per id (`unverified_evidence`), and the scheduled job verifies it later from
 * the same budget.
 *
 * Bound: per store and per minute window, at most `unknownOrdersPerMinute` admissions, each at
 * most two gateway calls (the look-up, and the prepare record for a new order) and one order.
 */

export const UNKNOWN_ORDER_SCOPE = 'unknown_order';
export const UNKNOWN_ORDER_WINDOW_MS = 60_000;

export type Admission = 'known' | 'admitted' | 'deferred';

export type EvidenceIds = { impUid: string | null; merchantUid: string | null };

type BudgetDeps = Pick<MonitorDeps, 'db' | 'now' | 'config'>;

export function budgetWindowStart(now: Date): string {
  return toDbTime(new Date(Math.floor(now.getTime() / UNKNOWN_ORDER_WINDOW_MS) * UNKNOWN_ORDER_WINDOW_MS));
}

/** Takes one unit of the store's unknown-order budget for the current minute. */
export function takeUnknownOrderBudget(deps: BudgetDeps, store: Pick<Store, 'id'>): Promise<boolean> {
  return takeFromWindow(deps.db, {
    scope: UNKNOWN_ORDER_SCOPE,
    key: String(store.id),
    windowStart: budgetWindowStart(deps.now()),
    limit: deps.config.limits.unknownOrdersPerMinute,
  });
}

/**
 * Whether evidence may be verified now: `known` (the store has the order: no budget needed),
 * `admitted` (unknown, within the budget), or `deferred` (unknown, past the budget: queued for the
 * scheduled job, nothing asked of the gateway).
 */
export async function admitEvidence(
  deps: Pick<MonitorDeps, 'db' | 'now' | 'config' | 'metrics'>,
  store: Pick<Store, 'id'>,
  evidence: EvidenceIds & {
    claimsFailure?: boolean;
    redirectHitId?: number | null;
    webhookDeliveryId?: number | null;
  },
): Promise<Admission> {
  if (evidence.merchantUid === null && evidence.impUid === null) return 'known';
  if (await orderExistsFor(deps.db, store.id, evidence)) return 'known';
  if (await takeUnknownOrderBudget(deps, store)) {
    deps.metrics.inc('monitor_unknown_evidence_total', { outcome: 'admitted' });
    return 'admitted';
  }
  await queueUnverifiedEvidence(deps.db, {
    storeId: store.id,
    impUid: evidence.impUid,
    merchantUid: evidence.merchantUid,
    claimsFailure: evidence.claimsFailure === true,
    redirectHitId: evidence.redirectHitId ?? null,
    webhookDeliveryId: evidence.webhookDeliveryId ?? null,
    at: toDbTime(deps.now()),
  });
  deps.metrics.inc('monitor_unknown_evidence_total', { outcome: 'deferred' });
  return 'deferred';
}

/** Longest slug kept in the per-slug count of requests for stores that do not exist. */
export const MAX_UNKNOWN_SLUG_LENGTH = 64;

/** Counts a request for a store slug that does not exist (metric and a small per-slug row). */
export async function countUnknownStore(
  deps: Pick<MonitorDeps, 'db' | 'now' | 'metrics'>,
  slug: string,
  route: 'redirect' | 'webhook',
): Promise<void> {
  deps.metrics.inc('monitor_unknown_store_requests_total', { route });
  await countUnknownStoreHit(deps.db, {
    slug: slug.slice(0, MAX_UNKNOWN_SLUG_LENGTH),
    route,
    at: toDbTime(deps.now()),
  });
}
