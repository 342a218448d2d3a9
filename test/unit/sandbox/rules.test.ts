import { describe, expect, it } from 'vitest';
import type { PaymentRow } from '../../../sandbox/db/schema';
import { toWirePayment } from '../../../sandbox/payment-view';
import {
  MSG,
  decideToken,
  defaultRedirectStyle,
  nextDeliveryStep,
  outcomeEffect,
  pageWindow,
  parsePaging,
  parsePg,
  parseSorting,
  planCancel,
  redirectParams,
  redirectUrl,
  statusTime,
  statusWindow,
  tokenFromHeader,
  vbankDue,
  webhookBody,
  webhookFields,
  type CancelRequest,
  type RedirectStyle,
  type WindowResult,
} from '../../../sandbox/rules';

const NOW = 1_795_000_000;

// PaymentAnnotation's properties, in the spec's order.
const PAYMENT_ANNOTATION_KEYS = [
  'imp_uid',
  'merchant_uid',
  'pay_method',
  'channel',
  'pg_provider',
  'emb_pg_provider',
  'pg_tid',
  'pg_id',
  'sandbox',
  'escrow',
  'apply_num',
  'bank_code',
  'bank_name',
  'card_code',
  'card_name',
  'card_issuer_code',
  'card_issuer_name',
  'card_publisher_code',
  'card_publisher_name',
  'card_quota',
  'card_number',
  'card_type',
  'vbank_code',
  'vbank_name',
  'vbank_num',
  'vbank_holder',
  'vbank_date',
  'vbank_issued_at',
  'name',
  'amount',
  'cancel_amount',
  'currency',
  'buyer_name',
  'buyer_email',
  'buyer_tel',
  'buyer_addr',
  'buyer_postcode',
  'custom_data',
  'user_agent',
  'status',
  'started_at',
  'paid_at',
  'failed_at',
  'cancelled_at',
  'fail_reason',
  'cancel_reason',
  'receipt_url',
  'cancel_history',
  'deposit_history',
  'cancel_receipt_urls',
  'cash_receipt_issued',
  'customer_uid',
  'customer_uid_usage',
  'promotion',
];

describe('decideToken (reference §1.2)', () => {
  it.each([
    ['no token yet', null, { action: 'issue', expiresAt: NOW + 1800 }],
    ['expired exactly now', { expiresAt: NOW }, { action: 'issue', expiresAt: NOW + 1800 }],
    ['expired long ago', { expiresAt: NOW - 5000 }, { action: 'issue', expiresAt: NOW + 1800 }],
    ['fresh', { expiresAt: NOW + 1800 }, { action: 'reuse', expiresAt: NOW + 1800 }],
    ['61 s left', { expiresAt: NOW + 61 }, { action: 'reuse', expiresAt: NOW + 61 }],
    ['60 s left: last minute', { expiresAt: NOW + 60 }, { action: 'extend', expiresAt: NOW + 360 }],
    ['1 s left', { expiresAt: NOW + 1 }, { action: 'extend', expiresAt: NOW + 301 }],
  ] as const)('%s', (_label, current, expected) => {
    expect(decideToken(current, NOW)).toEqual(expected);
  });
});

describe('tokenFromHeader (reference §1.4)', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['abc', 'abc'],
    ['Bearer ', 'Bearer'],
  ])('%j → %j', (header, token) => {
    expect(tokenFromHeader(header)).toBe(token);
  });
});

describe('paging (reference §3.4-3.6)', () => {
  it.each([
    [null, null, { page: 1, limit: 20 }],
    ['2', '1000', { page: 2, limit: 1000 }],
    ['0', null, { error: MSG.badPage }],
    ['1.5', null, { error: MSG.badPage }],
    ['x', null, { error: MSG.badPage }],
    [null, '1001', { error: MSG.badLimit }],
    [null, '0', { error: MSG.badLimit }],
  ])('page=%s limit=%s', (page, limit, expected) => {
    expect(parsePaging(page, limit)).toEqual(expected);
  });

  it.each([
    [0, 1, 20, { offset: 0, previous: 0, next: 0 }],
    [45, 1, 20, { offset: 0, previous: 0, next: 2 }],
    [45, 2, 20, { offset: 20, previous: 1, next: 3 }],
    [45, 3, 20, { offset: 40, previous: 2, next: 0 }],
    [40, 2, 20, { offset: 20, previous: 1, next: 0 }],
    [45, 4, 20, { error: MSG.pageOutOfRange }],
    [0, 2, 20, { error: MSG.pageOutOfRange }],
  ])('total %i page %i limit %i', (total, page, limit, expected) => {
    expect(pageWindow(total, page, limit)).toEqual(expected);
  });

  it('accepts the six documented sortings and refuses others', () => {
    for (const s of ['-started', 'started', '-paid', 'paid', '-updated', 'updated']) expect(parseSorting(s)).toBe(s);
    expect(parseSorting(null)).toBe('-started');
    expect(parseSorting('-amount')).toEqual({ error: MSG.badSorting });
  });
});

describe('statusWindow (reference §3.5)', () => {
  const days = (n: number) => n * 86_400;
  it.each([
    ['defaults: last 90 days up to now', null, null, { from: NOW - days(90), to: NOW }],
    ['to only', null, String(NOW - 100), { from: NOW - 100 - days(90), to: NOW - 100 }],
    ['exactly 90 days', String(NOW - days(90)), String(NOW), { from: NOW - days(90), to: NOW }],
    ['90 days and a second', String(NOW - days(90) - 1), String(NOW), { error: MSG.badWindow }],
    ['from after to', String(NOW), String(NOW - 1), { error: MSG.badFromTo }],
    ['not a number', 'yesterday', null, { error: MSG.badFromTo }],
  ])('%s', (_label, from, to, expected) => {
    expect(statusWindow(from, to, NOW)).toEqual(expected);
  });

  it('filters each status on its own time field', () => {
    const p = { started_at: 1, paid_at: 2, failed_at: 3, cancelled_at: 4 };
    expect(statusTime({ ...p, status: 'ready' })).toBe(1);
    expect(statusTime({ ...p, status: 'paid' })).toBe(2);
    expect(statusTime({ ...p, status: 'failed' })).toBe(3);
    expect(statusTime({ ...p, status: 'cancelled' })).toBe(4);
  });
});

describe('redirect styles (reference §6.2-6.3)', () => {
  const ok: WindowResult = {
    imp_uid: 'imp_123456789012',
    merchant_uid: 'o-1',
    ok: true,
    error_code: null,
    error_msg: null,
  };
  const failed: WindowResult = {
    imp_uid: 'imp_123456789012',
    merchant_uid: 'o-1',
    ok: false,
    error_code: 'F400',
    error_msg: '취소',
  };
  it.each<[RedirectStyle, WindowResult, string]>([
    ['imp_success', ok, 'imp_uid=imp_123456789012&merchant_uid=o-1&imp_success=true'],
    ['success', ok, 'imp_uid=imp_123456789012&merchant_uid=o-1&success=true'],
    ['none', ok, 'imp_uid=imp_123456789012&merchant_uid=o-1'],
    ['ids_only', ok, 'imp_uid=imp_123456789012&merchant_uid=o-1'],
    [
      'imp_success',
      failed,
      'imp_uid=imp_123456789012&merchant_uid=o-1&imp_success=false&error_code=F400&error_msg=%EC%B7%A8%EC%86%8C',
    ],
    [
      'success',
      failed,
      'imp_uid=imp_123456789012&merchant_uid=o-1&success=false&error_code=F400&error_msg=%EC%B7%A8%EC%86%8C',
    ],
    ['ids_only', failed, 'imp_uid=imp_123456789012&merchant_uid=o-1&error_code=F400&error_msg=%EC%B7%A8%EC%86%8C'],
  ])('%s', (style, result, query) => {
    expect(new URLSearchParams(redirectParams(style, result)).toString()).toBe(query);
  });

  it('omits imp_uid when no payment was created and keeps the merchant query string', () => {
    const url = redirectUrl('https://shop.example/done?lang=ko', 'imp_success', { ...failed, imp_uid: null });
    expect(url).toBe(
      'https://shop.example/done?lang=ko&merchant_uid=o-1&imp_success=false&error_code=F400&error_msg=%EC%B7%A8%EC%86%8C',
    );
  });

  it.each([
    ['tosspayments', 'card', 'ids_only'],
    ['ksnet', 'card', 'ids_only'],
    ['welcome', 'vbank', 'ids_only'],
    ['html5_inicis', 'trans', 'none'],
    ['html5_inicis', 'card', 'imp_success'],
    ['kcp', 'trans', 'imp_success'],
  ])('%s + %s defaults to %s', (pg, method, style) => {
    expect(defaultRedirectStyle(pg, method)).toBe(style);
  });

  it('splits pg into provider and MID', () => {
    expect(parsePg('html5_inicis.INIpayTest', 'kcp')).toEqual({ provider: 'html5_inicis', pgId: 'INIpayTest' });
    expect(parsePg('kcp', 'html5_inicis')).toEqual({ provider: 'kcp', pgId: 'T0000' });
    expect(parsePg(null, 'html5_inicis')).toEqual({ provider: 'html5_inicis', pgId: 'INIpayTest' });
  });
});

describe('outcomeEffect (reference §4.1)', () => {
  it('buyer cancel stays ready, except under html5_inicis where it fails', () => {
    expect(outcomeEffect('buyer_cancel', 'kcp')).toMatchObject({
      status: 'ready',
      ok: false,
      fail_reason: null,
      error_code: 'F400',
    });
    expect(outcomeEffect('buyer_cancel', 'html5_inicis')).toMatchObject({
      status: 'failed',
      fail_reason: '사용자가 결제를 취소함',
    });
  });
  it('paid and vbank issued end the process normally', () => {
    expect(outcomeEffect('paid', 'kcp')).toMatchObject({ status: 'paid', ok: true, error_code: null });
    expect(outcomeEffect('vbank_issued', 'kcp')).toMatchObject({ status: 'ready', ok: true });
  });
  it('failures carry the PG code and message, overridable', () => {
    expect(outcomeEffect('card_refused', 'kcp')).toMatchObject({
      status: 'failed',
      ok: false,
      error_code: 'CARD_LIMIT',
    });
    expect(outcomeEffect('failed', 'kcp', { code: 'X9', msg: '잔액부족' })).toEqual({
      status: 'failed',
      ok: false,
      error_code: 'X9',
      error_msg: '잔액부족',
      fail_reason: '잔액부족',
    });
    expect(outcomeEffect('window_not_opened', 'kcp', { code: '  ', msg: null })).toMatchObject({
      error_code: 'PG_CONFIG',
    });
  });
});

describe('planCancel (reference §3.8)', () => {
  const paid = { status: 'paid' as const, amount: 10_000, cancel_amount: 0, pay_method: 'card' };
  const req = (r: Partial<CancelRequest>): CancelRequest => ({
    amount: null,
    checksum: null,
    refund_holder: null,
    refund_bank: null,
    refund_account: null,
    ...r,
  });
  it.each([
    [
      'missing amount refunds everything',
      paid,
      req({}),
      { ok: true, refund: 10_000, cancelAmount: 10_000, status: 'cancelled', full: true },
    ],
    [
      'amount 0 refunds everything',
      paid,
      req({ amount: 0 }),
      { ok: true, refund: 10_000, cancelAmount: 10_000, status: 'cancelled', full: true },
    ],
    [
      'partial keeps the partial status',
      paid,
      req({ amount: 3000 }),
      { ok: true, refund: 3000, cancelAmount: 3000, status: 'paid', full: false },
    ],
    [
      'the rest after a partial',
      { ...paid, cancel_amount: 3000 },
      req({}),
      { ok: true, refund: 7000, cancelAmount: 10_000, status: 'cancelled', full: true },
    ],
    [
      'checksum equal to the balance',
      { ...paid, cancel_amount: 3000 },
      req({ amount: 1000, checksum: 7000 }),
      { ok: true, refund: 1000, cancelAmount: 4000, status: 'paid', full: false },
    ],
  ])('%s', (_label, p, r, expected) => {
    expect(planCancel(p, r, 'paid')).toEqual(expected);
  });

  it.each([
    ['checksum mismatch', paid, req({ checksum: 9000 }), /checksum/],
    ['over-refund', paid, req({ amount: 10_001 }), /초과/],
    [
      'already fully refunded',
      { ...paid, status: 'cancelled' as const, cancel_amount: 10_000 },
      req({}),
      new RegExp(MSG.cancelAlreadyFull),
    ],
    ['not paid', { ...paid, status: 'ready' as const }, req({}), new RegExp(MSG.cancelNotPaid)],
    ['vbank without refund account', { ...paid, pay_method: 'vbank' }, req({}), /refund_holder/],
  ])('refuses: %s', (_label, p, r, message) => {
    const plan = planCancel(p, r, 'paid');
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.message).toMatch(message);
  });

  it('uses the merchant setting for the status after a partial refund', () => {
    expect(planCancel(paid, req({ amount: 1 }), 'cancelled')).toMatchObject({ status: 'cancelled', full: false });
  });

  it('adds decimal currencies without float dust', () => {
    expect(planCancel({ ...paid, amount: 0.3, cancel_amount: 0.1 }, req({ amount: 0.2 }), 'paid')).toMatchObject({
      cancelAmount: 0.3,
      full: true,
    });
  });
});

describe('webhook delivery steps (reference §5.5)', () => {
  it.each([
    ['200 is delivered', { status: 200, error: null }, 1, true, { state: 'delivered' }],
    ['204 is delivered', { status: 204, error: null }, 1, false, { state: 'delivered' }],
    ['4xx is final even with retries', { status: 400, error: null }, 1, true, { state: 'failed' }],
    ['5xx without retries is final', { status: 500, error: null }, 1, false, { state: 'failed' }],
    ['5xx with retries waits a minute', { status: 503, error: null }, 1, true, { state: 'pending', dueAtMs: 60_000 }],
    [
      'network error with retries',
      { status: null, error: 'ECONNREFUSED' },
      5,
      true,
      { state: 'pending', dueAtMs: 60_000 },
    ],
    ['after 1 + 5 attempts it gives up', { status: null, error: 'ECONNREFUSED' }, 6, true, { state: 'failed' }],
  ])('%s', (_label, outcome, attempts, retry, expected) => {
    expect(nextDeliveryStep(outcome, attempts, retry, 0)).toEqual(expected);
  });

  it('builds JSON and form bodies with cancellation_id only when given', () => {
    const fields = webhookFields({ imp_uid: 'imp_1', merchant_uid: 'o 1', status: 'paid', cancellation_id: null });
    expect(webhookBody('json', fields)).toEqual({
      body: '{"imp_uid":"imp_1","merchant_uid":"o 1","status":"paid"}',
      contentType: 'application/json',
    });
    const cancel = webhookFields({ imp_uid: 'imp_1', merchant_uid: 'o 1', status: 'cancelled', cancellation_id: 'c1' });
    expect(webhookBody('form', cancel)).toEqual({
      body: 'imp_uid=imp_1&merchant_uid=o+1&status=cancelled&cancellation_id=c1',
      contentType: 'application/x-www-form-urlencoded',
    });
  });
});

describe('vbankDue', () => {
  it('reads YYYYMMDD as the end of that day in KST and YYYYMMDDhhmm in KST', () => {
    expect(vbankDue('20261130', NOW)).toBe(Date.UTC(2026, 10, 30, 14, 59, 59) / 1000);
    expect(vbankDue('202611301200', NOW)).toBe(Date.UTC(2026, 10, 30, 3, 0, 0) / 1000);
    expect(vbankDue(NOW + 10, NOW)).toBe(NOW + 10);
    expect(vbankDue('soon', NOW)).toBe(NOW + 3 * 86_400);
  });
});

describe('toWirePayment (reference §4.3)', () => {
  it('emits every documented key in alphabetical order with the empty conventions', () => {
    const row = {
      id: 1,
      imp_uid: 'imp_123456789012',
      merchant_id: 1,
      merchant_uid: 'o',
      amount: 1000,
      cancel_amount: 0,
      currency: 'KRW',
      status: 'ready',
      cancel_history: '[]',
      cancel_receipt_urls: '[]',
      escrow: 0,
      cash_receipt_issued: 0,
    } as unknown as PaymentRow;
    const wire = toWirePayment(row);
    const keys = Object.keys(wire);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual([...PAYMENT_ANNOTATION_KEYS].sort());
    expect(wire).toMatchObject({
      sandbox: false,
      escrow: false,
      cash_receipt_issued: false,
      cancel_history: [],
      deposit_history: [],
      promotion: null,
      customer_uid: null,
    });
  });
});
