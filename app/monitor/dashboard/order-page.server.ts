import { findOrderById, reasonsOf } from '../../../db/orders';
import { listRunItemsForOrder } from '../../../db/runs';
import { listAudit } from '../../auth/audit.server';
import { AppError } from '../../errors';
import { latestPaymentOf, paymentFacts, vbankFacts, type PaymentFacts, type VbankFacts } from '../payment-facts.server';
import type { AttentionReason } from '../status';
import { fromDbTime } from '../time';
import { listAllStores } from '../stores/stores.server';
import { pretty, storeMap, toOrderItems, type OrderLogItem, type ReadDeps } from './shared.server';
import { orderTimeline, type TimelineEntry } from './timeline.server';

/**
 * The order page (`/orders/:orderId`): the order, its reasons (open and resolved) and one
 * timeline of its evidence, gateway checks, decisions, run items and operator actions.
 */

export type OperatorActionEntry = {
  kind: 'operator_action';
  at: string;
  id: number;
  actor: string;
  action: string;
  reason: string | null;
  /** Pretty-printed JSON snapshots (text, shown escaped). */
  before: string | null;
  after: string | null;
};

/** What a reconciliation run (re-check or reverse sweep) did to the order. */
export type RunItemEntry = {
  kind: 'run_item';
  at: string;
  id: number;
  runId: number;
  runKind: string;
  trigger: string;
  dryRun: boolean;
  outcome: string;
  statusBefore: string | null;
  statusAfter: string | null;
  reasonsOpened: string[];
  error: string | null;
};

export type OrderTimelineEntry = TimelineEntry | OperatorActionEntry | RunItemEntry;

export type ReasonView = {
  id: number;
  reason: AttentionReason;
  openedAt: string;
  detail: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
};

export type OrderDetail = {
  order: OrderLogItem & {
    source: string;
    gatewayStatus: string | null;
    vbankDueAt: string | null;
    preparedAt: string | null;
    lastCheckedAt: string | null;
    /** Paid amount known and different from the expected one. */
    amountDiffers: boolean;
    /** The buyer's contact and the gateway's fail/cancel reasons, from its last answer. */
    facts: PaymentFacts;
    /** An issued virtual account (bank, number, holder, amount, deadline, overdue), from the gateway's answer. */
    vbank: VbankFacts | null;
  };
  reasons: ReasonView[];
  timeline: OrderTimelineEntry[];
};

const TIMELINE_AUDIT_LIMIT = 500;

function parseNames(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** Everything the order page shows; 404 (AppError) for an unknown id. */
export async function orderDetail(deps: ReadDeps & { now?: () => Date }, orderId: number): Promise<OrderDetail> {
  const row = await findOrderById(deps.db, orderId);
  if (!row) throw new AppError('not_found', `order ${orderId} does not exist`);
  const [stores, reasons, timeline, audit, runItems, payment] = await Promise.all([
    listAllStores(deps),
    reasonsOf(deps.db, orderId),
    orderTimeline(deps, orderId),
    listAudit(deps, { targetType: 'order', targetId: String(orderId), limit: TIMELINE_AUDIT_LIMIT }),
    listRunItemsForOrder(deps.db, orderId),
    latestPaymentOf(deps, row),
  ]);
  const open = reasons.filter((r) => r.resolved_at === null).map((r) => r.reason);
  const [item] = await toOrderItems(deps, [{ ...row, sort_value: row.created_at }], await storeMap(deps, stores));
  const actions: OperatorActionEntry[] = audit.map((e) => ({
    kind: 'operator_action',
    at: e.at,
    id: e.id,
    actor: e.actorLabel,
    action: e.action,
    reason: e.reason,
    before: pretty(e.before),
    after: pretty(e.after),
  }));
  const runs: RunItemEntry[] = runItems.map((i) => ({
    kind: 'run_item',
    at: i.at,
    id: i.id,
    runId: i.run_id,
    runKind: i.kind,
    trigger: i.trigger,
    dryRun: i.dry_run === 1,
    outcome: i.outcome,
    statusBefore: i.status_before,
    statusAfter: i.status_after,
    reasonsOpened: parseNames(i.reasons_opened),
    error: i.error,
  }));
  return {
    order: {
      ...item!,
      openReasons: open,
      source: row.source,
      gatewayStatus: row.gateway_status,
      vbankDueAt: row.vbank_due_at,
      preparedAt: row.prepared_at,
      lastCheckedAt: row.last_checked_at,
      // What a cancel can still refund: nothing without a payment attempt to cancel.
      refundable: row.imp_uid ? item!.refundable : 0,
      facts: paymentFacts(payment),
      vbank:
        row.status === 'vbank_issued' || row.vbank_due_at !== null
          ? vbankFacts(
              payment,
              {
                dueAt: fromDbTime(row.vbank_due_at),
                amount: item!.awaitingDeposit ?? row.expected_amount,
                currency: row.currency,
              },
              (deps.now ?? (() => new Date()))(),
            )
          : null,
      amountDiffers:
        item!.paidAmount !== null && row.expected_amount !== null && item!.paidAmount !== row.expected_amount,
    },
    reasons: reasons.map((r) => ({
      id: r.id,
      reason: r.reason,
      openedAt: r.opened_at,
      detail: r.detail,
      resolvedAt: r.resolved_at,
      resolvedBy: r.resolved_by,
      note: r.resolution_note,
    })),
    // Stable: same-time entries keep the evidence → check → decision → action order.
    timeline: [...timeline, ...runs, ...actions].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
  };
}
