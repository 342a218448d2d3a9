import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The sandbox's own tables, in its own SQLite file (`<dataDir>/sandbox.db`). Nothing here is
 * shared with the monitor's database: the sandbox plays Iamport, a separate system.
 *
 * Payment times are unix seconds (what the wire shows); scheduler times (`*_ms`) are
 * milliseconds of the sandbox clock.
 */
export interface SandboxDatabase {
  merchant: MerchantTable;
  token: TokenTable;
  payment: PaymentTable;
  prepare: PrepareTable;
  webhook_delivery: WebhookDeliveryTable;
  webhook_attempt: WebhookAttemptTable;
}

export interface MerchantTable {
  id: Generated<number>;
  imp_code: string;
  imp_key: string;
  imp_secret: string;
  name: string;
  /** The console's notification URL; null sends no webhooks unless a payment has a notice_url. */
  webhook_url: string | null;
  webhook_format: 'json' | 'form';
  /** JSON of WebhookScenario: the default for this merchant's payments. */
  webhook_scenario: string;
  /** Status after a refund that leaves a balance (docs/decisions/0102). */
  partial_cancel_status: 'paid' | 'cancelled';
  default_pg: string;
  /** JSON of ApiFaults, or null when the API behaves. */
  faults: string | null;
  is_demo: number;
  created_at: number;
}

export interface TokenTable {
  token: string;
  merchant_id: number;
  issued_at: number;
  expires_at: number;
  revoked: number;
}

export interface PaymentTable {
  id: Generated<number>;
  imp_uid: string;
  merchant_id: number;
  merchant_uid: string;
  pay_method: string | null;
  channel: string | null;
  pg_provider: string | null;
  emb_pg_provider: string | null;
  pg_tid: string | null;
  pg_id: string | null;
  escrow: number;
  apply_num: string | null;
  bank_code: string | null;
  bank_name: string | null;
  card_code: string | null;
  card_name: string | null;
  card_quota: number;
  card_number: string | null;
  card_type: number | null;
  vbank_code: string | null;
  vbank_name: string | null;
  vbank_num: string | null;
  vbank_holder: string | null;
  vbank_date: number;
  vbank_issued_at: number;
  name: string | null;
  amount: number;
  cancel_amount: number;
  currency: string;
  buyer_name: string | null;
  buyer_email: string | null;
  buyer_tel: string | null;
  buyer_addr: string | null;
  buyer_postcode: string | null;
  custom_data: string | null;
  user_agent: string | null;
  status: 'ready' | 'paid' | 'failed' | 'cancelled';
  started_at: number;
  paid_at: number;
  failed_at: number;
  cancelled_at: number;
  fail_reason: string | null;
  cancel_reason: string | null;
  receipt_url: string | null;
  /** JSON array of cancel_history items, wire shape. */
  cancel_history: string;
  /** JSON array of strings. */
  cancel_receipt_urls: string;
  cash_receipt_issued: number;
  /** Last change of anything, for `sorting=updated`. */
  updated_at: number;
  /** The time field of the current status (iamport-facts §3.5), for /payments/status windows. */
  status_at: number;
  /** What the order asked for before any tampering (the window's or the control's `amount`). */
  order_amount: number;
  /** JSON array of per-payment notice_url values (they override the merchant's URL), or null. */
  notice_urls: string | null;
  /** JSON of a per-payment WebhookScenario, or null for the merchant's default. */
  webhook_scenario: string | null;
  /** The browser flow of a window payment; null for payments made by the controls. */
  m_redirect_url: string | null;
  window_mode: 'redirect' | 'callback' | null;
  window_origin: string | null;
  window_state: 'open' | 'closed' | null;
  /** request_pay's vbank_due, kept until the window issues the account. */
  requested_vbank_due: number | null;
}

export interface PrepareTable {
  merchant_id: number;
  merchant_uid: string;
  amount: number;
  currency: string | null;
  created_at: number;
  updated_at: number;
}

export type DeliveryState = 'pending' | 'held' | 'sending' | 'delivered' | 'failed' | 'dropped';

export interface WebhookDeliveryTable {
  id: Generated<number>;
  merchant_id: number;
  imp_uid: string;
  merchant_uid: string;
  status: string;
  cancellation_id: string | null;
  url: string;
  format: 'json' | 'form';
  body: string;
  state: DeliveryState;
  /** When the next attempt is due (sandbox clock, ms); null while held for the redirect. */
  due_at_ms: number | null;
  /** Seconds to wait after the redirect was sent, for deliveries held until then. */
  hold_seconds: number;
  retry: number;
  attempts: number;
  copy: number;
  created_at_ms: number;
  finished_at_ms: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface WebhookAttemptTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  started_at_ms: number;
  latency_ms: number;
  status: number | null;
  body_excerpt: string | null;
  error: string | null;
}

export type MerchantRow = Selectable<MerchantTable>;
export type NewMerchant = Insertable<MerchantTable>;
export type MerchantUpdate = Updateable<MerchantTable>;
export type PaymentRow = Selectable<PaymentTable>;
export type NewPayment = Insertable<PaymentTable>;
export type PaymentUpdate = Updateable<PaymentTable>;
export type PrepareRow = Selectable<PrepareTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;
export type NewDelivery = Insertable<WebhookDeliveryTable>;
export type AttemptRow = Selectable<WebhookAttemptTable>;
