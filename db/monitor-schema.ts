import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  AttentionReason,
  FlagKind,
  MismatchPolicy,
  OrderStatus,
  Trigger,
  VerificationOutcome,
  WebhookIpPolicy,
  WebhookJobState,
} from '../app/monitor/status';

/** Tables of the monitor domain (migration 0002). Conventions: see db/schema.ts. */

export interface StoreTable {
  id: Generated<number>;
  slug: string;
  name: string;
  imp_code: string;
  imp_key: string;
  /** AES-256-GCM with a key derived from APP_SECRET (app/monitor/stores/secrets.server.ts). */
  imp_secret_enc: string;
  api_base_url: string;
  landing_success_url: string | null;
  landing_failure_url: string | null;
  landing_pending_url: string | null;
  webhook_ip_policy: WebhookIpPolicy;
  mismatch_policy: MismatchPolicy;
  webhook_grace_seconds: number;
  stale_pending_seconds: number;
  /** Days raw evidence of settled orders is kept (migration 0051; app/monitor/jobs/purge.server.ts). */
  evidence_retention_days: Generated<number>;
  api_key_hash: string;
  api_key_prefix: string;
  created_at: string;
  updated_at: string;
  /** When an admin archived the store, and who (migration 0071); null while it is active. */
  archived_at: Generated<string | null>;
  archived_by: Generated<string | null>;
  /** Payments nobody registered whose merchant_uid starts with it are this store's (migration 0072). */
  merchant_uid_prefix: Generated<string | null>;
}
export type StoreRow = Selectable<StoreTable>;
export type NewStoreRow = Insertable<StoreTable>;
export type StoreRowUpdate = Updateable<StoreTable>;

export interface OrderTable {
  id: Generated<number>;
  store_id: number;
  merchant_uid: string;
  /** Null only for an order we learned of from the gateway with no prepare record. */
  expected_amount: number | null;
  currency: string;
  name: string | null;
  /** `api` (registered by the merchant) or `evidence` (first seen in a redirect, webhook or sweep). */
  source: string;
  status: OrderStatus;
  imp_uid: string | null;
  gateway_status: string | null;
  paid_amount: number | null;
  cancel_amount: number | null;
  pay_method: string | null;
  pg_provider: string | null;
  buyer_name: string | null;
  /** The buyer's email and phone as the gateway's last answer gave them (migration 0075). */
  buyer_email: Generated<string | null>;
  buyer_tel: Generated<string | null>;
  /** The phone's digits, the search key (app/monitor/search-keys.ts phoneDigits). */
  buyer_tel_digits: Generated<string | null>;
  vbank_due_at: string | null;
  prepared_at: string | null;
  created_at: string;
  updated_at: string;
  paid_at: string | null;
  last_checked_at: string | null;
  next_check_at: string | null;
  check_attempts: Generated<number>;
  open_reason_count: Generated<number>;
  /** A fingerprint of the gateway's last answer about the order (verify/answer.ts; migration 0070). */
  last_answer: Generated<string | null>;
}
export type OrderRow = Selectable<OrderTable>;
export type NewOrderRow = Insertable<OrderTable>;
export type OrderRowUpdate = Updateable<OrderTable>;

export interface AttentionReasonTable {
  id: Generated<number>;
  order_id: number;
  reason: AttentionReason;
  opened_at: string;
  detail: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
  /** Set when a person resolved it: the fingerprint of the gateway answer they resolved it against (0070). */
  resolved_answer: Generated<string | null>;
}
export type AttentionReasonRow = Selectable<AttentionReasonTable>;

export interface RedirectHitTable {
  id: Generated<number>;
  store_slug: string;
  store_id: number | null;
  order_id: number | null;
  received_at: string;
  query_string: string;
  query_truncated: number;
  ip: string;
  user_agent: string | null;
  parse_error: string | null;
  imp_uid: string | null;
  merchant_uid: string | null;
  flag_kind: FlagKind;
  flag_value: string | null;
  error_code: string | null;
  error_msg: string | null;
  /** When retention emptied `query_string` (migration 0051). */
  purged_at: Generated<string | null>;
}
export type RedirectHitRow = Selectable<RedirectHitTable>;
export type NewRedirectHitRow = Insertable<RedirectHitTable>;

export interface WebhookDeliveryTable {
  id: Generated<number>;
  store_slug: string;
  store_id: number | null;
  order_id: number | null;
  received_at: string;
  content_type: string | null;
  headers_json: string;
  /** The body as text (UTF-8, lossy when `body_base64` is set). */
  body_text: string;
  /** The exact bytes, only when they were not valid UTF-8. */
  body_base64: string | null;
  body_bytes: number;
  source_ip: string;
  ip_listed: number;
  answer_status: number;
  parse_error: string | null;
  imp_uid: string | null;
  merchant_uid: string | null;
  status: string | null;
  cancellation_id: string | null;
  duplicate_of: number | null;
  /** When retention emptied the body and headers (migration 0051). */
  purged_at: Generated<string | null>;
}
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
export type NewWebhookDeliveryRow = Insertable<WebhookDeliveryTable>;

/** One row per webhook delivery identity: its original delivery (migration 0040). */
export interface WebhookDedupTable {
  store_id: number;
  imp_uid: string;
  /** '' for no status, '=' + status otherwise (absent and empty stay apart). */
  status_key: string;
  cancellation_key: string;
  delivery_id: number | null;
}

export interface WebhookJobTable {
  id: Generated<number>;
  delivery_id: number;
  store_id: number;
  state: WebhookJobState;
  attempts: Generated<number>;
  available_at: string;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}
export type WebhookJobRow = Selectable<WebhookJobTable>;

export interface GatewayCheckTable {
  id: Generated<number>;
  store_id: number;
  order_id: number | null;
  trigger: Trigger;
  operation: string;
  imp_uid: string | null;
  merchant_uid: string | null;
  checked_at: string;
  ok: number;
  http_status: number | null;
  error_kind: string | null;
  error_code: number | null;
  error_message: string | null;
  latency_ms: number;
  raw_json: string | null;
  /** When retention dropped `raw_json` (migration 0051). */
  purged_at: Generated<string | null>;
}
export type GatewayCheckRow = Selectable<GatewayCheckTable>;
export type NewGatewayCheckRow = Insertable<GatewayCheckTable>;

export interface VerificationTable {
  id: Generated<number>;
  order_id: number;
  gateway_check_id: number | null;
  redirect_hit_id: number | null;
  webhook_delivery_id: number | null;
  trigger: Trigger;
  decided_at: string;
  outcome: VerificationOutcome;
  status_before: OrderStatus;
  status_after: OrderStatus;
  gateway_status: string | null;
  expected_amount: number | null;
  paid_amount: number | null;
  currency: string | null;
  /** JSON arrays of reason names. */
  reasons_opened: string;
  reasons_resolved: string;
}
export type VerificationRow = Selectable<VerificationTable>;

export interface MonitorTables {
  store: StoreTable;
  order: OrderTable;
  attention_reason: AttentionReasonTable;
  redirect_hit: RedirectHitTable;
  webhook_delivery: WebhookDeliveryTable;
  webhook_dedup: WebhookDedupTable;
  webhook_job: WebhookJobTable;
  gateway_check: GatewayCheckTable;
  verification: VerificationTable;
}
