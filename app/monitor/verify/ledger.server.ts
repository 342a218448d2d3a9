import { inTransaction } from '../../../db/connection';
import { dialectOf, lockOrderWithOpenReasons } from '../../../db/dialect';
import { insertVerification } from '../../../db/evidence';
import type { OrderRow } from '../../../db/monitor-schema';
import { openReason, resolveReasons, updateOrder } from '../../../db/orders';
import type { LedgerDeps } from '../deps';
import { toDbTime } from '../time';
import type { LedgerEvent } from './ledger-events';
import { planChange, type LedgerChange, type Plan } from './plan';

export type Applied = {
  /** The order as it was under the lock, before the change. */
  before: OrderRow;
  /** The order once the change is applied (the same row when the plan was a no-op). */
  order: OrderRow;
  plan: Plan;
};

/**
 * The order ledger: the one place that writes an order's status, its attention reasons (open and
 * resolve), `open_reason_count`, `next_check_at` and `check_attempts`. Every change, whatever
 * started it (redirect, webhook, schedule, sweep, a person), comes here: under the order's lock
 * (joining the caller's transaction when it holds one) it reads the order and its open reasons,
 * asks the pure planner what to write, writes exactly that, and hands what happened to every
 * ledger listener inside the same transaction (a listener that throws undoes the change).
 * Resolves null when the order does not exist.
 */
export function changeOrder(deps: LedgerDeps, orderId: number, change: LedgerChange): Promise<Applied | null> {
  return inTransaction(deps.db, async (trx) => {
    const locked = await lockOrderWithOpenReasons(trx, dialectOf(trx), orderId);
    if (!locked) return null;
    const { order: before, open: openRows } = locked;
    const open = new Set(openRows.map((r) => r.reason));
    const openSince = new Map(openRows.map((r) => [r.reason, r.opened_at] as const));
    const now = deps.now();
    const plan = planChange({ order: before, open, openSince, change, now });
    if (plan.noop) return { before, order: before, plan };

    const at = toDbTime(now);
    for (const { reason, detail, resolvedBy } of plan.insert) {
      await openReason(trx, {
        order_id: orderId,
        reason,
        opened_at: at,
        detail,
        ...(resolvedBy ? { resolved_at: at, resolved_by: resolvedBy } : {}),
      });
    }
    await resolveReasons(trx, orderId, plan.resolve.reasons, at, plan.resolve.by, plan.resolve.note);
    const order = await updateOrder(trx, orderId, plan.orderUpdate);
    if (plan.verification) await insertVerification(trx, { order_id: orderId, ...plan.verification });

    const events = eventsOf(before, order, plan, change, at);
    if (events.length > 0) for (const listener of deps.ledgerListeners) await listener(trx, events);
    return { before, order, plan };
  });
}

function eventsOf(before: OrderRow, order: OrderRow, plan: Plan, change: LedgerChange, at: string): LedgerEvent[] {
  const ref = {
    orderId: order.id,
    storeId: order.store_id,
    merchantUid: order.merchant_uid,
    status: order.status,
    expectedAmount: order.expected_amount,
    paidAmount: order.paid_amount,
    currency: order.currency,
    trigger: triggerOf(change),
    at,
  } as const;
  const events: LedgerEvent[] = [];
  if (before.status !== order.status)
    events.push({ ...ref, type: 'status_changed', from: before.status, to: order.status });
  for (const { reason, detail, resolvedBy } of plan.insert) {
    events.push({ ...ref, type: 'reason_opened', reason, detail });
    if (resolvedBy) events.push({ ...ref, type: 'reason_resolved', reason, by: resolvedBy });
  }
  for (const reason of plan.resolve.reasons)
    events.push({ ...ref, type: 'reason_resolved', reason, by: plan.resolve.by });
  return events;
}

function triggerOf(change: LedgerChange): LedgerEvent['trigger'] {
  if (change.kind === 'observation') return change.trigger;
  if (change.kind === 'person_resolve') return 'person';
  return (change.kind === 'open' ? change.trigger : undefined) ?? 'time';
}
