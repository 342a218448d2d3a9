import type { OrderRow } from '../../../db/monitor-schema';
import { findOrdersByMerchantUids } from '../../../db/job-candidates';
import { lastWindowEnd } from '../../../db/runs';
import { AppError } from '../../errors';
import type { Payment, PaymentStatus, Sorting } from '../../iamport/types';
import { statusForPayment, type ObservedPayment, type OrderFacts } from '../verify/decide';
import { describeFailure } from './gateway-manners';
import { sweepOwnership } from '../stores/shared-merchant.server';
import { openTimedReason } from '../verify/timed-reasons.server';
import {
  executeRun,
  FIRST_WINDOW_MS,
  WINDOW_OVERLAP_MS,
  type JobDeps,
  type RunOptions,
  type RunSummary,
  type StoreRun,
} from './run-frame.server';
import { MONEY_HELD, MONEY_MOVED } from '../status';
import { fromDbTime, toDbTime } from '../time';
import { orderFacts } from '../verify/plan';
import { verifyPayment } from '../verify/verify.server';

/** The gateway lists at most 90 days per request (iamport-facts §3.5). */
export const MAX_LIST_WINDOW_MS = 90 * 24 * 3600_000;
/** The gateway's largest page. */
export const PAGE_SIZE = 1000;

/**
 * Listed statuses and the sort that keeps pages stable while we read them: ascending by the time
 * the gateway filters that status on (iamport-facts §3.5: ready → started, paid → paid, cancelled →
 * its last change), so payments arriving meanwhile land after the window, not between pages.
 */
export const SWEPT_STATUSES: readonly { status: PaymentStatus; sorting: Sorting }[] = [
  { status: 'paid', sorting: 'paid' },
  { status: 'ready', sorting: 'started' },
  { status: 'cancelled', sorting: 'updated' },
];

export type SweepOptions = RunOptions & {
  /** An explicit window for every store (CLI `--from/--to`); otherwise each store's own. */
  from?: Date;
  to?: Date;
};

export type SweepVerdict =
  /** Nothing here knows the payment and money moved: create the order from the gateway, flag it. */
  | { kind: 'unknown'; detail: string }
  /** We have the order but our status disagrees with the gateway: verify, flag it. */
  | { kind: 'disagrees'; detail: string }
  /** A second payment holding money for an order already paid by another imp_uid: flag it only. */
  | { kind: 'second_payment'; detail: string }
  | { kind: 'agrees' }
  /** Nothing to chase (an abandoned window, an old failed attempt, a refund of an unknown attempt). */
  | { kind: 'ignored' };

/**
 * What one payment listed by the gateway means for us. Pure. `paid_at` matters for a cancelled
 * payment we never knew: it had been paid, so it is worth a person's look.
 */
export function classifySweptPayment(
  payment: ObservedPayment & { paidAt: Date | null },
  order: (OrderFacts & { impUid: string | null }) | null,
): SweepVerdict {
  if (!order) {
    const judged = statusForPayment(payment, { expectedAmount: null, currency: payment.currency });
    if (MONEY_HELD.has(judged.status) || (judged.status === 'cancelled' && payment.paidAt !== null)) {
      return {
        kind: 'unknown',
        detail: `the gateway has ${payment.impUid} (${payment.status}, ${payment.amount} ${payment.currency}) for a merchant_uid never registered here`,
      };
    }
    return { kind: 'ignored' };
  }
  const judged = statusForPayment(payment, order);
  const sameAttempt = order.impUid === null || order.impUid === payment.impUid;
  if (!sameAttempt) {
    if (MONEY_HELD.has(order.status) && MONEY_HELD.has(judged.status)) {
      return {
        kind: 'second_payment',
        detail: `the gateway also has ${payment.impUid} (${payment.status}, ${payment.amount} ${payment.currency}) for this order, already settled with ${order.impUid}`,
      };
    }
    // An older attempt never undoes a newer one that moved money (decide's `stale_attempt`).
    if (MONEY_MOVED.has(order.status) || !MONEY_MOVED.has(judged.status)) return { kind: 'ignored' };
  }
  if (judged.status === order.status) return { kind: 'agrees' };
  if (!MONEY_MOVED.has(judged.status)) return { kind: 'ignored' };
  return {
    kind: 'disagrees',
    detail: `the gateway says ${payment.status} (${judged.status} here) for ${payment.impUid}; we had ${order.status}`,
  };
}

/** Splits [from, to] into pieces the gateway accepts. */
export function splitWindow(from: Date, to: Date, maxMs = MAX_LIST_WINDOW_MS): { from: Date; to: Date }[] {
  const pieces: { from: Date; to: Date }[] = [];
  for (let start = from.getTime(); start < to.getTime(); start += maxMs) {
    pieces.push({ from: new Date(start), to: new Date(Math.min(start + maxMs, to.getTime())) });
  }
  return pieces;
}

/**
 * The reverse sweep: per store (one sweep at a time across processes, under the `sweep` lease),
 * pages through the gateway's `paid`, `ready` and `cancelled` payments of the window since the
 * store's last complete sweep (minus a 10-minute overlap; the first sweep looks back 24 h) up to
 * now minus the store's webhook grace (a payment made a minute ago is not an orphan yet), and
 * opens `orphan_payment` for money the store never registered (the order is created from the
 * gateway's record by `verifyPayment`, trigger `sweep`, like any evidence for an unknown
 * merchant_uid) or whose local status disagrees (verified, so the gateway's truth is applied).
 * Each store's window is recorded; a store whose listing failed keeps its old window start, so
 * the next sweep covers the gap. `dryRun` lists and reports without verifying or opening anything.
 */
export async function runSweep(deps: JobDeps, options: SweepOptions): Promise<RunSummary> {
  if (options.from && options.to && options.from.getTime() >= options.to.getTime())
    throw new AppError('bad_request', '--from must be before --to');
  if (options.to && options.to.getTime() > deps.now().getTime())
    throw new AppError('bad_request', '--to cannot be in the future');
  const explicit = options.from || options.to;
  return executeRun(
    deps,
    {
      kind: 'sweep',
      options,
      window:
        explicit && options.from ? { from: toDbTime(options.from), to: toDbTime(options.to ?? deps.now()) } : null,
    },
    (run) => sweepStore(run, options),
  );
}

async function sweepStore(run: StoreRun, options: SweepOptions): Promise<void> {
  const { store, deps } = run;
  const now = deps.now();
  let from: Date;
  if (options.from) from = options.from;
  else {
    const previous = await lastWindowEnd(deps.db, store.id, 'sweep');
    from = previous
      ? new Date((fromDbTime(previous) as Date).getTime() - WINDOW_OVERLAP_MS)
      : new Date(now.getTime() - FIRST_WINDOW_MS);
  }
  const to = options.to ?? new Date(now.getTime() - store.webhookGraceSeconds * 1000);
  run.setWindow(toDbTime(from), toDbTime(to));
  if (from.getTime() >= to.getTime()) {
    run.windowDone();
    return;
  }

  let examined = 0;
  for (const { status, sorting } of SWEPT_STATUSES) {
    for (const piece of splitWindow(from, to)) {
      for (let page = 1; ; page++) {
        await run.checkpoint();
        const call = await run.call(
          { operation: 'listPaymentsByStatus', trigger: 'sweep', orderId: null, impUid: null, merchantUid: null },
          (client) =>
            client.listPaymentsByStatus(status, { from: piece.from, to: piece.to, limit: PAGE_SIZE, sorting, page }),
        );
        if (!call) return; // the breaker is open: the store's one error says why
        const { result } = call;
        if (!result.ok) {
          // No payment in the window is a 404 at some gateways; an empty page is the end.
          if (result.error.notFound) break;
          if (!run.breaker.unavailable)
            run.fail(
              `listing ${status} payments failed: ${describeFailure(result)}; the next sweep covers this window again`,
            );
          return;
        }
        const payments = result.value.payments;
        await examinePage(run, payments, call.checkId);
        examined += payments.length;
        run.progress('sweep', examined, Math.max(examined, result.value.total));
        if (payments.length < PAGE_SIZE || page * PAGE_SIZE >= result.value.total) break;
      }
    }
  }
  run.windowDone();
}

async function examinePage(run: StoreRun, payments: Payment[], checkId: number): Promise<void> {
  const { store, deps } = run;
  const orders = await findOrdersByMerchantUids(deps.db, store.id, [...new Set(payments.map((p) => p.merchantUid))]);
  // The gateway lists the whole merchant account: payments another store on the same merchant
  // code registered are theirs (their own sweep checks them), not orphans of this store.
  const ownership = await sweepOwnership(
    deps,
    store,
    [...new Set(payments.map((p) => p.merchantUid))].filter((uid) => !orders.has(uid)),
  );
  for (const payment of payments) {
    const order: OrderRow | undefined = orders.get(payment.merchantUid);
    if (!order && (ownership.knownElsewhere.has(payment.merchantUid) || !ownership.claimsUnknown)) {
      run.countExamined(1);
      continue;
    }
    const verdict = classifySweptPayment(payment, order ? orderFacts(order) : null);
    if (verdict.kind === 'agrees' || verdict.kind === 'ignored') {
      run.countExamined(1);
      if (verdict.kind === 'agrees') run.settled();
      continue;
    }
    const base = {
      orderId: order?.id ?? null,
      merchantUid: payment.merchantUid,
      impUid: payment.impUid,
      statusBefore: order?.status ?? null,
    };
    try {
      if (run.dryRun) {
        const judged = statusForPayment(payment, {
          expectedAmount: order?.expected_amount ?? null,
          currency: order?.currency ?? payment.currency,
        });
        await run.item({
          ...base,
          statusAfter: verdict.kind === 'second_payment' ? base.statusBefore : judged.status,
          outcome: judged.outcome,
          reasonsOpened: ['orphan_payment'],
        });
        continue;
      }
      let orderId = order?.id ?? null;
      let statusAfter = base.statusBefore;
      let outcome: Parameters<StoreRun['item']>[0]['outcome'] = 'reason_opened';
      const opened: Parameters<StoreRun['item']>[0]['reasonsOpened'] = [];
      if (verdict.kind !== 'second_payment') {
        const result = await verifyPayment(deps, {
          store,
          trigger: 'sweep',
          impUid: payment.impUid,
          merchantUid: payment.merchantUid,
          prefetched: { observation: { kind: 'found', payment }, payment, checkId },
        });
        orderId = result.orderId;
        statusAfter = result.status;
        outcome = result.outcome;
        if (result.settled) run.settled();
        if (!order && result.openReasons.includes('unknown_order')) opened.push('unknown_order');
      }
      if (orderId !== null && (await openTimedReason(deps, orderId, 'orphan_payment', verdict.detail, 'sweep')))
        opened.push('orphan_payment');
      await run.item({ ...base, orderId, statusAfter, outcome, reasonsOpened: opened });
    } catch (error) {
      await run.orderError({ ...base, statusAfter: null, reasonsOpened: [] }, error);
    }
  }
}
