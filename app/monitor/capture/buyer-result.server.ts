import { findOrder, openReasonsOf } from '../../../db/orders';
import { latestPaymentOf, vbankFacts, type VbankFacts } from '../payment-facts.server';
import { orderAmounts } from '../amounts';
import type { OrderStatus } from '../status';
import { getStore, type Store } from '../stores/stores.server';
import { fromDbTime } from '../time';
import type { MonitorDeps } from '../deps';

/** A virtual account to pay into, exactly as the gateway issued it. */
export type BuyerVbank = VbankFacts;

/**
 * `failure_reported`: the buyer's payment window reported a failure the gateway has not confirmed
 * yet (decision 0010). The buyer sees the failure page at once, worded so that the shop still
 * confirms it, while the order itself stays `pending` in the ledger.
 */
export type BuyerStatus = OrderStatus | 'failure_reported' | 'unknown';

export type BuyerResult = {
  /** `archived`: the store was archived (the page answers 410 and says so). */
  status: BuyerStatus | 'archived';
  merchantUid: string | null;
  /** What the buyer paid (or was refunded) according to the gateway; null when nothing was paid. */
  amount: { paid: number | null; refunded: number | null; currency: string } | null;
  /** Set while a virtual account waits for its deposit (from the gateway's answer, never the query string). */
  vbank: BuyerVbank | null;
  /** Where "back to the shop" goes: the origin of the store's own landing pages, when it set any. */
  shopUrl: string | null;
};

export const UNKNOWN_RESULT: BuyerResult = {
  status: 'unknown',
  merchantUid: null,
  amount: null,
  vbank: null,
  shopUrl: null,
};
export const ARCHIVED: BuyerResult = { ...UNKNOWN_RESULT, status: 'archived' };

/** The origin of the first landing URL the store configured: the shop's own site. */
export function shopUrlOf(store: Store): string | null {
  for (const url of [store.landing.success, store.landing.failure, store.landing.pending]) {
    if (!url) continue;
    try {
      return `${new URL(url).origin}/`;
    } catch {
      // stored URLs are validated; an unreadable one is skipped
    }
  }
  return null;
}

/**
 * What the buyer may see about their own order: our verified status (never the query's claim),
 * the amount the gateway says was paid or refunded, and for an issued virtual account its bank,
 * number, holder, amount and deadline from the gateway's answer.
 *
 * A failure the buyer's browser reported and the gateway has not confirmed shows as
 * `failure_reported` while the order is pending: either its `unconfirmed_failure` reason is open,
 * or `reportedFailure` (the signed link says the redirect route sent the buyer to the failure page,
 * e.g. for an unregistered order whose look-up waits for the job). Once the gateway settles the
 * order, its verified status shows instead, whatever the link says.
 */
export async function buyerResult(
  deps: Pick<MonitorDeps, 'db' | 'now'>,
  storeSlug: string,
  merchantUid: string,
  options: { reportedFailure?: boolean } = {},
): Promise<BuyerResult> {
  const store = await getStore(deps, storeSlug);
  if (store?.archivedAt) return ARCHIVED;
  const order = store && merchantUid ? await findOrder(deps.db, store.id, merchantUid) : undefined;
  if (store && !order && options.reportedFailure)
    return { status: 'failure_reported', merchantUid, amount: null, vbank: null, shopUrl: shopUrlOf(store) };
  if (!store || !order) return UNKNOWN_RESULT;
  if (order.status === 'pending') {
    const reported =
      options.reportedFailure === true ||
      (await openReasonsOf(deps.db, order.id)).some((r) => r.reason === 'unconfirmed_failure');
    if (reported)
      return {
        status: 'failure_reported',
        merchantUid: order.merchant_uid,
        amount: null,
        vbank: null,
        shopUrl: shopUrlOf(store),
      };
  }
  const status = order.status;
  const payment = status === 'pending' || status === 'failed' ? null : await latestPaymentOf(deps, order);
  const currency = payment?.currency ?? order.currency;
  const amounts = orderAmounts({
    status,
    paidAmount: order.paid_amount,
    cancelAmount: order.cancel_amount,
    expectedAmount: order.expected_amount,
  });
  const paid = amounts.paid;
  const refunded = amounts.refunded ? amounts.refunded : null;
  const vbank: BuyerVbank | null =
    status === 'vbank_issued'
      ? vbankFacts(
          payment,
          {
            dueAt: order.vbank_due_at ? (fromDbTime(order.vbank_due_at) as Date) : null,
            amount: amounts.awaitingDeposit,
            currency,
          },
          deps.now(),
        )
      : null;
  return {
    status,
    merchantUid: order.merchant_uid,
    amount: paid === null && refunded === null ? null : { paid, refunded, currency },
    vbank,
    shopUrl: shopUrlOf(store),
  };
}
