import { inTransaction } from '../../../db/connection';
import { dialectOf, lockOrderWithOpenReasons, writeLedgerChange } from '../../../db/dialect';
import type { OrderRow } from '../../../db/monitor-schema';
import { latestResolutionsOf, openReason } from '../../../db/orders';
import type { LedgerDeps } from '../deps';
import { toDbTime } from '../time';
import type { LedgerEvent } from './ledger-events';
import type { AttentionReason } from '../status';
import { openFacts, planChange, type LedgerChange, type PersonResolution, type Plan } from './plan';

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
    const { order: before } = locked;
    const { open, openSince } = openFacts(locked.open);
    const now = deps.now();
    let plan = planChange({ order: before, open, openSince, change, now });
    // Only when the change would open something: was it resolved by a person against this same answer?
    const opening = plan.insert.filter((r) => r.resolvedBy === null).map((r) => r.reason);
    if (opening.length > 0) {
      const resolutions = await personResolutions(trx, orderId, opening);
      if (resolutions.size > 0) plan = planChange({ order: before, open, openSince, change, now, resolutions });
    }
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
    const { reasons, by, note, answer } = plan.resolve;
    const order = await writeLedgerChange(trx, dialectOf(trx), {
      orderId,
      orderUpdate: plan.orderUpdate,
      resolve: { reasons, at, by, note, answer },
      verification: plan.verification,
    });

    const events = eventsOf(before, order, plan, change, at);
    if (events.length > 0) for (const listener of deps.ledgerListeners) await listener(trx, events);
    return { before, order, plan };
  });
}

/** The latest resolution of each reason, when a person made it (it carries the answer they judged). */
async function personResolutions(
  trx: LedgerDeps['db'],
  orderId: number,
  reasons: AttentionReason[],
): Promise<Map<AttentionReason, PersonResolution>> {
  const latest = await latestResolutionsOf(trx, orderId, reasons);
  const byPerson = new Map<AttentionReason, PersonResolution>();
  for (const row of latest)
    if (row.resolved_answer !== null && row.resolved_by !== null)
      byPerson.set(row.reason, { by: row.resolved_by, answer: row.resolved_answer });
  return byPerson;
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
