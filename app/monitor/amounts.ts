import type { OrderStatus } from './status';

/**
 * What an order's amounts mean, defined once (docs/decisions/0153-what-people-see.md) and used by
 * the payment log, the order page, the CSV, the overview and the refund form.
 *
 * "Paid" is money the gateway says was paid and not refunded. The gateway's `amount` field is the
 * amount *asked for*, present on a failed attempt, an abandoned window and an unpaid virtual
 * account too; only the statuses in which money actually moved have a paid amount. Pure.
 */

/** Statuses in which the gateway took the buyer's money (some or all of it may be refunded since). */
export const MONEY_TAKEN: ReadonlySet<OrderStatus> = new Set(['paid', 'partially_cancelled', 'cancelled', 'mismatch']);

export type OrderAmounts = {
  /** What the buyer paid at the gateway; null when nothing was paid (failed, abandoned, unpaid vbank, pending). */
  paid: number | null;
  /** What has been refunded of it (0 when nothing); null when nothing was paid. */
  refunded: number | null;
  /** Paid minus refunded: the money the merchant keeps; null when nothing was paid. */
  net: number | null;
  /** What a cancel at the gateway can still refund: the net amount, 0 when nothing is left or nothing was paid. */
  refundable: number;
  /** For an issued virtual account: the amount the buyer is asked to deposit. */
  awaitingDeposit: number | null;
};

export function orderAmounts(order: {
  status: OrderStatus;
  paidAmount: number | null;
  cancelAmount: number | null;
  expectedAmount: number | null;
}): OrderAmounts {
  const awaitingDeposit = order.status === 'vbank_issued' ? (order.paidAmount ?? order.expectedAmount) : null;
  if (!MONEY_TAKEN.has(order.status) || order.paidAmount === null)
    return { paid: null, refunded: null, net: null, refundable: 0, awaitingDeposit };
  const refunded = Math.min(order.paidAmount, Math.max(0, order.cancelAmount ?? 0));
  const net = order.paidAmount - refunded;
  return {
    paid: order.paidAmount,
    refunded,
    net,
    refundable: order.status === 'cancelled' ? 0 : net,
    awaitingDeposit: null,
  };
}
