/**
 * Every status, reason, trigger and policy string of the monitor lives here, once.
 * (The gateway's own payment statuses live in app/iamport/types.ts.)
 */

export const ORDER_STATUSES = [
  'pending',
  'paid',
  'vbank_issued',
  'failed',
  'cancelled',
  'partially_cancelled',
  'mismatch',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A string from outside the type system (a rollup dimension) that names a status. */
export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

export const ATTENTION_REASONS = [
  'missing_flag',
  'flag_contradicts_gateway',
  'redirect_without_webhook',
  'unverified',
  'not_found_at_gateway',
  'unknown_order',
  'amount_mismatch',
  'late_change',
  'stale_pending',
  'vbank_overdue',
  'orphan_payment',
  'unconfirmed_failure',
] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

/** A string from outside the type system (a rollup dimension, a form field) that names a reason. */
export function isAttentionReason(value: string): value is AttentionReason {
  return (ATTENTION_REASONS as readonly string[]).includes(value);
}

/** What started a gateway check or a verification. */
export const TRIGGERS = [
  'register',
  'redirect',
  'webhook',
  'schedule',
  'sweep',
  'button',
  'auto_cancel',
  'manual_cancel',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const VERIFICATION_OUTCOMES = [
  'paid',
  'vbank_issued',
  'failed',
  'abandoned',
  'cancelled',
  'partially_cancelled',
  'mismatch',
  'not_found',
  'unverified',
  'stale_attempt',
] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];

export const FLAG_KINDS = ['imp_success', 'success', 'none'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

export const WEBHOOK_IP_POLICIES = ['off', 'log', 'enforce'] as const;
export type WebhookIpPolicy = (typeof WEBHOOK_IP_POLICIES)[number];

export const MISMATCH_POLICIES = ['flag', 'auto_cancel', 'approval'] as const;
export type MismatchPolicy = (typeof MISMATCH_POLICIES)[number];

export const WEBHOOK_JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type WebhookJobState = (typeof WEBHOOK_JOB_STATES)[number];

/** Statuses whose money is accounted for; a change away from one is a `late_change`. */
export const SETTLED_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'paid',
  'failed',
  'cancelled',
  'partially_cancelled',
  'vbank_issued',
  'mismatch',
]);

/** Statuses in which money reached the merchant at some point (an older attempt never undoes one). */
export const MONEY_MOVED: ReadonlySet<OrderStatus> = new Set([
  'paid',
  'vbank_issued',
  'mismatch',
  'partially_cancelled',
  'cancelled',
]);

/** Statuses in which the merchant still holds (or is owed) the money. */
export const MONEY_HELD: ReadonlySet<OrderStatus> = new Set([
  'paid',
  'vbank_issued',
  'mismatch',
  'partially_cancelled',
]);

/** Reasons the scheduled job keeps re-querying the gateway for; the others wait for a person. */
export const REQUERY_REASONS: ReadonlySet<AttentionReason> = new Set([
  'missing_flag',
  'flag_contradicts_gateway',
  'redirect_without_webhook',
  'unverified',
  'not_found_at_gateway',
  'stale_pending',
  'unconfirmed_failure',
]);

/** Reconciliation runs (app/monitor/jobs/reconcile.server.ts, sweep.server.ts). */
export const RUN_KINDS = ['reconcile', 'sweep', 'purge'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** What started a run (a verification made by a run has its own Trigger: 'schedule' or 'sweep'). */
export const RUN_TRIGGERS = ['schedule', 'cli', 'button'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** `running` until it ends; `skipped` when another process held the job's lease. */
export const RUN_STATUSES = ['running', 'ok', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One store's part of a run: `skipped` when its gateway was cooling down after failures. */
export const RUN_STORE_STATUSES = ['ok', 'failed', 'skipped'] as const;
export type RunStoreStatus = (typeof RUN_STORE_STATUSES)[number];

/** What a run did to one order: a verification outcome, or a reason opened or resolved by time. */
export const RUN_ITEM_OUTCOMES = [...VERIFICATION_OUTCOMES, 'reason_opened', 'reason_resolved', 'error'] as const;
export type RunItemOutcome = (typeof RUN_ITEM_OUTCOMES)[number];
