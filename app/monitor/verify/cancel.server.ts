import { findOrderById } from '../../../db/orders';
import { AppError } from '../../errors';
import type { Payment } from '../../iamport/types';
import type { MonitorDeps } from '../deps';
import { MONEY_TAKEN } from '../amounts';
import type { OrderStatus, Trigger } from '../status';
import type { Store } from '../stores/stores.server';
import { observe, recordGatewayCheck, type Prefetched } from './gateway.server';
import { refundableAmount } from './plan';

/** Why a cancel was not even asked for: closed, so each has its message for a person. */
export type CancelRefusal =
  /** Nothing was paid (failed, abandoned, pending or an unpaid virtual account): nothing to refund. */
  | { ok: false; refusal: 'not_paid'; status: OrderStatus }
  | { ok: false; refusal: 'no_payment' }
  | { ok: false; refusal: 'nothing_left' }
  | { ok: false; refusal: 'amount_out_of_range'; refundable: number };

export type CancelRequest =
  | CancelRefusal
  /** The gateway refused or failed: nothing was refunded (as far as we know). */
  | { ok: false; refusal: 'gateway'; message: string; kind: string }
  /** The gateway accepted: its answer, to verify as our own action. */
  | { ok: true; impUid: string; merchantUid: string; answer: Prefetched & { payment: Payment | null } };

/**
 * Asks the gateway to cancel (refund) an order's payment, with `checksum` set to the refundable
 * balance we last saw so a concurrent refund elsewhere makes the gateway refuse rather than
 * refund twice, and records the answer as a gateway check. It changes no order: the caller
 * verifies the answer (verify.server.ts `cancelAtGateway`).
 */
export async function requestCancel(
  deps: MonitorDeps,
  input: {
    store: Store;
    orderId: number;
    reason: string;
    trigger: Extract<Trigger, 'auto_cancel' | 'manual_cancel'>;
    amount?: number;
  },
): Promise<CancelRequest> {
  const order = await findOrderById(deps.db, input.orderId);
  if (!order) throw new AppError('not_found', 'order not found');
  if (!MONEY_TAKEN.has(order.status)) return { ok: false, refusal: 'not_paid', status: order.status };
  const refundable = refundableAmount(order);
  if (refundable === null || !order.imp_uid) return { ok: false, refusal: 'no_payment' };
  if (refundable <= 0) return { ok: false, refusal: 'nothing_left' };
  if (input.amount !== undefined && (input.amount <= 0 || input.amount > refundable))
    return { ok: false, refusal: 'amount_out_of_range', refundable };

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
    return { ok: false, refusal: 'gateway', message: result.error.message, kind: result.error.kind };
  }
  return {
    ok: true,
    impUid: order.imp_uid,
    merchantUid: order.merchant_uid,
    answer: { ...observe(result), checkId },
  };
}
