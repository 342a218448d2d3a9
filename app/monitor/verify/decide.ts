import type { PaymentStatus } from '../../iamport/types';
import {
  MONEY_MOVED,
  SETTLED_STATUSES,
  type AttentionReason,
  type FlagKind,
  type OrderStatus,
  type VerificationOutcome,
} from '../status';

/**
 * The order state machine: a pure function from (our order, what the gateway said, what the
 * evidence claimed) to the next status and the reasons to open or resolve. Every trigger
 * (redirect, webhook, schedule, button) goes through it; it never does I/O.
 */

/** The part of a gateway payment the decision needs (app/iamport's Payment satisfies it). */
export type ObservedPayment = {
  impUid: string;
  merchantUid: string;
  status: PaymentStatus;
  amount: number;
  cancelAmount: number;
  currency: string;
  payMethod: string | null;
  vbankNum: string | null;
};

export type Observation =
  | { kind: 'found'; payment: ObservedPayment }
  | { kind: 'not_found' }
  | { kind: 'error'; errorKind: string; message: string };

export type RedirectFlag = { kind: FlagKind; value: boolean | null };

export type OrderFacts = {
  status: OrderStatus;
  impUid: string | null;
  expectedAmount: number | null;
  currency: string;
};

export type DecideInput = {
  order: OrderFacts;
  observation: Observation;
  /** Only for redirect-triggered checks: the flag the query string carried. */
  redirectFlag?: RedirectFlag | null;
  /** The change was caused by our own cancel (policy or operator), so it is not a late change. */
  ownAction?: boolean;
  /** The redirect said the process failed (flag false or an error_code). */
  redirectClaimsFailure?: boolean;
  /** A webhook's `status` field: evidence worded into reasons, never a status (decision 0010). */
  webhookStatus?: string | null;
  /**
   * An `unconfirmed_failure` is open on the order (a buyer's browser reported a failure the
   * gateway has not confirmed); `silentPastWindow` once the store's window has passed since.
   */
  unconfirmedFailure?: { silentPastWindow: boolean } | null;
};

export type ReasonToOpen = { reason: AttentionReason; detail: string };

export type Decision = {
  status: OrderStatus;
  outcome: VerificationOutcome;
  open: ReasonToOpen[];
  /** Reasons to resolve; a reason in both `open` and `resolve` is recorded as opened and resolved at once. */
  resolve: AttentionReason[];
  /** The gateway gave a conclusive answer about this order. */
  settled: boolean;
  /** The payment to record on the order (absent when the observation is ignored or failed). */
  payment: ObservedPayment | null;
};

/**
 * Transitions that need nobody's attention. Any other change the gateway reports is applied
 * (the gateway is the truth) and opens `late_change`, unless our own cancel explains it.
 */
export const NORMAL_TRANSITIONS: Record<OrderStatus, ReadonlySet<OrderStatus>> = {
  pending: new Set(['paid', 'vbank_issued', 'failed', 'cancelled', 'partially_cancelled', 'mismatch']),
  vbank_issued: new Set(['paid', 'mismatch', 'failed', 'cancelled']),
  failed: new Set(['vbank_issued']),
  paid: new Set([]),
  partially_cancelled: new Set([]),
  mismatch: new Set([]),
  cancelled: new Set([]),
};

/** Transitions our own cancel (mismatch policy or an operator) is allowed to cause. */
export const OWN_ACTION_TRANSITIONS: Record<OrderStatus, ReadonlySet<OrderStatus>> = {
  pending: new Set([]),
  vbank_issued: new Set(['cancelled', 'partially_cancelled']),
  failed: new Set([]),
  paid: new Set(['cancelled', 'partially_cancelled']),
  partially_cancelled: new Set(['cancelled', 'partially_cancelled']),
  mismatch: new Set(['cancelled', 'partially_cancelled']),
  cancelled: new Set([]),
};

/** What our status should be for this payment, judged against the order's expected amount. */
export function statusForPayment(
  payment: ObservedPayment,
  order: Pick<OrderFacts, 'expectedAmount' | 'currency'>,
): { status: OrderStatus; outcome: VerificationOutcome; amountDiffers: boolean } {
  const amountDiffers =
    order.expectedAmount !== null && (payment.amount !== order.expectedAmount || payment.currency !== order.currency);
  switch (payment.status) {
    case 'paid':
      if (amountDiffers) return { status: 'mismatch', outcome: 'mismatch', amountDiffers };
      if (payment.cancelAmount > 0)
        return { status: 'partially_cancelled', outcome: 'partially_cancelled', amountDiffers };
      return { status: 'paid', outcome: 'paid', amountDiffers };
    case 'ready':
      // `ready` is a vbank waiting for its deposit, or a window the buyer abandoned.
      if (payment.payMethod === 'vbank' || payment.vbankNum !== null) {
        return amountDiffers
          ? { status: 'mismatch', outcome: 'mismatch', amountDiffers }
          : { status: 'vbank_issued', outcome: 'vbank_issued', amountDiffers };
      }
      return { status: 'failed', outcome: 'abandoned', amountDiffers: false };
    case 'failed':
      return { status: 'failed', outcome: 'failed', amountDiffers: false };
    case 'cancelled':
      // Never judge "fully refunded" from the status alone (iamport-facts §3.8): compare amounts.
      if (payment.cancelAmount > 0 && payment.cancelAmount < payment.amount) {
        return { status: 'partially_cancelled', outcome: 'partially_cancelled', amountDiffers };
      }
      return { status: 'cancelled', outcome: 'cancelled', amountDiffers };
  }
}

export function decide(input: DecideInput): Decision {
  const { order, observation } = input;
  const open: ReasonToOpen[] = [];
  const resolve: AttentionReason[] = [];
  const flag = input.redirectFlag ?? null;
  if (flag?.kind === 'none')
    open.push({ reason: 'missing_flag', detail: 'redirect carried neither imp_success nor success' });

  if (observation.kind === 'error') {
    open.push({ reason: 'unverified', detail: `${observation.errorKind}: ${observation.message}` });
    return { status: order.status, outcome: 'unverified', open, resolve, settled: false, payment: null };
  }
  resolve.push('unverified');

  if (observation.kind === 'not_found') {
    // Only the gateway settles (decision 0010): a buyer's browser reporting failure for a payment
    // the gateway has never seen proves nothing (anyone can send that GET). The order stays
    // pending with a reason saying so and an early check; when the gateway is still silent after
    // the store's window, the payment counts as abandoned, which a later payment overrides.
    const claimedFailure = input.redirectClaimsFailure === true || input.unconfirmedFailure != null;
    if (claimedFailure && order.status === 'pending') {
      if (input.unconfirmedFailure?.silentPastWindow) {
        return {
          status: 'failed',
          outcome: 'abandoned',
          open: [],
          resolve: [...resolve, 'unconfirmed_failure', 'not_found_at_gateway', 'missing_flag', 'stale_pending'],
          settled: true,
          payment: null,
        };
      }
      open.push({
        reason: 'unconfirmed_failure',
        detail: "the buyer's browser reported a failure; the gateway has no payment for this order yet",
      });
      return { status: order.status, outcome: 'not_found', open, resolve, settled: false, payment: null };
    }
    const said = input.webhookStatus ? ` (the webhook said status ${input.webhookStatus})` : '';
    open.push({ reason: 'not_found_at_gateway', detail: `the gateway does not know this payment${said}` });
    return { status: order.status, outcome: 'not_found', open, resolve, settled: false, payment: null };
  }
  resolve.push('not_found_at_gateway');

  const payment = observation.payment;
  const judged = statusForPayment(payment, order);

  // An older attempt for the same merchant_uid must not undo a newer one that moved money.
  const otherAttempt = order.impUid !== null && payment.impUid !== order.impUid;
  if (otherAttempt && MONEY_MOVED.has(order.status) && !MONEY_MOVED.has(judged.status)) {
    return { status: order.status, outcome: 'stale_attempt', open, resolve, settled: true, payment: null };
  }

  if (judged.amountDiffers) {
    open.push({
      reason: 'amount_mismatch',
      detail: `expected ${order.expectedAmount} ${order.currency}, gateway has ${payment.amount} ${payment.currency}`,
    });
  }
  if (judged.status === 'cancelled') resolve.push('amount_mismatch');

  if (flag && flag.kind !== 'none' && flag.value !== null) {
    // The flag describes the process, not the amount: compare it with the gateway's own status.
    const gatewaySaysOk = payment.status === 'paid' || (payment.status === 'ready' && judged.status !== 'failed');
    if (flag.value !== gatewaySaysOk) {
      open.push({
        reason: 'flag_contradicts_gateway',
        detail: `${flag.kind}=${flag.value} but the gateway says ${payment.status}`,
      });
    }
  }
  // A settled gateway answer explains any flag oddity or claimed failure: recorded, nothing left to chase.
  resolve.push('missing_flag', 'flag_contradicts_gateway', 'unconfirmed_failure');
  // The gateway knows a payment: the order is not stale; a vbank that left `ready` is not overdue.
  resolve.push('stale_pending');
  if (judged.status !== 'vbank_issued') resolve.push('vbank_overdue');

  const from = order.status;
  const to = judged.status;
  if (
    from !== to &&
    isLateChange(from, to, {
      sameAttempt: !otherAttempt,
      ownAction: input.ownAction === true,
      paymentSeen: order.impUid !== null,
    })
  ) {
    open.push({ reason: 'late_change', detail: `${from} → ${to} (gateway status ${payment.status})` });
  }
  return { status: to, outcome: judged.outcome, open, resolve, settled: true, payment };
}

function isLateChange(
  from: OrderStatus,
  to: OrderStatus,
  how: { sameAttempt: boolean; ownAction: boolean; paymentSeen: boolean },
): boolean {
  if (NORMAL_TRANSITIONS[from].has(to)) return false;
  if (how.ownAction && OWN_ACTION_TRANSITIONS[from].has(to)) return false;
  // Failed without the gateway ever showing a payment: abandoned by silence (decision 0010).
  if (from === 'failed' && !how.paymentSeen) return false;
  // A new attempt after a failure (the buyer tried again) is ordinary.
  if (!how.sameAttempt && from === 'failed') return false;
  return SETTLED_STATUSES.has(from);
}
