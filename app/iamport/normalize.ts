import { DEFAULT_CURRENCY, toMinorUnits } from './money';
import type { CancelHistoryItem, Payment, Prepared } from './types';
import type { AuthWire, PaymentWire, PrepareWire } from './wire';

/**
 * Wire shapes (already zod-parsed) to domain values. Pure; each function throws `AmountError`
 * when a value cannot be represented exactly, which the client reports as an unreadable answer.
 */

/** Unix seconds to a Date; the gateway's `0` (and a `null`) is "none". */
export function toDate(seconds: number | null | undefined): Date | null {
  return seconds ? new Date(seconds * 1000) : null;
}

export function toPayment(wire: PaymentWire): Payment {
  const currency = wire.currency;
  const amount = toMinorUnits(wire.amount, currency);
  const cancelAmount = toMinorUnits(wire.cancel_amount, currency);
  const cancelHistory: CancelHistoryItem[] = (wire.cancel_history ?? []).map((item) => ({
    pgTid: item.pg_tid,
    amount: toMinorUnits(item.amount, currency),
    cancelledAt: toDate(item.cancelled_at),
    reason: item.reason,
    cancellationId: item.cancellation_id ?? null,
    receiptUrl: item.receipt_url ?? null,
  }));
  return {
    impUid: wire.imp_uid,
    merchantUid: wire.merchant_uid,
    status: wire.status,
    amount,
    cancelAmount,
    currency,
    payMethod: wire.pay_method ?? null,
    pgProvider: wire.pg_provider ?? null,
    embPgProvider: wire.emb_pg_provider ?? null,
    pgTid: wire.pg_tid ?? null,
    pgId: wire.pg_id ?? null,
    channel: wire.channel ?? null,
    name: wire.name ?? null,
    buyerName: wire.buyer_name ?? null,
    buyerEmail: wire.buyer_email ?? null,
    buyerTel: wire.buyer_tel ?? null,
    customData: wire.custom_data ?? null,
    applyNum: wire.apply_num ?? null,
    cardName: wire.card_name ?? null,
    cardNumber: wire.card_number ?? null,
    cardQuota: wire.card_quota ?? 0,
    bankName: wire.bank_name ?? null,
    escrow: wire.escrow ?? false,
    customerUid: wire.customer_uid ?? null,
    startedAt: toDate(wire.started_at),
    paidAt: toDate(wire.paid_at),
    failedAt: toDate(wire.failed_at),
    cancelledAt: toDate(wire.cancelled_at),
    failReason: wire.fail_reason ?? null,
    cancelReason: wire.cancel_reason ?? null,
    receiptUrl: wire.receipt_url ?? null,
    vbankCode: wire.vbank_code ?? null,
    vbankName: wire.vbank_name ?? null,
    vbankNum: wire.vbank_num ?? null,
    vbankHolder: wire.vbank_holder ?? null,
    vbankDate: toDate(wire.vbank_date),
    vbankIssuedAt: toDate(wire.vbank_issued_at),
    cancelHistory,
    sandbox: wire.sandbox ?? false,
  };
}

/** A pre-registration without a currency is unchecked by the gateway; its amount is read as KRW. */
export function toPrepared(wire: PrepareWire): Prepared {
  const currency = wire.currency ?? null;
  return {
    merchantUid: wire.merchant_uid,
    amount: toMinorUnits(wire.amount, currency ?? DEFAULT_CURRENCY),
    currency,
  };
}

/**
 * The token's expiry on the local clock: `expired_at − now` is the lifetime by the *server's*
 * clock, added to our own `receivedAt`, so a skewed local clock changes nothing (iamport-facts §1.5).
 */
export function tokenExpiry(wire: AuthWire, receivedAt: Date): Date {
  return new Date(receivedAt.getTime() + (wire.expired_at - wire.now) * 1000);
}
