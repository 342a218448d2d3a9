import type { OrderRow, OrderRowUpdate, VerificationTable } from '../../../db/monitor-schema';
import type { Insertable } from 'kysely';
import type { Payment } from '../../iamport/types';
import { fingerprint, NO_ANSWER, reopenedNote } from './answer';
import { decide, type Decision, type OrderFacts, type RedirectFlag } from './decide';
import { nextCheck } from './schedule';
import { abandonAtFrom, unconfirmedFailureState } from './unconfirmed-failure';
import { REQUERY_REASONS, type AttentionReason, type OrderStatus, type Trigger } from '../status';
import { fromDbTime, toDbTime } from '../time';
import { phoneDigits } from '../search-keys';

/**
 * The order ledger's planner: from an order row, its open reasons and one change (a gateway
 * answer, a reason time opened or explained, a person's resolution), what to write. Pure: the
 * locked applier (ledger.server.ts) reads the facts under the order's lock and writes exactly
 * this; the reconcile dry run calls it too and writes nothing, so a dry run cannot drift.
 */

/** What the gateway answered about one payment (a Payment in full when it found one). */
export type GatewayObservation =
  | { kind: 'found'; payment: Payment }
  | { kind: 'not_found' }
  | { kind: 'error'; errorKind: string; message: string };

/** Who closed a reason: the gateway, a timed rule (`webhook`, `time`, …) or a person's e-mail. */
export type LedgerChange =
  /** A gateway answer, from any trigger. */
  | {
      kind: 'observation';
      trigger: Trigger;
      observation: GatewayObservation;
      redirectFlag?: RedirectFlag | null;
      redirectClaimsFailure?: boolean;
      /** A webhook's `status` field (worded into reasons, never decides). */
      webhookStatus?: string | null;
      /** The store's window for the gateway to confirm a failure the buyer's browser reported (decision 0010). */
      unconfirmedWindowSeconds?: number;
      ownAction?: boolean;
      checkId: number | null;
      redirectHitId?: number | null;
      webhookDeliveryId?: number | null;
    }
  /** A reason time (or evidence: the sweep, an unknown order) reveals; nothing if it is already open. */
  | { kind: 'open'; reason: AttentionReason; detail: string; trigger?: Trigger }
  /** A reason time or new evidence explains; nothing if it is not open. */
  | { kind: 'resolve'; reason: AttentionReason; by: string; note: string }
  /** A person resolves open reasons (all of them when `reasons` is null) with a written note. */
  | { kind: 'person_resolve'; reasons: readonly AttentionReason[] | null; by: string; note: string };

export type ReasonToInsert = {
  reason: AttentionReason;
  detail: string;
  /** Set when the same answer opened and explained it: kept in the history, never open. */
  resolvedBy: string | null;
};

/**
 * The latest resolution of a reason by a person (decision 0154): who, and the fingerprint of the
 * gateway answer they resolved it against. Only the reason's most recent resolved row counts, and
 * only when a person resolved it (the gateway's or time's resolutions carry no answer).
 */
export type PersonResolution = { by: string; answer: string };

export type Plan = {
  /** Nothing to write (a reason already open, or not open to resolve). */
  noop: boolean;
  statusBefore: OrderStatus;
  status: OrderStatus;
  /** Reasons to insert (open ones, and ones opened and resolved at once). */
  insert: ReasonToInsert[];
  /**
   * Open reasons to close, with who closed them and why; `answer` only for a person's resolution:
   * the fingerprint of the gateway answer it was made against.
   */
  resolve: { reasons: AttentionReason[]; by: string; note: string | null; answer: string | null };
  /** The reasons open before the change (in the order they were opened). */
  openBefore: AttentionReason[];
  /** The reasons open once the plan is applied. */
  openAfter: AttentionReason[];
  /** Opened now and still open (not the ones opened and resolved at once). */
  openedNow: AttentionReason[];
  /** Reasons the change would open that stay closed: a person resolved them against this same answer. */
  kept: AttentionReason[];
  /** Set on the order row (empty when `noop`). */
  orderUpdate: OrderRowUpdate;
  /** Only for a gateway answer: the verification to record. */
  verification: Omit<Insertable<VerificationTable>, 'order_id'> | null;
  /** Only for a gateway answer: what the state machine decided. */
  decision: Decision | null;
};

/** The facts the state machine judges an order on: one mapping from the row, used everywhere. */
export function orderFacts(row: Pick<OrderRow, 'status' | 'imp_uid' | 'expected_amount' | 'currency'>): OrderFacts {
  return { status: row.status, impUid: row.imp_uid, expectedAmount: row.expected_amount, currency: row.currency };
}

/** What is left to refund at the gateway: paid minus already refunded, or null when nothing was paid there. */
export function refundableAmount(row: Pick<OrderRow, 'imp_uid' | 'paid_amount' | 'cancel_amount'>): number | null {
  if (!row.imp_uid || row.paid_amount === null) return null;
  return row.paid_amount - (row.cancel_amount ?? 0);
}

/**
 * The planner's view of an order's open reason rows: which are open and since when. The ledger
 * reads them under the order's lock; the reconcile dry run reads the same rows without one.
 */
export function openFacts(rows: readonly { reason: AttentionReason; opened_at: string }[]): {
  open: Set<AttentionReason>;
  openSince: Map<AttentionReason, string>;
} {
  return {
    open: new Set(rows.map((r) => r.reason)),
    openSince: new Map(rows.map((r) => [r.reason, r.opened_at] as const)),
  };
}

export function planChange(input: {
  order: OrderRow;
  open: ReadonlySet<AttentionReason>;
  /** When each open reason opened (ISO-8601); only the unconfirmed failure's window needs it. */
  openSince?: ReadonlyMap<AttentionReason, string>;
  change: LedgerChange;
  now: Date;
  /**
   * The latest person's resolution of reasons this change may open (the ledger reads them only
   * when a first plan would open something). A reason whose resolution was made against the same
   * gateway answer stays resolved; a different answer opens it again, saying what changed.
   */
  resolutions?: ReadonlyMap<AttentionReason, PersonResolution>;
}): Plan {
  const resolutions = input.resolutions ?? new Map<AttentionReason, PersonResolution>();
  switch (input.change.kind) {
    case 'observation':
      return planObservation(
        input.order,
        input.open,
        input.openSince ?? new Map(),
        resolutions,
        input.change,
        input.now,
      );
    case 'open':
    case 'resolve':
      return planTimed(input.order, input.open, resolutions, input.change, input.now);
    case 'person_resolve':
      return planPersonResolve(input.order, input.open, input.change, input.now);
  }
}

/** The fingerprint of a gateway answer the ledger applies (a stale attempt's answer is not the order's). */
export function answerOf(observation: GatewayObservation): string {
  switch (observation.kind) {
    case 'found': {
      const p = observation.payment;
      return fingerprint({
        kind: 'found',
        impUid: p.impUid,
        status: p.status,
        amount: p.amount,
        cancelAmount: p.cancelAmount,
        currency: p.currency,
      });
    }
    case 'not_found':
      return fingerprint({ kind: 'not_found' });
    case 'error':
      return fingerprint({ kind: 'error', errorKind: observation.errorKind });
  }
}

function planObservation(
  order: OrderRow,
  before: ReadonlySet<AttentionReason>,
  openSince: ReadonlyMap<AttentionReason, string>,
  resolutions: ReadonlyMap<AttentionReason, PersonResolution>,
  change: Extract<LedgerChange, { kind: 'observation' }>,
  now: Date,
): Plan {
  const at = toDbTime(now);
  const windowSeconds = change.unconfirmedWindowSeconds ?? 0;
  const unconfirmed = unconfirmedFailureState({
    openReasons: [...openSince].map(([reason, opened_at]) => ({ reason, opened_at })),
    windowSeconds,
    now,
  });
  const decision = decide({
    order: orderFacts(order),
    observation: change.observation,
    redirectFlag: change.redirectFlag,
    redirectClaimsFailure: change.redirectClaimsFailure,
    webhookStatus: change.webhookStatus,
    unconfirmedFailure: unconfirmed.state,
    ownAction: change.ownAction,
  });
  // A webhook arrived, whatever it says and whatever the gateway answered: nothing is missing any more.
  if (change.trigger === 'webhook') decision.resolve.push('redirect_without_webhook');

  // The answer this plan applies; a stale attempt's answer (no payment recorded) leaves the order's as it was.
  const answer = decision.outcome === 'stale_attempt' ? order.last_answer : answerOf(change.observation);
  const resolveSet = new Set(decision.resolve);
  const insert: ReasonToInsert[] = [];
  const openedNow: AttentionReason[] = [];
  const openedAndResolved: AttentionReason[] = [];
  const kept: AttentionReason[] = [];
  for (const { reason, detail } of decision.open) {
    if (before.has(reason) || openedNow.includes(reason) || openedAndResolved.includes(reason)) continue;
    if (kept.includes(reason)) continue;
    if (resolveSet.has(reason)) {
      insert.push({ reason, detail, resolvedBy: 'gateway' });
      openedAndResolved.push(reason);
      continue;
    }
    const resolution = resolutions.get(reason);
    if (resolution && resolution.answer === answer) {
      kept.push(reason);
      continue;
    }
    const reopened = resolution ? `; ${reopenedNote(resolution.by, resolution.answer, answer)}` : '';
    insert.push({ reason, detail: `${detail}${reopened}`, resolvedBy: null });
    openedNow.push(reason);
  }
  const resolvedNow = [...resolveSet].filter((r) => before.has(r));
  const openAfter = [...before, ...openedNow].filter((r) => !resolvedNow.includes(r));

  const payment = decision.payment && change.observation.kind === 'found' ? change.observation.payment : null;
  const schedule = nextCheck({
    now,
    status: decision.status,
    openReasons: new Set(openAfter),
    attempts: order.check_attempts,
    vbankDueAt: payment?.vbankDate ?? fromDbTime(order.vbank_due_at),
    abandonAt: unconfirmed.abandonAt ?? abandonAtFrom(now, windowSeconds),
  });
  return {
    noop: false,
    statusBefore: order.status,
    status: decision.status,
    insert,
    resolve: { reasons: resolvedNow, by: 'gateway', note: null, answer: null },
    openBefore: [...before],
    openAfter,
    openedNow,
    kept,
    decision,
    orderUpdate: {
      status: decision.status,
      last_answer: answer,
      updated_at: at,
      last_checked_at: at,
      next_check_at: schedule.nextCheckAt ? toDbTime(schedule.nextCheckAt) : null,
      check_attempts: schedule.attempts,
      open_reason_count: openAfter.length,
      ...(payment
        ? {
            imp_uid: payment.impUid,
            gateway_status: payment.status,
            paid_amount: payment.amount,
            cancel_amount: payment.cancelAmount,
            pay_method: payment.payMethod,
            pg_provider: payment.pgProvider,
            buyer_name: payment.buyerName,
            buyer_email: payment.buyerEmail,
            buyer_tel: payment.buyerTel,
            buyer_tel_digits: payment.buyerTel === null ? null : phoneDigits(payment.buyerTel),
            vbank_due_at: payment.vbankDate ? toDbTime(payment.vbankDate) : null,
            paid_at: payment.paidAt ? toDbTime(payment.paidAt) : order.paid_at,
          }
        : {}),
    },
    verification: {
      gateway_check_id: change.checkId,
      redirect_hit_id: change.redirectHitId ?? null,
      webhook_delivery_id: change.webhookDeliveryId ?? null,
      trigger: change.trigger,
      decided_at: at,
      outcome: decision.outcome,
      status_before: order.status,
      status_after: decision.status,
      gateway_status: payment?.status ?? null,
      expected_amount: order.expected_amount,
      paid_amount: payment?.amount ?? null,
      currency: payment?.currency ?? null,
      reasons_opened: JSON.stringify([...openedNow, ...openedAndResolved]),
      reasons_resolved: JSON.stringify([...resolvedNow, ...openedAndResolved]),
    },
  };
}

/** A reason opened or resolved by time: the next check is re-planned on the same backoff. */
function planTimed(
  order: OrderRow,
  before: ReadonlySet<AttentionReason>,
  resolutions: ReadonlyMap<AttentionReason, PersonResolution>,
  change: Extract<LedgerChange, { kind: 'open' | 'resolve' }>,
  now: Date,
): Plan {
  const opening = change.kind === 'open';
  if (opening ? before.has(change.reason) : !before.has(change.reason)) return unchanged(order, before);
  // Time re-opening what a person resolved: only when the gateway's answer changed since (decision 0154).
  const answer = order.last_answer ?? NO_ANSWER;
  const resolution = opening ? resolutions.get(change.reason) : undefined;
  if (resolution && resolution.answer === answer) return { ...unchanged(order, before), kept: [change.reason] };
  const detail =
    change.kind === 'open'
      ? `${change.detail}${resolution ? `; ${reopenedNote(resolution.by, resolution.answer, answer)}` : ''}`
      : '';
  const openAfter = opening ? [...before, change.reason] : [...before].filter((r) => r !== change.reason);
  const schedule = nextCheck({
    now,
    status: order.status,
    openReasons: new Set(openAfter),
    attempts: order.check_attempts,
    vbankDueAt: fromDbTime(order.vbank_due_at),
  });
  return {
    ...unchanged(order, before),
    noop: false,
    insert: opening ? [{ reason: change.reason, detail, resolvedBy: null }] : [],
    resolve: opening
      ? { reasons: [], by: '', note: null, answer: null }
      : { reasons: [change.reason], by: change.by, note: change.note, answer: null },
    openAfter,
    openedNow: opening ? [change.reason] : [],
    orderUpdate: {
      next_check_at: schedule.nextCheckAt ? toDbTime(schedule.nextCheckAt) : null,
      check_attempts: schedule.attempts,
      open_reason_count: openAfter.length,
      updated_at: toDbTime(now),
    },
  };
}

/**
 * A person's resolution. When nothing left open needs the gateway, the scheduled re-queries stop
 * (only a vbank's due date may still need a look); otherwise the backoff goes on untouched.
 */
function planPersonResolve(
  order: OrderRow,
  before: ReadonlySet<AttentionReason>,
  change: Extract<LedgerChange, { kind: 'person_resolve' }>,
  now: Date,
): Plan {
  const asked = change.reasons ?? [...before];
  const resolved = [...new Set(asked)].filter((r) => before.has(r));
  if (resolved.length === 0) return unchanged(order, before);
  const openAfter = [...before].filter((r) => !resolved.includes(r));
  const orderUpdate: OrderRowUpdate = { open_reason_count: openAfter.length, updated_at: toDbTime(now) };
  if (!openAfter.some((r) => REQUERY_REASONS.has(r))) {
    const schedule = nextCheck({
      now,
      status: order.status,
      openReasons: new Set(openAfter),
      attempts: 0,
      vbankDueAt: fromDbTime(order.vbank_due_at),
    });
    orderUpdate.next_check_at = schedule.nextCheckAt ? toDbTime(schedule.nextCheckAt) : null;
    orderUpdate.check_attempts = schedule.attempts;
  }
  return {
    ...unchanged(order, before),
    noop: false,
    // The answer the person judged: the reason stays resolved while the gateway keeps giving it.
    resolve: { reasons: resolved, by: change.by, note: change.note, answer: order.last_answer ?? NO_ANSWER },
    openAfter,
    orderUpdate,
  };
}

function unchanged(order: OrderRow, before: ReadonlySet<AttentionReason>): Plan {
  return {
    noop: true,
    statusBefore: order.status,
    status: order.status,
    insert: [],
    resolve: { reasons: [], by: '', note: null, answer: null },
    openBefore: [...before],
    openAfter: [...before],
    openedNow: [],
    kept: [],
    orderUpdate: {},
    verification: null,
    decision: null,
  };
}
