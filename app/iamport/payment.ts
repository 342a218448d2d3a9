import { PAYMENT_STATUSES, type Payment, type PaymentStatus } from './types';

/** Small pure facts about a gateway payment, for the domain. */

/** Narrows an untrusted string (a webhook's `status`, a query parameter) to the gateway's statuses. */
export function isPaymentStatus(value: unknown): value is PaymentStatus {
  return typeof value === 'string' && (PAYMENT_STATUSES as readonly string[]).includes(value);
}

/**
 * The gateway has finished with the attempt: anything but `ready` (unpaid, or a virtual account
 * awaiting its deposit). Not "final": a `failed` payment can still become `paid` (PayPal,
 * Paymentwall, iamport-facts §4.1) and a `paid` one can be cancelled.
 */
export function isSettledStatus(status: PaymentStatus): boolean {
  return status !== 'ready';
}

/** What can still be refunded, in minor units: `amount − cancelAmount` (never below 0). */
export function refundableBalance(payment: Pick<Payment, 'amount' | 'cancelAmount'>): number {
  return Math.max(0, payment.amount - payment.cancelAmount);
}

/**
 * Refunded in full, judged from the amounts: `status` can be `cancelled` after a partial refund
 * (iamport-facts §3.8), so it is never enough on its own.
 */
export function isFullyCancelled(payment: Pick<Payment, 'amount' | 'cancelAmount'>): boolean {
  return payment.cancelAmount > 0 && payment.cancelAmount >= payment.amount;
}

/** Some, but not all, of the amount was refunded. */
export function isPartiallyCancelled(payment: Pick<Payment, 'amount' | 'cancelAmount'>): boolean {
  return payment.cancelAmount > 0 && payment.cancelAmount < payment.amount;
}

/** A virtual account was issued and not yet funded. */
export function isAwaitingDeposit(payment: Pick<Payment, 'status' | 'payMethod'>): boolean {
  return payment.status === 'ready' && payment.payMethod === 'vbank';
}
