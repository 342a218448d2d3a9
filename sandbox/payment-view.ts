import { randomInt, randomBytes } from 'node:crypto';
import type { PaymentRow } from './db/schema';

/** One cancel_history item, keys in alphabetical order like every object the sandbox answers. */
export type CancelHistoryItem = {
  amount: number;
  cancellation_id: string;
  cancelled_at: number;
  pg_tid: string;
  reason: string;
  receipt_url: string | null;
};

/**
 * The wire `Payment` (PaymentAnnotation): every key present, alphabetical, strings null,
 * timestamps 0, arrays [] when absent, `sandbox: false` (iamport-facts §4, §4.3).
 */
export function toWirePayment(p: PaymentRow) {
  return {
    amount: p.amount,
    apply_num: p.apply_num,
    bank_code: p.bank_code,
    bank_name: p.bank_name,
    buyer_addr: p.buyer_addr,
    buyer_email: p.buyer_email,
    buyer_name: p.buyer_name,
    buyer_postcode: p.buyer_postcode,
    buyer_tel: p.buyer_tel,
    cancel_amount: p.cancel_amount,
    cancel_history: JSON.parse(p.cancel_history) as CancelHistoryItem[],
    cancel_reason: p.cancel_reason,
    cancel_receipt_urls: JSON.parse(p.cancel_receipt_urls) as string[],
    cancelled_at: p.cancelled_at,
    card_code: p.card_code,
    card_issuer_code: null,
    card_issuer_name: null,
    card_name: p.card_name,
    card_number: p.card_number,
    card_publisher_code: null,
    card_publisher_name: null,
    card_quota: p.card_quota,
    card_type: p.card_type,
    cash_receipt_issued: p.cash_receipt_issued === 1,
    channel: p.channel,
    currency: p.currency,
    custom_data: p.custom_data,
    customer_uid: null,
    customer_uid_usage: null,
    deposit_history: [] as never[],
    emb_pg_provider: p.emb_pg_provider,
    escrow: p.escrow === 1,
    fail_reason: p.fail_reason,
    failed_at: p.failed_at,
    imp_uid: p.imp_uid,
    merchant_uid: p.merchant_uid,
    name: p.name,
    paid_at: p.paid_at,
    pay_method: p.pay_method,
    pg_id: p.pg_id,
    pg_provider: p.pg_provider,
    pg_tid: p.pg_tid,
    promotion: null,
    receipt_url: p.receipt_url,
    sandbox: false,
    started_at: p.started_at,
    status: p.status,
    user_agent: p.user_agent,
    vbank_code: p.vbank_code,
    vbank_date: p.vbank_date,
    vbank_holder: p.vbank_holder,
    vbank_issued_at: p.vbank_issued_at,
    vbank_name: p.vbank_name,
    vbank_num: p.vbank_num,
  };
}

export type WirePayment = ReturnType<typeof toWirePayment>;

/** `imp_` + 12 digits, like the live ids (`imp_448280090638`). */
export function newImpUid(): string {
  return `imp_${String(randomInt(100_000_000_000, 1_000_000_000_000))}`;
}

/** A PG transaction id (≤ 64 characters); its shape only needs to look like one. */
export function newPgTid(provider: string | null, nowS: number): string {
  const stamp = new Date(nowS * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
  return `${(provider ?? 'pg').slice(0, 12)}${stamp}${randomBytes(6).toString('hex')}`.slice(0, 64);
}

export function newApplyNum(): string {
  return String(randomInt(10_000_000, 100_000_000));
}

export function newCancellationId(): string {
  return `cncl_${randomBytes(10).toString('hex')}`;
}

export function newVbankNum(): string {
  return `${randomInt(100, 1000)}${String(randomInt(0, 100_000_000)).padStart(8, '0')}${randomInt(100, 1000)}`;
}
