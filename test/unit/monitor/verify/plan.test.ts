import { describe, expect, it } from 'vitest';
import type { OrderRow } from '../../../../db/monitor-schema';
import type { Payment } from '~/iamport/types';
import { gatewayPayment } from '../../../helpers/factories';
import { DEFAULT_BACKOFF_SECONDS } from '~/monitor/verify/schedule';
import {
  orderFacts,
  planChange,
  refundableAmount,
  answerOf,
  type GatewayObservation,
  type LedgerChange,
  type PersonResolution,
} from '~/monitor/verify/plan';
import { describeAnswerChange, NO_ANSWER } from '~/monitor/verify/answer';
import type { AttentionReason } from '~/monitor/status';

const now = new Date('2026-11-24T10:00:00.000Z');
const at = now.toISOString();
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

const row = (over: Partial<OrderRow> = {}): OrderRow => ({
  id: 7,
  store_id: 1,
  merchant_uid: 'order-7',
  expected_amount: 1000,
  currency: 'KRW',
  name: null,
  source: 'api',
  buyer_email: null,
  buyer_tel: null,
  buyer_tel_digits: null,
  status: 'pending',
  imp_uid: null,
  gateway_status: null,
  paid_amount: null,
  cancel_amount: null,
  pay_method: null,
  pg_provider: null,
  buyer_name: null,
  vbank_due_at: null,
  prepared_at: null,
  created_at: '2026-11-24T09:00:00.000Z',
  updated_at: '2026-11-24T09:00:00.000Z',
  paid_at: null,
  last_checked_at: null,
  next_check_at: null,
  check_attempts: 0,
  open_reason_count: 0,
  last_answer: null,
  ...over,
});

const payment = (over: Partial<Payment> = {}): Payment =>
  gatewayPayment({
    impUid: 'imp_000000000007',
    merchantUid: 'order-7',
    name: 'Order 7',
    buyerName: 'Kim',
    paidAt: new Date('2026-11-24T09:30:00.000Z'),
    ...over,
  });

const found = (over: Partial<Payment> = {}): GatewayObservation => ({ kind: 'found', payment: payment(over) });
const error: GatewayObservation = { kind: 'error', errorKind: 'indeterminate', message: 'timeout' };
const observe = (observation: GatewayObservation, over: Partial<Extract<LedgerChange, { kind: 'observation' }>> = {}) =>
  ({ kind: 'observation', trigger: 'schedule', observation, checkId: 3, ...over }) as const;
const open = (...reasons: AttentionReason[]) => new Set(reasons);

describe('planChange: a gateway answer', () => {
  it.each<{
    name: string;
    order: Partial<OrderRow>;
    open: AttentionReason[];
    change: LedgerChange;
    status: string;
    insert: [AttentionReason, string | null][];
    resolve: AttentionReason[];
    openAfter: AttentionReason[];
    next: string | null;
    attempts: number;
  }>([
    {
      name: 'paid settles a pending order, clears unverified',
      order: {},
      open: ['unverified'],
      change: observe(found()),
      status: 'paid',
      insert: [],
      resolve: ['unverified'],
      openAfter: [],
      next: null,
      attempts: 0,
    },
    {
      name: 'an error opens unverified, keeps the status and backs off',
      order: { status: 'paid', check_attempts: 2 },
      open: [],
      change: observe(error),
      status: 'paid',
      insert: [['unverified', null]],
      resolve: [],
      openAfter: ['unverified'],
      next: later(DEFAULT_BACKOFF_SECONDS[2]),
      attempts: 3,
    },
    {
      name: 'a reason already open is not inserted twice',
      order: { check_attempts: 1 },
      open: ['unverified'],
      change: observe(error),
      status: 'pending',
      insert: [],
      resolve: [],
      openAfter: ['unverified'],
      next: later(DEFAULT_BACKOFF_SECONDS[1]),
      attempts: 2,
    },
    {
      name: 'a missing flag on a settled answer is opened and resolved at once',
      order: {},
      open: [],
      change: observe(found(), { trigger: 'redirect', redirectFlag: { kind: 'none', value: null } }),
      status: 'paid',
      insert: [['missing_flag', 'gateway']],
      resolve: [],
      openAfter: [],
      next: null,
      attempts: 0,
    },
    {
      name: 'a webhook resolves redirect_without_webhook whatever the answer',
      order: { status: 'paid', imp_uid: 'imp_000000000007' },
      open: ['redirect_without_webhook'],
      change: observe(error, { trigger: 'webhook' }),
      status: 'paid',
      insert: [['unverified', null]],
      resolve: ['redirect_without_webhook'],
      openAfter: ['unverified'],
      next: later(DEFAULT_BACKOFF_SECONDS[0]),
      attempts: 1,
    },
    {
      name: 'a refund we did not make is a late change',
      order: { status: 'paid', imp_uid: 'imp_000000000007' },
      open: [],
      change: observe(found({ status: 'cancelled', cancelAmount: 1000 })),
      status: 'cancelled',
      insert: [['late_change', null]],
      resolve: [],
      openAfter: ['late_change'],
      next: null,
      attempts: 0,
    },
    {
      name: 'our own refund is not',
      order: { status: 'paid', imp_uid: 'imp_000000000007' },
      open: [],
      change: observe(found({ status: 'cancelled', cancelAmount: 1000 }), {
        trigger: 'manual_cancel',
        ownAction: true,
      }),
      status: 'cancelled',
      insert: [],
      resolve: [],
      openAfter: [],
      next: null,
      attempts: 0,
    },
    {
      name: 'a tampered amount opens amount_mismatch (a person decides, no re-query)',
      order: {},
      open: [],
      change: observe(found({ amount: 10 })),
      status: 'mismatch',
      insert: [['amount_mismatch', null]],
      resolve: [],
      openAfter: ['amount_mismatch'],
      next: null,
      attempts: 0,
    },
    {
      name: 'an issued vbank is looked at again after its due date',
      order: {},
      open: [],
      change: observe(
        found({ status: 'ready', payMethod: 'vbank', vbankNum: '1', vbankDate: new Date('2026-11-26T00:00:00.000Z') }),
      ),
      status: 'vbank_issued',
      insert: [],
      resolve: [],
      openAfter: [],
      next: '2026-11-26T00:05:00.000Z',
      attempts: 0,
    },
  ])('$name', (c) => {
    const plan = planChange({ order: row(c.order), open: open(...c.open), change: c.change, now });
    expect(plan.noop).toBe(false);
    expect(plan.status).toBe(c.status);
    expect(plan.insert.map((r) => [r.reason, r.resolvedBy])).toEqual(c.insert);
    expect(plan.resolve.reasons).toEqual(c.resolve);
    expect(plan.openAfter).toEqual(c.openAfter);
    expect(plan.orderUpdate).toMatchObject({
      status: c.status,
      next_check_at: c.next,
      check_attempts: c.attempts,
      open_reason_count: c.openAfter.length,
      last_checked_at: at,
      updated_at: at,
    });
    expect(plan.verification).toMatchObject({
      gateway_check_id: 3,
      trigger: c.change.kind === 'observation' ? c.change.trigger : null,
      status_before: c.order.status ?? 'pending',
      status_after: c.status,
      decided_at: at,
    });
  });

  it('copies the payment onto the order and records both lists of reasons on the verification', () => {
    const plan = planChange({
      order: row(),
      open: open('stale_pending'),
      change: observe(found(), { trigger: 'redirect', redirectFlag: { kind: 'none', value: null } }),
      now,
    });
    expect(plan.orderUpdate).toMatchObject({
      imp_uid: 'imp_000000000007',
      gateway_status: 'paid',
      paid_amount: 1000,
      cancel_amount: 0,
      pay_method: 'card',
      pg_provider: 'html5_inicis',
      buyer_name: 'Kim',
      paid_at: '2026-11-24T09:30:00.000Z',
      vbank_due_at: null,
    });
    expect(JSON.parse(plan.verification!.reasons_opened as string)).toEqual(['missing_flag']);
    expect(JSON.parse(plan.verification!.reasons_resolved as string)).toEqual(['stale_pending', 'missing_flag']);
  });

  it('copies the buyer contact with the phone digits the log searches by', () => {
    const plan = planChange({
      order: row(),
      open: open(),
      change: observe(found({ buyerEmail: 'Kim@Example.com', buyerTel: '+82 10-1234-5678' })),
      now,
    });
    expect(plan.orderUpdate).toMatchObject({
      buyer_email: 'Kim@Example.com',
      buyer_tel: '+82 10-1234-5678',
      buyer_tel_digits: '01012345678',
    });
    const none = planChange({ order: row(), open: open(), change: observe(found()), now });
    expect(none.orderUpdate).toMatchObject({ buyer_email: null, buyer_tel: null, buyer_tel_digits: null });
  });

  it('an older attempt never undoes a newer one that moved money, and writes no payment', () => {
    const plan = planChange({
      order: row({ status: 'paid', imp_uid: 'imp_000000000008', paid_amount: 1000 }),
      open: open(),
      change: observe(found({ status: 'failed' })),
      now,
    });
    expect(plan.status).toBe('paid');
    expect(plan.decision?.outcome).toBe('stale_attempt');
    expect(plan.orderUpdate).not.toHaveProperty('imp_uid');
  });
});

describe('planChange: reasons time opens and resolves', () => {
  it('opening re-plans the next check on the order’s backoff', () => {
    const plan = planChange({
      order: row({ check_attempts: 1 }),
      open: open(),
      change: { kind: 'open', reason: 'stale_pending', detail: 'nothing after 30 min' },
      now,
    });
    expect(plan).toMatchObject({
      noop: false,
      insert: [{ reason: 'stale_pending', detail: 'nothing after 30 min', resolvedBy: null }],
      openedNow: ['stale_pending'],
      openAfter: ['stale_pending'],
      verification: null,
      orderUpdate: {
        next_check_at: later(DEFAULT_BACKOFF_SECONDS[1]),
        check_attempts: 2,
        open_reason_count: 1,
        updated_at: at,
      },
    });
    expect(plan.orderUpdate).not.toHaveProperty('status');
  });

  it('opening a reason already open, or resolving one not open, is a no-op', () => {
    const order = row();
    expect(
      planChange({
        order,
        open: open('orphan_payment'),
        change: { kind: 'open', reason: 'orphan_payment', detail: 'x' },
        now,
      }).noop,
    ).toBe(true);
    expect(
      planChange({
        order,
        open: open('unverified'),
        change: { kind: 'resolve', reason: 'redirect_without_webhook', by: 'webhook', note: 'came' },
        now,
      }),
    ).toMatchObject({ noop: true, orderUpdate: {}, openAfter: ['unverified'] });
  });

  it('resolving the last re-query reason stops the re-queries', () => {
    const plan = planChange({
      order: row({ status: 'paid', check_attempts: 3, next_check_at: later(60) }),
      open: open('redirect_without_webhook', 'late_change'),
      change: { kind: 'resolve', reason: 'redirect_without_webhook', by: 'webhook', note: 'a webhook came' },
      now,
    });
    expect(plan).toMatchObject({
      resolve: { reasons: ['redirect_without_webhook'], by: 'webhook', note: 'a webhook came' },
      openAfter: ['late_change'],
      orderUpdate: { next_check_at: null, check_attempts: 0, open_reason_count: 1 },
    });
  });
});

describe('planChange: a person resolves', () => {
  it('resolves only what is open; with nothing left to re-query the schedule restarts', () => {
    const plan = planChange({
      order: row({ status: 'paid', check_attempts: 4, next_check_at: later(3600) }),
      open: open('unverified', 'late_change'),
      change: {
        kind: 'person_resolve',
        reasons: ['unverified', 'orphan_payment'],
        by: 'ops@example.com',
        note: 'checked',
      },
      now,
    });
    expect(plan).toMatchObject({
      resolve: { reasons: ['unverified'], by: 'ops@example.com', note: 'checked' },
      openBefore: ['unverified', 'late_change'],
      openAfter: ['late_change'],
      orderUpdate: { open_reason_count: 1, next_check_at: null, check_attempts: 0, updated_at: at },
    });
  });

  it('leaves the backoff alone while a re-query reason stays open', () => {
    const plan = planChange({
      order: row({ check_attempts: 2, next_check_at: later(900) }),
      open: open('unverified', 'late_change'),
      change: { kind: 'person_resolve', reasons: ['late_change'], by: 'ops@example.com', note: 'checked' },
      now,
    });
    expect(plan.orderUpdate).toEqual({ open_reason_count: 1, updated_at: at });
  });

  it('all open reasons when none are named; nothing open is a no-op', () => {
    const all = planChange({
      order: row(),
      open: open('unverified', 'late_change'),
      change: { kind: 'person_resolve', reasons: null, by: 'a@b.c', note: 'done' },
      now,
    });
    expect(all.resolve.reasons).toEqual(['unverified', 'late_change']);
    expect(
      planChange({
        order: row(),
        open: open(),
        change: { kind: 'person_resolve', reasons: null, by: 'a@b.c', note: 'x' },
        now,
      }).noop,
    ).toBe(true);
  });
});

describe('planChange: resolutions that stick (decision 0154)', () => {
  const mismatchRow = (over: Partial<OrderRow> = {}) =>
    row({ status: 'mismatch', imp_uid: 'imp_000000000007', paid_amount: 9000, ...over });
  const paid9000 = found({ amount: 9000 });
  const resolvedAgainst = (reason: AttentionReason, answer: string): Map<AttentionReason, PersonResolution> =>
    new Map([[reason, { by: 'ops@example.com', answer }]]);

  it('a person’s resolution stores the answer it was made against (none recorded yet: NO_ANSWER)', () => {
    const withAnswer = planChange({
      order: mismatchRow({ last_answer: answerOf(paid9000) }),
      open: open('amount_mismatch'),
      change: { kind: 'person_resolve', reasons: ['amount_mismatch'], by: 'ops@example.com', note: 'agreed' },
      now,
    });
    expect(withAnswer.resolve).toEqual({
      reasons: ['amount_mismatch'],
      by: 'ops@example.com',
      note: 'agreed',
      answer: answerOf(paid9000),
    });
    const none = planChange({
      order: row(),
      open: open('stale_pending'),
      change: { kind: 'person_resolve', reasons: null, by: 'ops@example.com', note: 'test order' },
      now,
    });
    expect(none.resolve.answer).toBe(NO_ANSWER);
  });

  it('every gateway answer records its fingerprint on the order; a stale attempt’s does not', () => {
    expect(planChange({ order: row(), open: open(), change: observe(found()), now }).orderUpdate.last_answer).toBe(
      answerOf(found()),
    );
    expect(planChange({ order: row(), open: open(), change: observe(error), now }).orderUpdate.last_answer).toBe(
      answerOf(error),
    );
    const stale = planChange({
      order: row({ status: 'paid', imp_uid: 'imp_new', last_answer: 'kept' }),
      open: open(),
      change: observe(found({ impUid: 'imp_old', status: 'failed' })),
      now,
    });
    expect(stale.decision?.outcome).toBe('stale_attempt');
    expect(stale.orderUpdate.last_answer).toBe('kept');
  });

  it.each<{
    name: string;
    order: Partial<OrderRow>;
    resolvedAgainst: [AttentionReason, GatewayObservation | 'none'] | null;
    change: LedgerChange;
    kept: AttentionReason[];
    opened: AttentionReason[];
    /** A part of the opened reason's detail. */
    says: string | null;
  }>([
    {
      name: 'the same mismatch answer keeps the resolution',
      order: {},
      resolvedAgainst: ['amount_mismatch', paid9000],
      change: observe(paid9000, { trigger: 'button' }),
      kept: ['amount_mismatch'],
      opened: [],
      says: null,
    },
    {
      name: 'a different amount opens it again, saying what changed',
      order: {},
      resolvedAgainst: ['amount_mismatch', paid9000],
      change: observe(found({ amount: 9500 }), { trigger: 'button' }),
      kept: [],
      opened: ['amount_mismatch'],
      says: "reopened: the gateway's answer changed since ops@example.com resolved it (amount 9000 → 9500)",
    },
    {
      name: 'a refund since opens it again',
      order: {},
      resolvedAgainst: ['amount_mismatch', paid9000],
      change: observe(found({ amount: 9000, cancelAmount: 500 })),
      kept: [],
      opened: ['amount_mismatch'],
      says: 'refunded 0 → 500',
    },
    {
      name: 'no resolution by a person: it opens as before, with no note',
      order: {},
      resolvedAgainst: null,
      change: observe(paid9000),
      kept: [],
      opened: ['amount_mismatch'],
      says: 'expected 1000 KRW, gateway has 9000 KRW',
    },
    {
      name: 'the same error keeps a resolved unverified',
      order: { status: 'pending', imp_uid: null, paid_amount: null },
      resolvedAgainst: ['unverified', error],
      change: observe(error, { trigger: 'button' }),
      kept: ['unverified'],
      opened: [],
      says: null,
    },
    {
      name: 'another kind of error opens unverified again',
      order: { status: 'pending', imp_uid: null, paid_amount: null },
      resolvedAgainst: ['unverified', error],
      change: observe({ kind: 'error', errorKind: 'rejected', message: 'bad key' }),
      kept: [],
      opened: ['unverified'],
      says: 'error indeterminate → rejected',
    },
    {
      name: 'not found again keeps a resolved not_found_at_gateway',
      order: { status: 'pending', imp_uid: null, paid_amount: null },
      resolvedAgainst: ['not_found_at_gateway', { kind: 'not_found' }],
      change: observe({ kind: 'not_found' }),
      kept: ['not_found_at_gateway'],
      opened: [],
      says: null,
    },
    {
      name: 'resolved before any answer was recorded: the first answer opens it, naming both',
      order: {},
      resolvedAgainst: ['amount_mismatch', 'none'],
      change: observe(paid9000),
      kept: [],
      opened: ['amount_mismatch'],
      says: 'no recorded answer → a payment',
    },
    {
      name: 'time re-opening a resolved reason while the answer is the same: kept',
      order: { status: 'vbank_issued', last_answer: answerOf(found({ status: 'ready', payMethod: 'vbank' })) },
      resolvedAgainst: ['vbank_overdue', found({ status: 'ready', payMethod: 'vbank' })],
      change: { kind: 'open', reason: 'vbank_overdue', detail: 'past its due date' },
      kept: ['vbank_overdue'],
      opened: [],
      says: null,
    },
    {
      name: 'time re-opening after the answer changed: opened, saying what changed',
      order: { status: 'vbank_issued', last_answer: answerOf(found({ status: 'ready', amount: 2000 })) },
      resolvedAgainst: ['vbank_overdue', found({ status: 'ready', amount: 1000 })],
      change: { kind: 'open', reason: 'vbank_overdue', detail: 'past its due date' },
      kept: [],
      opened: ['vbank_overdue'],
      says: "past its due date; reopened: the gateway's answer changed since ops@example.com resolved it (amount 1000 → 2000)",
    },
    {
      name: 'time re-opening what a person resolved before any answer, still none: kept',
      order: { status: 'pending', imp_uid: null, paid_amount: null, last_answer: null },
      resolvedAgainst: ['stale_pending', 'none'],
      change: { kind: 'open', reason: 'stale_pending', detail: 'nothing after 30 min' },
      kept: ['stale_pending'],
      opened: [],
      says: null,
    },
  ])('$name', (c) => {
    const answer = (o: GatewayObservation | 'none') => (o === 'none' ? NO_ANSWER : answerOf(o));
    const plan = planChange({
      order: mismatchRow(c.order),
      open: open(),
      change: c.change,
      now,
      resolutions: c.resolvedAgainst ? resolvedAgainst(c.resolvedAgainst[0], answer(c.resolvedAgainst[1])) : undefined,
    });
    expect(plan.kept).toEqual(c.kept);
    expect(plan.openedNow).toEqual(c.opened);
    expect(plan.openAfter).toEqual(c.opened);
    expect(plan.orderUpdate.open_reason_count ?? 0).toBe(c.opened.length);
    if (plan.verification) expect(JSON.parse(plan.verification.reasons_opened as string)).toEqual(c.opened);
    const detail = plan.insert.find((r) => r.resolvedBy === null)?.detail ?? null;
    if (c.says === null) expect(detail).toBeNull();
    else expect(detail).toContain(c.says);
    if (c.opened.length === 0 && c.change.kind === 'open') expect(plan.noop).toBe(true);
  });

  it.each([
    [null, answerOf(found()), 'no recorded answer → a payment'],
    [answerOf(found()), answerOf({ kind: 'not_found' }), 'a payment → no payment'],
    [
      answerOf(found()),
      answerOf(found({ status: 'cancelled', cancelAmount: 1000 })),
      'status paid → cancelled, refunded 0 → 1000',
    ],
    [answerOf(found()), answerOf(found({ impUid: 'imp_2' })), 'imp_uid imp_000000000007 → imp_2'],
    [answerOf(found()), 'not json', 'a payment → no recorded answer'],
  ])('describes %s → %s as “%s”', (before, after, words) => {
    expect(describeAnswerChange(before, after)).toBe(words);
  });
});

describe('orderFacts and refundableAmount', () => {
  it('maps a row once', () => {
    expect(orderFacts(row({ status: 'paid', imp_uid: 'imp_1', expected_amount: null, currency: 'USD' }))).toEqual({
      status: 'paid',
      impUid: 'imp_1',
      expectedAmount: null,
      currency: 'USD',
    });
  });

  it.each([
    [{ imp_uid: null, paid_amount: null, cancel_amount: null }, null],
    [{ imp_uid: 'imp_1', paid_amount: null, cancel_amount: null }, null],
    [{ imp_uid: 'imp_1', paid_amount: 3000, cancel_amount: null }, 3000],
    [{ imp_uid: 'imp_1', paid_amount: 3000, cancel_amount: 1000 }, 2000],
    [{ imp_uid: 'imp_1', paid_amount: 3000, cancel_amount: 3000 }, 0],
  ] as const)('%j → %s', (over, refundable) => {
    expect(refundableAmount(over)).toBe(refundable);
  });
});
