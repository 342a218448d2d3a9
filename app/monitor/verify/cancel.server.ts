import { findOrderById } from '../../../db/orders';
import { AppError } from '../../errors';
import { recordGatewayCheck } from './gateway.server';
import type { Trigger } from '../status';
import type { Store } from '../stores/stores.server';
import { observe, verifyPayment, type MonitorDeps, type VerifyResult } from './verify.server';

export type CancelResult = { ok: true; verification: VerifyResult } | { ok: false; message: string; kind: string };

/**
 * Cancels (refunds) an order's payment at the gateway, with `checksum` set to the refundable
 * balance we last saw so a concurrent refund elsewhere makes the gateway refuse rather than
 * refund twice; then verifies the answer as our own action. The caller records the audit event.
 */
export async function cancelAtGateway(
  deps: MonitorDeps,
  input: {
    store: Store;
    orderId: number;
    reason: string;
    trigger: Extract<Trigger, 'auto_cancel' | 'manual_cancel'>;
    amount?: number;
  },
): Promise<CancelResult> {
  const order = await findOrderById(deps.db, input.orderId);
  if (!order) throw new AppError('not_found', 'order not found');
  if (!order.imp_uid || order.paid_amount === null)
    throw new AppError('conflict', 'this order has no payment at the gateway to cancel');
  const refundable = order.paid_amount - (order.cancel_amount ?? 0);
  if (refundable <= 0) throw new AppError('conflict', 'nothing left to refund');
  if (input.amount !== undefined && (input.amount <= 0 || input.amount > refundable)) {
    throw new AppError('bad_request', `amount must be between 1 and ${refundable}`);
  }

  const client = deps.gateways.forStore(input.store);
  const result = await client.cancel({
    impUid: order.imp_uid,
    amount: input.amount,
    checksum: refundable,
    reason: input.reason,
    currency: order.currency,
  });
  const checkId = await recordGatewayCheck(deps, {
    store: input.store,
    orderId: order.id,
    trigger: input.trigger,
    operation: 'cancel',
    impUid: order.imp_uid,
    merchantUid: order.merchant_uid,
    result,
  });
  if (!result.ok) {
    deps.log.warn({ order: order.id, error: result.error }, 'cancel refused or failed at the gateway');
    return { ok: false, message: result.error.message, kind: result.error.kind };
  }
  const verification = await verifyPayment(deps, {
    store: input.store,
    trigger: input.trigger,
    impUid: order.imp_uid,
    merchantUid: order.merchant_uid,
    ownAction: true,
    prefetched: { ...observe(result), checkId },
  });
  return { ok: true, verification };
}
