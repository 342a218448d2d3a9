import { inTransaction } from '../../../db/connection';
import { lockOrderRow } from '../../../db/dialect';
import type { OrderRow } from '../../../db/monitor-schema';
import { findOrderById, openReason, openReasonsOf, resolveReasons, updateOrder } from '../../../db/orders';
import type { LedgerEvent } from './ledger-events';
import { nextCheck } from './schedule';
import type { AttentionReason, OrderStatus } from '../status';
import { fromDbTime, toDbTime } from '../time';
import type { MonitorDeps } from './verify.server';

/**
 * Reasons that time (not a gateway answer) opens: `redirect_without_webhook`, `stale_pending`,
 * `vbank_overdue`, and the sweep's `orphan_payment`. Opening or resolving one re-plans the
 * order's next check with the same `nextCheck` verification uses, under the same row lock, so
 * `next_check_at`, `check_attempts` and `open_reason_count` always agree with the open reasons.
 */

/** Statuses for which Iamport sends a webhook (a payment or an issued vbank): reference §5.1. */
export const WEBHOOK_EXPECTED_STATUSES: readonly OrderStatus[] = [
  'paid',
  'vbank_issued',
  'mismatch',
  'partially_cancelled',
];

type ReasonDeps = Pick<MonitorDeps, 'db' | 'now' | 'config' | 'ledgerListeners'>;

type ReasonEvent =
  | { type: 'reason_opened'; reason: AttentionReason; detail: string }
  | { type: 'reason_resolved'; reason: AttentionReason; by: string };

async function replan(deps: ReasonDeps, trx: ReasonDeps['db'], order: OrderRow, at: string): Promise<OrderRow> {
  const open = new Set((await openReasonsOf(trx, order.id)).map((r) => r.reason as AttentionReason));
  const plan = nextCheck({
    now: deps.now(),
    status: order.status as OrderStatus,
    openReasons: open,
    attempts: order.check_attempts,
    vbankDueAt: fromDbTime(order.vbank_due_at),
  });
  return updateOrder(trx, order.id, {
    next_check_at: plan.nextCheckAt ? toDbTime(plan.nextCheckAt) : null,
    check_attempts: plan.attempts,
    open_reason_count: open.size,
    updated_at: at,
  });
}

/**
 * Runs `change` on the order under its row lock, and re-plans its next check when `change` says
 * it changed a reason. Resolves false when the order is gone.
 */
function changeReasonsLocked(
  deps: ReasonDeps,
  orderId: number,
  change: (trx: ReasonDeps['db'], at: string) => Promise<boolean>,
  event?: ReasonEvent,
): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    await lockOrderRow(trx, deps.config.database.dialect, orderId);
    const order = await findOrderById(trx, orderId);
    if (!order) return false;
    const at = toDbTime(deps.now());
    const changed = await change(trx, at);
    if (changed) {
      const after = await replan(deps, trx, order, at);
      // Until the order ledger lands (it will emit these itself): tell the listeners, in this transaction.
      if (event && deps.ledgerListeners?.length) {
        const ledgerEvent: LedgerEvent = {
          ...event,
          orderId: after.id,
          storeId: after.store_id,
          merchantUid: after.merchant_uid,
          status: after.status as OrderStatus,
          expectedAmount: after.expected_amount,
          paidAmount: after.paid_amount,
          currency: after.currency,
          trigger: 'time',
          at,
        };
        for (const listener of deps.ledgerListeners) await listener(trx, [ledgerEvent]);
      }
    }
    return changed;
  });
}

/** Opens `reason` on the order unless it is already open; returns whether it opened now. */
export async function openTimedReason(
  deps: ReasonDeps,
  orderId: number,
  reason: AttentionReason,
  detail: string,
): Promise<boolean> {
  return changeReasonsLocked(
    deps,
    orderId,
    (trx, at) => openReason(trx, { order_id: orderId, reason, opened_at: at, detail }),
    { type: 'reason_opened', reason, detail },
  );
}

/** Resolves an open reason that time or new evidence explained; returns whether one was open. */
export async function resolveTimedReason(
  deps: ReasonDeps,
  orderId: number,
  reason: AttentionReason,
  by: string,
  note: string,
): Promise<boolean> {
  return changeReasonsLocked(
    deps,
    orderId,
    async (trx, at) => (await resolveReasons(trx, orderId, [reason], at, by, note)).length > 0,
    { type: 'reason_resolved', reason, by },
  );
}

/** A vbank still waiting for its deposit after its due date (pure, for the job's decision). */
export function isVbankOverdue(order: Pick<OrderRow, 'status' | 'vbank_due_at'>, now: Date): boolean {
  const due = fromDbTime(order.vbank_due_at);
  return order.status === 'vbank_issued' && due !== null && due.getTime() <= now.getTime();
}

/**
 * The span of creation/receipt times that crossed a line `lagSeconds` before "now" since the
 * previous run: `(previousEnd − lag − overlap, now − lag]`. Pure; times as ISO strings.
 */
export function crossedWindow(input: { previousEnd: Date; now: Date; lagSeconds: number; overlapMs: number }): {
  from: string;
  to: string;
} {
  const lag = input.lagSeconds * 1000;
  return {
    from: toDbTime(new Date(input.previousEnd.getTime() - lag - input.overlapMs)),
    to: toDbTime(new Date(input.now.getTime() - lag)),
  };
}
