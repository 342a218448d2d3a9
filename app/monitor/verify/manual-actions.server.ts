import { z } from 'zod';
import { findOrdersWithStore } from '../../../db/dashboard-orders';
import { lockOrderRow } from '../../../db/dialect';
import { findOrderById, openReasonsOf, resolveReasons, updateOrder } from '../../../db/orders';
import { findStoreById } from '../../../db/stores';
import { recordAudit, type AuditActor } from '../../auth/audit.server';
import { AppError } from '../../errors';
import { cancelAtGateway } from './cancel.server';
import { nextCheck } from './schedule';
import {
  ATTENTION_REASONS,
  REQUERY_REASONS,
  type AttentionReason,
  type OrderStatus,
  type VerificationOutcome,
} from '../status';
import { toStore, type Store } from '../stores/stores.server';
import { fromDbTime, toDbTime } from '../time';
import { verifyPayment, type MonitorDeps } from './verify.server';

/**
 * What an operator can do to an order from the dashboard (DESIGN §6.7): re-check it now,
 * resolve an attention reason with a written reason, or (admin) cancel the payment at the
 * gateway. Each function is the whole action: it goes through the one verification
 * (verifyPayment), the one cancel (cancelAtGateway) or the one reason store (resolveReasons),
 * and writes an audit event (actor, target order, reason, before/after). Authorization (role,
 * CSRF) is the route's job and happens before these are called.
 */

export type ManualDeps = MonitorDeps;
export type Actor = Exclude<AuditActor, 'system'>;

/** A bulk action on more orders than this is refused: it runs inside one request. */
export const BULK_LIMIT = 200;
/** Gateway look-ups in flight at once during a bulk re-check. */
const BULK_CONCURRENCY = 4;
export const NOTE_MAX = 500;

export const resolutionNoteSchema = z
  .string()
  .trim()
  .min(3, 'write at least 3 characters about why')
  .max(NOTE_MAX, `must be at most ${NOTE_MAX} characters`);

type Snapshot = {
  status: OrderStatus;
  openReasons: AttentionReason[];
  paidAmount: number | null;
  cancelAmount: number | null;
};

async function snapshot(deps: Pick<ManualDeps, 'db'>, orderId: number): Promise<Snapshot> {
  const order = await findOrderById(deps.db, orderId);
  if (!order) throw new AppError('not_found', `order ${orderId} does not exist`);
  const open = await openReasonsOf(deps.db, orderId);
  return {
    status: order.status as OrderStatus,
    openReasons: open.map((r) => r.reason as AttentionReason),
    paidAmount: order.paid_amount,
    cancelAmount: order.cancel_amount,
  };
}

async function storeOf(deps: Pick<ManualDeps, 'db'>, storeId: number): Promise<Store> {
  const row = await findStoreById(deps.db, storeId);
  if (!row) throw new AppError('not_found', `store ${storeId} does not exist`);
  return toStore(row);
}

// ---------------------------------------------------------------------------------------------
// Re-check

export type RecheckResult = {
  orderId: number;
  merchantUid: string;
  outcome: VerificationOutcome;
  settled: boolean;
  statusBefore: OrderStatus;
  status: OrderStatus;
  openReasons: AttentionReason[];
};

/**
 * Asks the gateway about the order now (trigger `button`) and records who asked. The answer is
 * applied exactly as any other trigger's would be; a timeout or error opens `unverified` and
 * never changes the status.
 */
export async function recheckOrder(
  deps: ManualDeps,
  actor: Actor,
  input: { orderId: number; ip: string; note?: string | null },
): Promise<RecheckResult> {
  const order = await findOrderById(deps.db, input.orderId);
  if (!order) throw new AppError('not_found', `order ${input.orderId} does not exist`);
  const store = await storeOf(deps, order.store_id);
  const before = await snapshot(deps, order.id);
  const result = await verifyPayment(deps, {
    store,
    trigger: 'button',
    impUid: order.imp_uid,
    merchantUid: order.merchant_uid,
  });
  const after = await snapshot(deps, order.id);
  await recordAudit(deps, {
    actor,
    action: 'order.recheck',
    target: { type: 'order', id: order.id },
    reason: input.note ?? null,
    before: { status: before.status, openReasons: before.openReasons },
    after: { status: after.status, openReasons: after.openReasons, outcome: result.outcome, settled: result.settled },
    ip: input.ip,
  });
  return {
    orderId: order.id,
    merchantUid: order.merchant_uid,
    outcome: result.outcome,
    settled: result.settled,
    statusBefore: before.status,
    status: after.status,
    openReasons: after.openReasons,
  };
}

export type BulkRecheckResult = {
  checked: number;
  settled: number;
  stillOpen: number;
  missing: number;
  errors: number;
};

/** Re-checks up to BULK_LIMIT orders (a few at a time); each gets its own audit event. */
export async function recheckOrders(
  deps: ManualDeps,
  actor: Actor,
  input: { orderIds: number[]; ip: string },
): Promise<BulkRecheckResult> {
  const ids = [...new Set(input.orderIds)];
  if (ids.length === 0) throw new AppError('bad_request', 'select at least one order');
  if (ids.length > BULK_LIMIT) throw new AppError('bad_request', `select at most ${BULK_LIMIT} orders at a time`);
  const found = await findOrdersWithStore(deps.db, ids);
  const totals: BulkRecheckResult = {
    checked: 0,
    settled: 0,
    stillOpen: 0,
    missing: ids.length - found.length,
    errors: 0,
  };
  const queue = [...found];
  const note = `bulk re-check of ${found.length} order(s)`;
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        const result = await recheckOrder(deps, actor, { orderId: next.id, ip: input.ip, note });
        totals.checked += 1;
        if (result.openReasons.length === 0) totals.settled += 1;
        else totals.stillOpen += 1;
      } catch (error) {
        totals.errors += 1;
        deps.log.error({ err: error, order: next.id }, 'bulk re-check of one order failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, queue.length) }, worker));
  return totals;
}

// ---------------------------------------------------------------------------------------------
// Resolve

export type ResolveResult = { orderId: number; resolved: AttentionReason[]; stillOpen: AttentionReason[] };

/**
 * Marks open reasons of one order as resolved by the operator, with their written reason.
 * `reasons` omitted: every open reason. Reasons that are not open are ignored; when none of the
 * asked ones is open, a `conflict` is thrown (someone or the gateway resolved them first).
 * When nothing left open needs the gateway, the scheduled re-queries stop.
 */
export async function resolveOrderReasons(
  deps: ManualDeps,
  actor: Actor,
  input: { orderId: number; reasons?: AttentionReason[]; note: string; ip: string },
): Promise<ResolveResult> {
  const note = resolutionNoteSchema.safeParse(input.note);
  if (!note.success)
    throw new AppError('bad_request', `note ${note.error.issues[0]?.message ?? 'is invalid'}`, { param: 'note' });
  return deps.db.transaction().execute(async (trx) => {
    // The same lock as a verification: a gateway answer and an operator never interleave.
    await lockOrderRow(trx, deps.config.database.dialect, input.orderId);
    const order = await findOrderById(trx, input.orderId);
    if (!order) throw new AppError('not_found', `order ${input.orderId} does not exist`);
    const open = (await openReasonsOf(trx, order.id)).map((r) => r.reason as AttentionReason);
    const asked = input.reasons ?? open;
    const at = toDbTime(deps.now());
    const resolved = (await resolveReasons(trx, order.id, asked, at, actor.email, note.data)) as AttentionReason[];
    if (resolved.length === 0)
      throw new AppError('conflict', 'nothing to resolve: the reason is no longer open', { reason: 'not_open' });
    const stillOpen = open.filter((r) => !resolved.includes(r));
    const changes: Parameters<typeof updateOrder>[2] = { open_reason_count: stillOpen.length, updated_at: at };
    if (!stillOpen.some((r) => REQUERY_REASONS.has(r))) {
      // Nothing left for the gateway to answer: only a vbank's due date may still need a look.
      const schedule = nextCheck({
        now: deps.now(),
        status: order.status as OrderStatus,
        openReasons: new Set(stillOpen),
        attempts: 0,
        vbankDueAt: fromDbTime(order.vbank_due_at),
      });
      changes.next_check_at = schedule.nextCheckAt ? toDbTime(schedule.nextCheckAt) : null;
      changes.check_attempts = schedule.attempts;
    }
    await updateOrder(trx, order.id, changes);
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: 'order.resolve',
        target: { type: 'order', id: order.id },
        reason: note.data,
        before: { status: order.status, openReasons: open },
        after: { status: order.status, openReasons: stillOpen, resolved },
        ip: input.ip,
      },
    );
    return { orderId: order.id, resolved, stillOpen };
  });
}

export type BulkResolveResult = { orders: number; resolved: number; skipped: number };

/** Resolves the given (order, reason) pairs with one written reason; each order gets its own audit event. */
export async function resolveMany(
  deps: ManualDeps,
  actor: Actor,
  input: { items: { orderId: number; reason: AttentionReason }[]; note: string; ip: string },
): Promise<BulkResolveResult> {
  const byOrder = new Map<number, AttentionReason[]>();
  for (const { orderId, reason } of input.items)
    byOrder.set(orderId, [...new Set([...(byOrder.get(orderId) ?? []), reason])]);
  if (byOrder.size === 0) throw new AppError('bad_request', 'select at least one order');
  if (byOrder.size > BULK_LIMIT) throw new AppError('bad_request', `select at most ${BULK_LIMIT} orders at a time`);
  const note = resolutionNoteSchema.safeParse(input.note);
  if (!note.success)
    throw new AppError('bad_request', `note ${note.error.issues[0]?.message ?? 'is invalid'}`, { param: 'note' });
  const totals: BulkResolveResult = { orders: 0, resolved: 0, skipped: 0 };
  for (const [orderId, reasons] of byOrder) {
    try {
      const result = await resolveOrderReasons(deps, actor, { orderId, reasons, note: note.data, ip: input.ip });
      totals.orders += 1;
      totals.resolved += result.resolved.length;
    } catch (error) {
      if (!(error instanceof AppError) || (error.code !== 'conflict' && error.code !== 'not_found')) throw error;
      totals.skipped += 1;
    }
  }
  return totals;
}

// ---------------------------------------------------------------------------------------------
// Cancel

export type CancelPreview = {
  orderId: number;
  merchantUid: string;
  impUid: string;
  currency: string;
  paidAmount: number;
  cancelAmount: number;
  refundable: number;
};

/** What a cancel would refund; `conflict` when the order has nothing to refund at the gateway. */
export async function cancelPreview(deps: Pick<ManualDeps, 'db'>, orderId: number): Promise<CancelPreview> {
  const order = await findOrderById(deps.db, orderId);
  if (!order) throw new AppError('not_found', `order ${orderId} does not exist`);
  if (!order.imp_uid || order.paid_amount === null)
    throw new AppError('conflict', 'this order has no payment at the gateway to cancel', { reason: 'no_payment' });
  const refundable = order.paid_amount - (order.cancel_amount ?? 0);
  if (refundable <= 0) throw new AppError('conflict', 'nothing left to refund', { reason: 'nothing_left' });
  return {
    orderId: order.id,
    merchantUid: order.merchant_uid,
    impUid: order.imp_uid,
    currency: order.currency,
    paidAmount: order.paid_amount,
    cancelAmount: order.cancel_amount ?? 0,
    refundable,
  };
}

export type CancelOutcome =
  | { ok: true; status: OrderStatus; refunded: number; refundable: number }
  | { ok: false; message: string; kind: string };

/**
 * Cancels (refunds) the order's payment at the gateway, in full or `amount` of it, then
 * verifies the answer as our own action (cancelAtGateway). The attempt is audited whether the
 * gateway accepted it or not. Admin only (the route checks the role).
 */
export async function cancelOrderPayment(
  deps: ManualDeps,
  actor: Actor,
  input: { orderId: number; amount?: number; reason: string; ip: string },
): Promise<CancelOutcome> {
  const reason = resolutionNoteSchema.safeParse(input.reason);
  if (!reason.success)
    throw new AppError('bad_request', `reason ${reason.error.issues[0]?.message ?? 'is invalid'}`, { param: 'reason' });
  const preview = await cancelPreview(deps, input.orderId);
  const order = (await findOrderById(deps.db, input.orderId))!;
  const store = await storeOf(deps, order.store_id);
  const before = await snapshot(deps, order.id);
  const result = await cancelAtGateway(deps, {
    store,
    orderId: order.id,
    reason: reason.data,
    trigger: 'manual_cancel',
    amount: input.amount,
  });
  const after = await snapshot(deps, order.id);
  const requested = input.amount ?? preview.refundable;
  await recordAudit(deps, {
    actor,
    action: 'order.cancel',
    target: { type: 'order', id: order.id },
    reason: reason.data,
    before: {
      status: before.status,
      paidAmount: before.paidAmount,
      cancelAmount: before.cancelAmount,
      refundable: preview.refundable,
    },
    after: result.ok
      ? { status: after.status, cancelAmount: after.cancelAmount, requested, accepted: true }
      : { status: after.status, cancelAmount: after.cancelAmount, requested, accepted: false, error: result.message },
    ip: input.ip,
  });
  if (!result.ok) return { ok: false, message: result.message, kind: result.kind };
  const refundableAfter = Math.max(0, (after.paidAmount ?? 0) - (after.cancelAmount ?? 0));
  return {
    ok: true,
    status: after.status,
    refunded: (after.cancelAmount ?? 0) - (before.cancelAmount ?? 0),
    refundable: refundableAfter,
  };
}

/** Form values of the bulk forms: `orderId:reason` pairs (the attention queue's checkboxes). */
export const selectionSchema = z
  .string()
  .regex(/^\d{1,15}:[a-z_]{1,40}$/, 'is not a valid selection')
  .transform((value, ctx) => {
    const [id, reason] = value.split(':') as [string, string];
    if (!(ATTENTION_REASONS as readonly string[]).includes(reason)) {
      ctx.addIssue({ code: 'custom', message: 'names an unknown reason' });
      return z.NEVER;
    }
    return { orderId: Number(id), reason: reason as AttentionReason };
  });
