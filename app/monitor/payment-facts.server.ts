import { latestPaymentAnswers, paymentAnswersOfOrders } from '../../db/evidence';
import type { Db } from '../../db/connection';
import { paymentsInStoredAnswer } from '../iamport/stored-answer';
import type { Payment } from '../iamport/types';

/**
 * What the gateway last said about an order's own payment attempt, read from the stored raw
 * answers (never from what a browser sent): the buyer's contact, why it failed or was cancelled,
 * and a virtual account's bank, number, holder and deadline. Read-only.
 */
export async function latestPaymentOf(
  deps: { db: Db },
  order: { id: number; merchant_uid: string; imp_uid: string | null },
): Promise<Payment | null> {
  for (const raw of await latestPaymentAnswers(deps.db, order.id)) {
    const payments = paymentsInStoredAnswer(raw).filter(
      (p) => p.merchantUid === order.merchant_uid && (order.imp_uid === null || p.impUid === order.imp_uid),
    );
    if (payments.length) return payments[0]!;
  }
  return null;
}

export type VbankFacts = {
  bank: string | null;
  number: string | null;
  holder: string | null;
  amount: number;
  currency: string;
  /** ISO time of the deposit deadline; null when the gateway gave none. */
  deadline: string | null;
  overdue: boolean;
};

/** A virtual account as the gateway issued it, with whether its deadline has passed. */
export function vbankFacts(
  payment: Payment | null,
  fallback: { dueAt: Date | null; amount: number | null; currency: string },
  now: Date,
): VbankFacts {
  const deadline = payment?.vbankDate ?? fallback.dueAt;
  return {
    bank: payment?.vbankName ?? null,
    number: payment?.vbankNum ?? null,
    holder: payment?.vbankHolder ?? null,
    amount: payment?.amount ?? fallback.amount ?? 0,
    currency: payment?.currency ?? fallback.currency,
    deadline: deadline ? deadline.toISOString() : null,
    overdue: deadline !== null && deadline.getTime() < now.getTime(),
  };
}

/** The buyer's contact and the gateway's reasons, for the order page and the CSV. */
export type PaymentFacts = {
  buyerEmail: string | null;
  buyerTel: string | null;
  failReason: string | null;
  cancelReason: string | null;
  receiptUrl: string | null;
};

export function paymentFacts(payment: Payment | null): PaymentFacts {
  const lastCancel = payment?.cancelHistory.at(-1)?.reason ?? null;
  return {
    buyerEmail: payment?.buyerEmail ?? null,
    buyerTel: payment?.buyerTel ?? null,
    failReason: payment?.failReason ?? null,
    cancelReason: payment?.cancelReason ?? lastCancel,
    receiptUrl: payment?.receiptUrl ?? null,
  };
}

/** The latest payment of each order, for a chunk of orders at once (one query). */
export async function latestPaymentsOf(
  deps: { db: Db },
  orders: { id: number; merchantUid: string; impUid: string | null }[],
): Promise<Map<number, Payment>> {
  const found = new Map<number, Payment>();
  const byId = new Map(orders.map((o) => [o.id, o]));
  for (const row of await paymentAnswersOfOrders(
    deps.db,
    orders.map((o) => o.id),
  )) {
    if (found.has(row.order_id)) continue;
    const order = byId.get(row.order_id)!;
    const payment = paymentsInStoredAnswer(row.raw_json).find(
      (p) => p.merchantUid === order.merchantUid && (order.impUid === null || p.impUid === order.impUid),
    );
    if (payment) found.set(row.order_id, payment);
  }
  return found;
}
