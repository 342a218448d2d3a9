import type { OrderRow } from '../../../db/monitor-schema';
import type { LedgerDeps } from '../deps';
import type { AttentionReason, OrderStatus, Trigger } from '../status';
import { fromDbTime, toDbTime } from '../time';
import { changeOrder } from './ledger.server';

/**
 * Reasons that time (not a gateway answer) opens: `redirect_without_webhook`, `stale_pending`,
 * `vbank_overdue`, and the sweep's `orphan_payment`. Opening or resolving one goes through the
 * order ledger, which re-plans the order's next check with the same `nextCheck` verification
 * uses, under the same row lock, so `next_check_at`, `check_attempts` and `open_reason_count`
 * always agree with the open reasons.
 */

/** Statuses for which Iamport sends a webhook (a payment or an issued vbank): iamport-facts §5.1. */
export const WEBHOOK_EXPECTED_STATUSES: readonly OrderStatus[] = [
  'paid',
  'vbank_issued',
  'mismatch',
  'partially_cancelled',
];

/** Opens `reason` on the order unless it is already open; returns whether it opened now. */
export async function openTimedReason(
  deps: LedgerDeps,
  orderId: number,
  reason: AttentionReason,
  detail: string,
  trigger?: Trigger,
): Promise<boolean> {
  const applied = await changeOrder(deps, orderId, { kind: 'open', reason, detail, trigger });
  return applied !== null && !applied.plan.noop;
}

/** Resolves an open reason that time or new evidence explained; returns whether one was open. */
export async function resolveTimedReason(
  deps: LedgerDeps,
  orderId: number,
  reason: AttentionReason,
  by: string,
  note: string,
): Promise<boolean> {
  const applied = await changeOrder(deps, orderId, { kind: 'resolve', reason, by, note });
  return applied !== null && !applied.plan.noop;
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
