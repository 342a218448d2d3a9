import { z } from 'zod';
import { inTransaction } from '../../../db/connection';
import { findOrdersWithStore } from '../../../db/orders';
import { findOrderById, openReasonsOf } from '../../../db/orders';
import { findStoreById } from '../../../db/stores';
import { recordAudit, type AuditActor } from '../../auth/audit.server';
import { AppError } from '../../errors';
import { forEachLimited } from '../concurrency';
import type { DbDeps, MonitorDeps } from '../deps';
import { isAttentionReason, type AttentionReason, type OrderStatus, type VerificationOutcome } from '../status';
import { toStore, type Store } from '../stores/stores.server';
import { changeOrder } from './ledger.server';
import { refundableAmount } from './plan';
import { cancelAtGateway, verifyPayment } from './verify.server';

/**
 * What an operator can do to an order from the dashboard (DESIGN §6.7): re-check it now,
 * resolve an attention reason with a written reason, or (admin) cancel the payment at the
 * gateway. Each function is the whole action: it goes through the one verification
 * (verifyPayment), the one cancel (cancelAtGateway) or the order ledger (changeOrder), and
 * writes an audit event (actor, target order, reason, before/after). Expected refusals come back
 * as a `Refusal` (refusals.ts turns one into a flash message); only the unexpected throws.
 * Authorization (role, CSRF) is the route's job and happens before these are called.
 */

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

/** Why a manual action did nothing: expected, so a result, never a throw. */
export type Refusal =
  | { ok: false; refusal: 'invalid_note'; detail: string }
  | { ok: false; refusal: 'not_open' }
  | { ok: false; refusal: 'no_payment' }
  | { ok: false; refusal: 'nothing_left' }
  | { ok: false; refusal: 'amount_out_of_range'; refundable: number }
  | { ok: false; refusal: 'gateway'; message: string; kind: string }
  | { ok: false; refusal: 'none_selected' }
  | { ok: false; refusal: 'too_many'; max: number };

function parseNote(value: string, name: 'note' | 'reason'): { ok: true; note: string } | Refusal {
  const note = resolutionNoteSchema.safeParse(value);
  if (note.success) return { ok: true, note: note.data };
  return { ok: false, refusal: 'invalid_note', detail: `${name} ${note.error.issues[0]?.message ?? 'is invalid'}` };
}

function checkSelection(count: number): Refusal | null {
  if (count === 0) return { ok: false, refusal: 'none_selected' };
  if (count > BULK_LIMIT) return { ok: false, refusal: 'too_many', max: BULK_LIMIT };
  return null;
}

type Snapshot = {
  status: OrderStatus;
  openReasons: AttentionReason[];
  paidAmount: number | null;
  cancelAmount: number | null;
};

async function snapshot(deps: Pick<MonitorDeps, 'db'>, orderId: number): Promise<Snapshot> {
  const order = await findOrderById(deps.db, orderId);
  if (!order) throw new AppError('not_found', `order ${orderId} does not exist`);
  const open = await openReasonsOf(deps.db, orderId);
  return {
    status: order.status,
    openReasons: open.map((r) => r.reason),
    paidAmount: order.paid_amount,
    cancelAmount: order.cancel_amount,
  };
}

async function storeOf(deps: Pick<MonitorDeps, 'db'>, storeId: number): Promise<Store> {
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
  deps: MonitorDeps,
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
  deps: MonitorDeps,
  actor: Actor,
  input: { orderIds: number[]; ip: string },
): Promise<({ ok: true } & BulkRecheckResult) | Refusal> {
  const ids = [...new Set(input.orderIds)];
  const refused = checkSelection(ids.length);
  if (refused) return refused;
  const found = await findOrdersWithStore(deps.db, ids);
  const totals: BulkRecheckResult = {
    checked: 0,
    settled: 0,
    stillOpen: 0,
    missing: ids.length - found.length,
    errors: 0,
  };
  const note = `bulk re-check of ${found.length} order(s)`;
  await forEachLimited(found, BULK_CONCURRENCY, async (order) => {
    try {
      const result = await recheckOrder(deps, actor, { orderId: order.id, ip: input.ip, note });
      totals.checked += 1;
      if (result.openReasons.length === 0) totals.settled += 1;
      else totals.stillOpen += 1;
    } catch (error) {
      totals.errors += 1;
      deps.log.error({ err: error, order: order.id }, 'bulk re-check of one order failed');
    }
  });
  return { ok: true, ...totals };
}

// ---------------------------------------------------------------------------------------------
// Resolve

export type ResolveResult = { ok: true; orderId: number; resolved: AttentionReason[]; stillOpen: AttentionReason[] };

/**
 * Marks open reasons of one order as resolved by the operator, with their written reason, through
 * the order ledger (in the order's lock; the audit event in the same transaction). `reasons`
 * omitted: every open reason. Reasons that are not open are ignored; when none of the asked ones
 * is open, the result is the `not_open` refusal (someone or the gateway resolved them first).
 * When nothing left open needs the gateway, the scheduled re-queries stop.
 */
export async function resolveOrderReasons(
  deps: MonitorDeps,
  actor: Actor,
  input: { orderId: number; reasons?: AttentionReason[]; note: string; ip: string },
): Promise<ResolveResult | Refusal> {
  const note = parseNote(input.note, 'note');
  if (!note.ok) return note;
  return inTransaction(deps.db, async (trx) => {
    const applied = await changeOrder({ ...deps, db: trx }, input.orderId, {
      kind: 'person_resolve',
      reasons: input.reasons ?? null,
      by: actor.email,
      note: note.note,
    });
    if (!applied) throw new AppError('not_found', `order ${input.orderId} does not exist`);
    if (applied.plan.noop) return { ok: false, refusal: 'not_open' } as const;
    const resolved = applied.plan.resolve.reasons;
    const stillOpen = applied.plan.openAfter;
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: 'order.resolve',
        target: { type: 'order', id: input.orderId },
        reason: note.note,
        before: { status: applied.before.status, openReasons: applied.plan.openBefore },
        after: { status: applied.before.status, openReasons: stillOpen, resolved },
        ip: input.ip,
      },
    );
    return { ok: true, orderId: input.orderId, resolved, stillOpen };
  });
}

export type BulkResolveResult = { orders: number; resolved: number; skipped: number };

/** Resolves the given (order, reason) pairs with one written reason; each order gets its own audit event. */
export async function resolveMany(
  deps: MonitorDeps,
  actor: Actor,
  input: { items: { orderId: number; reason: AttentionReason }[]; note: string; ip: string },
): Promise<({ ok: true } & BulkResolveResult) | Refusal> {
  const byOrder = new Map<number, AttentionReason[]>();
  for (const { orderId, reason } of input.items)
    byOrder.set(orderId, [...new Set([...(byOrder.get(orderId) ?? []), reason])]);
  const refused = checkSelection(byOrder.size);
  if (refused) return refused;
  const note = parseNote(input.note, 'note');
  if (!note.ok) return note;
  const totals: BulkResolveResult = { orders: 0, resolved: 0, skipped: 0 };
  for (const [orderId, reasons] of byOrder) {
    try {
      const result = await resolveOrderReasons(deps, actor, { orderId, reasons, note: note.note, ip: input.ip });
      if (!result.ok) {
        totals.skipped += 1;
        continue;
      }
      totals.orders += 1;
      totals.resolved += result.resolved.length;
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
      totals.skipped += 1;
    }
  }
  return { ok: true, ...totals };
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

/** What a cancel would refund; a refusal when the order has nothing to refund at the gateway. */
export async function cancelPreview(
  deps: Pick<DbDeps, 'db'>,
  orderId: number,
): Promise<({ ok: true } & CancelPreview) | Refusal> {
  const order = await findOrderById(deps.db, orderId);
  if (!order) throw new AppError('not_found', `order ${orderId} does not exist`);
  const refundable = refundableAmount(order);
  if (refundable === null || !order.imp_uid || order.paid_amount === null) return { ok: false, refusal: 'no_payment' };
  if (refundable <= 0) return { ok: false, refusal: 'nothing_left' };
  return {
    ok: true,
    orderId: order.id,
    merchantUid: order.merchant_uid,
    impUid: order.imp_uid,
    currency: order.currency,
    paidAmount: order.paid_amount,
    cancelAmount: order.cancel_amount ?? 0,
    refundable,
  };
}

export type CancelReview = { preview: CancelPreview; amount: number; partial: boolean; reason: string };

/**
 * The review step of a cancel: what would be refunded (the whole refundable balance unless
 * `amount` says less), with the written reason checked. Writes nothing.
 */
export async function reviewCancel(
  deps: Pick<DbDeps, 'db'>,
  input: { orderId: number; amount?: number; reason: string },
): Promise<({ ok: true } & CancelReview) | Refusal> {
  const preview = await cancelPreview(deps, input.orderId);
  if (!preview.ok) return preview;
  const amount = input.amount ?? preview.refundable;
  if (amount <= 0 || amount > preview.refundable)
    return { ok: false, refusal: 'amount_out_of_range', refundable: preview.refundable };
  const reason = parseNote(input.reason, 'reason');
  if (!reason.ok) return reason;
  const { ok: _ok, ...shown } = preview;
  return { ok: true, preview: shown, amount, partial: amount < preview.refundable, reason: reason.note };
}

export type CancelOutcome = { ok: true; status: OrderStatus; refunded: number; refundable: number } | Refusal;

/**
 * Cancels (refunds) the order's payment at the gateway, in full or `amount` of it, then
 * verifies the answer as our own action (cancelAtGateway). Every attempt the gateway was asked
 * about is audited, whether it accepted or not. Admin only (the route checks the role).
 */
export async function cancelOrderPayment(
  deps: MonitorDeps,
  actor: Actor,
  input: { orderId: number; amount?: number; reason: string; ip: string },
): Promise<CancelOutcome> {
  const reason = parseNote(input.reason, 'reason');
  if (!reason.ok) return reason;
  const preview = await cancelPreview(deps, input.orderId);
  if (!preview.ok) return preview;
  if (input.amount !== undefined && (input.amount <= 0 || input.amount > preview.refundable))
    return { ok: false, refusal: 'amount_out_of_range', refundable: preview.refundable };
  const order = (await findOrderById(deps.db, input.orderId))!;
  const store = await storeOf(deps, order.store_id);
  const before = await snapshot(deps, order.id);
  const result = await cancelAtGateway(deps, {
    store,
    orderId: order.id,
    reason: reason.note,
    trigger: 'manual_cancel',
    amount: input.amount,
  });
  if (!result.ok && result.refusal !== 'gateway') return result;
  const after = await snapshot(deps, order.id);
  const requested = input.amount ?? preview.refundable;
  await recordAudit(deps, {
    actor,
    action: 'order.cancel',
    target: { type: 'order', id: order.id },
    reason: reason.note,
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
  if (!result.ok) return result;
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
    if (!isAttentionReason(reason)) {
      ctx.addIssue({ code: 'custom', message: 'names an unknown reason' });
      return z.NEVER;
    }
    return { orderId: Number(id), reason };
  });
