import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox, type WirePayment } from './harness';

type Paged = { total: number; previous: number; next: number; list: WirePayment[] };

let t: TestSandbox;
let token: string;
beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => t.close());
beforeEach(async () => {
  await t.control('POST', '/reset');
  token = await t.token();
});

const create = (body: Record<string, unknown>) => t.control<WirePayment>('POST', '/payments', body);
const get = <T = WirePayment>(path: string) => t.call<T>('GET', path, { token });

describe('GET /payments/{imp_uid} (reference §3.1, §4)', () => {
  it('answers the full Payment with every key, alphabetical, with the empty conventions', async () => {
    const created = await create({ merchant_uid: 'read-1', amount: 15000, name: '티셔츠', buyer_name: '홍길동' });
    const res = await fetch(`${t.url}/payments/${created.imp_uid}`, { headers: { authorization: token } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const text = await res.text();
    const body = JSON.parse(text) as { code: number; message: null; response: WirePayment };
    expect(body.code).toBe(0);
    expect(body.message).toBeNull();
    const p = body.response;
    const keys = Object.keys(p);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toHaveLength(54);
    expect(p.imp_uid).toMatch(/^imp_\d{12}$/);
    expect(p).toMatchObject({
      merchant_uid: 'read-1',
      amount: 15000,
      cancel_amount: 0,
      currency: 'KRW',
      status: 'paid',
      sandbox: false,
      pay_method: 'card',
      pg_provider: 'html5_inicis',
      name: '티셔츠',
      buyer_name: '홍길동',
      buyer_tel: null,
      vbank_code: null,
      vbank_num: null,
      vbank_date: 0,
      vbank_issued_at: 0,
      failed_at: 0,
      cancelled_at: 0,
      fail_reason: null,
      cancel_reason: null,
      cancel_history: [],
      cancel_receipt_urls: [],
      card_quota: 0,
      card_type: 0,
      escrow: false,
      cash_receipt_issued: false,
      user_agent: null,
    });
    expect(p.paid_at).toBe(t.clock.nowS());
    expect(p.started_at).toBe(t.clock.nowS());
    for (const field of ['started_at', 'paid_at', 'failed_at', 'cancelled_at', 'vbank_date', 'vbank_issued_at'])
      expect(Number.isInteger(p[field])).toBe(true);
    expect(p.receipt_url).toBe(`${t.url}/receipts/${p.imp_uid}`);
  });

  it('answers 404 code -1 for an unknown imp_uid', async () => {
    const answer = await get('/payments/imp_999999999999');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ code: -1, message: '존재하지 않는 결제정보입니다.', response: null });
  });

  it('ignores include_sandbox and a trailing slash', async () => {
    const created = await create({ merchant_uid: 'read-2', amount: 100 });
    expect((await get(`/payments/${created.imp_uid}?include_sandbox=true`)).status).toBe(200);
    expect((await get(`/payments/${created.imp_uid}/`)).status).toBe(200);
  });

  it('shows a failed payment with failed_at and fail_reason', async () => {
    const created = await create({ merchant_uid: 'read-3', amount: 100, status: 'failed', fail_reason: '잔액부족' });
    const p = (await get(`/payments/${created.imp_uid}`)).body.response;
    expect(p).toMatchObject({
      status: 'failed',
      fail_reason: '잔액부족',
      paid_at: 0,
      failed_at: t.clock.nowS(),
      pg_tid: null,
    });
  });

  it('shows an issued vbank as ready with its account and deadline', async () => {
    const created = await create({ merchant_uid: 'read-4', amount: 30000, status: 'ready' });
    const p = (await get(`/payments/${created.imp_uid}`)).body.response;
    expect(p).toMatchObject({
      status: 'ready',
      pay_method: 'vbank',
      paid_at: 0,
      vbank_code: '004',
      vbank_name: 'KB국민은행',
      vbank_issued_at: t.clock.nowS(),
    });
    expect(p.vbank_num).toMatch(/^\d{14}$/);
    expect(p.vbank_date).toBe(t.clock.nowS() + 3 * 86_400);
  });
});

describe('GET /payments?imp_uid[]=&merchant_uid[]= (reference §3.2)', () => {
  it('answers 200 with every payment when all ids are found', async () => {
    const a = await create({ merchant_uid: 'multi-a', amount: 100 });
    const b = await create({ merchant_uid: 'multi-b', amount: 200 });
    const answer = await get<WirePayment[]>(`/payments?imp_uid[]=${a.imp_uid}&merchant_uid[]=multi-b`);
    expect(answer.status).toBe(200);
    expect(answer.body.code).toBe(0);
    expect(answer.body.response.map((p) => p.imp_uid)).toEqual([a.imp_uid, b.imp_uid]);
  });

  it('answers 207 with only the found ones when some are missing', async () => {
    const a = await create({ merchant_uid: 'multi-c', amount: 100 });
    const answer = await get<WirePayment[]>(
      `/payments?imp_uid%5B%5D=${a.imp_uid}&imp_uid%5B%5D=imp_000000000001&merchant_uid%5B%5D=nope`,
    );
    expect(answer.status).toBe(207);
    expect(answer.body.code).toBe(0);
    expect(answer.body.response.map((p) => p.imp_uid)).toEqual([a.imp_uid]);
  });

  it('answers 404 when none is found', async () => {
    const answer = await get('/payments?imp_uid[]=imp_000000000001');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: -1, response: null });
  });

  it('takes up to 100 ids and refuses 101', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `imp_uid[]=imp_${String(i).padStart(12, '0')}`).join('&');
    expect((await get(`/payments?${hundred}`)).status).toBe(404);
    const answer = await get(`/payments?${hundred}&merchant_uid[]=one-more`);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(-1);
  });

  it('answers 400 without any id', async () => {
    expect((await get('/payments')).status).toBe(400);
  });
});

describe('GET /payments/find/{merchant_uid}/{status?} (reference §3.3)', () => {
  beforeEach(async () => {
    // Three attempts for one order: failed, then paid, then an abandoned window.
    await create({ merchant_uid: 'order-1', amount: 100, status: 'failed', started_at: t.clock.nowS() - 300 });
    await create({ merchant_uid: 'order-1', amount: 100, status: 'paid', started_at: t.clock.nowS() - 200 });
    await create({
      merchant_uid: 'order-1',
      amount: 100,
      status: 'ready',
      pay_method: 'card',
      started_at: t.clock.nowS() - 100,
    });
  });

  it('answers the most recently started attempt, with or without a trailing slash', async () => {
    for (const path of ['/payments/find/order-1', '/payments/find/order-1/']) {
      const answer = await get(path);
      expect(answer.status).toBe(200);
      expect(answer.body.response.status).toBe('ready');
    }
  });

  it('filters by status', async () => {
    expect((await get('/payments/find/order-1/paid')).body.response.status).toBe('paid');
    expect((await get('/payments/find/order-1/failed')).body.response.status).toBe('failed');
    const none = await get('/payments/find/order-1/cancelled');
    expect(none.status).toBe(404);
    expect(none.body.message).toBe('존재하지 않는 결제정보입니다.');
  });

  it('sorts by started ascending and by paid time', async () => {
    expect((await get('/payments/find/order-1?sorting=started')).body.response.status).toBe('failed');
    expect((await get('/payments/find/order-1?sorting=-paid')).body.response.status).toBe('paid');
  });

  it('refuses an unknown status and an unknown sorting with 400', async () => {
    const status = await get('/payments/find/order-1/refunded');
    expect(status.status).toBe(400);
    expect(status.body.message).toBe('지원되지 않는 상태값입니다.');
    expect((await get('/payments/find/order-1?sorting=amount')).status).toBe(400);
  });

  it('decodes percent-encoded merchant_uids and answers 404 for unknown ones', async () => {
    await create({ merchant_uid: '주문/2026 #1', amount: 100 });
    expect((await get(`/payments/find/${encodeURIComponent('주문/2026 #1')}`)).body.response.merchant_uid).toBe(
      '주문/2026 #1',
    );
    expect((await get('/payments/find/unknown-order')).status).toBe(404);
  });
});

describe('GET /payments/findAll/{merchant_uid}/{status?} (reference §3.4, §3.6)', () => {
  beforeEach(async () => {
    const base = t.clock.nowS() - 1000;
    await t.control(
      'POST',
      '/payments',
      Array.from({ length: 5 }, (_, i) => ({
        merchant_uid: 'many',
        amount: 100 + i,
        status: i === 4 ? 'paid' : 'failed',
        started_at: base + i,
      })),
    );
  });

  it('pages with total, previous and next (0 when none)', async () => {
    const first = await get<Paged>('/payments/findAll/many?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.response).toMatchObject({ total: 5, previous: 0, next: 2 });
    expect(first.body.response.list.map((p) => p.amount)).toEqual([104, 103]);
    expect(Object.keys(first.body.response)).toEqual(['list', 'next', 'previous', 'total']);
    const last = await get<Paged>('/payments/findAll/many?limit=2&page=3');
    expect(last.body.response).toMatchObject({ total: 5, previous: 2, next: 0 });
    expect(last.body.response.list.map((p) => p.amount)).toEqual([100]);
  });

  it('filters by status and sorts', async () => {
    const failed = await get<Paged>('/payments/findAll/many/failed/?sorting=started');
    expect(failed.body.response.total).toBe(4);
    expect(failed.body.response.list.map((p) => p.amount)).toEqual([100, 101, 102, 103]);
  });

  it('answers 404 for an unknown merchant_uid and 400 for bad paging', async () => {
    expect((await get('/payments/findAll/nothing')).status).toBe(404);
    expect((await get('/payments/findAll/many?limit=1001')).status).toBe(400);
    expect((await get('/payments/findAll/many?page=0')).status).toBe(400);
    expect((await get('/payments/findAll/many?page=9')).status).toBe(400);
    expect((await get('/payments/findAll/many/whatever')).status).toBe(400);
  });

  it('allows limit 1000', async () => {
    expect((await get<Paged>('/payments/findAll/many?limit=1000')).body.response.list).toHaveLength(5);
  });
});

describe('GET /payments/status/{status} (reference §3.5)', () => {
  const day = 86_400;
  let now: number;
  beforeEach(async () => {
    now = t.clock.nowS();
    await t.control('POST', '/payments', [
      { merchant_uid: 's-paid-old', amount: 1, status: 'paid', started_at: now - 100 * day },
      { merchant_uid: 's-paid-1', amount: 2, status: 'paid', started_at: now - 10 * day },
      { merchant_uid: 's-paid-2', amount: 3, status: 'paid', started_at: now - 2 * day },
      { merchant_uid: 's-failed', amount: 4, status: 'failed', started_at: now - 3 * day },
      { merchant_uid: 's-vbank', amount: 5, status: 'ready', started_at: now - 1 * day },
      {
        merchant_uid: 's-cancelled',
        amount: 6,
        status: 'cancelled',
        started_at: now - 20 * day,
        paid_at: now - 5 * day,
      },
    ]);
  });

  it('defaults to the last 90 days, newest started first', async () => {
    const answer = await get<Paged>('/payments/status/paid');
    expect(answer.status).toBe(200);
    expect(answer.body.response.total).toBe(2);
    expect(answer.body.response.list.map((p) => p.merchant_uid)).toEqual(['s-paid-2', 's-paid-1']);
  });

  it('filters each status by its own time field, from/to inclusive', async () => {
    // The cancelled payment started 20 days ago but was cancelled 5 days ago.
    const cancelled = await get<Paged>(`/payments/status/cancelled?from=${now - 5 * day}&to=${now - 5 * day}`);
    expect(cancelled.body.response.list.map((p) => p.merchant_uid)).toEqual(['s-cancelled']);
    const none = await get<Paged>(`/payments/status/cancelled?from=${now - 21 * day}&to=${now - 19 * day}`);
    expect(none.body.response).toEqual({ list: [], next: 0, previous: 0, total: 0 });
    const failed = await get<Paged>(`/payments/status/failed?from=${now - 3 * day}&to=${now - 3 * day}`);
    expect(failed.body.response.total).toBe(1);
  });

  it('lists every status with all, and pages', async () => {
    const all = await get<Paged>('/payments/status/all?limit=2&page=2');
    expect(all.body.response).toMatchObject({ total: 5, previous: 1, next: 3 });
    expect(all.body.response.list).toHaveLength(2);
  });

  it('reaches older payments with an explicit window', async () => {
    const old = await get<Paged>(`/payments/status/paid?from=${now - 120 * day}&to=${now - 90 * day}`);
    expect(old.body.response.list.map((p) => p.merchant_uid)).toEqual(['s-paid-old']);
  });

  it('refuses an invalid status, a window over 90 days, and a page past the data', async () => {
    const status = await get('/payments/status/refunded');
    expect(status.status).toBe(400);
    expect(status.body).toEqual({ code: -1, message: '지원되지 않는 상태값입니다.', response: null });
    expect((await get(`/payments/status/paid?from=${now - 91 * day}&to=${now}`)).status).toBe(400);
    expect((await get('/payments/status/paid?page=2')).status).toBe(400);
    expect((await get('/payments/status/paid?limit=5000')).status).toBe(400);
    expect((await get('/payments/status/paid?from=abc')).status).toBe(400);
  });
});

describe('unknown paths and methods', () => {
  it('answer envelopes, never a stack trace', async () => {
    const unknown = await get('/payments/imp_1/balance/extra');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: -1, response: null });
    const nowhere = await t.call('GET', '/nowhere');
    expect(nowhere.status).toBe(404);
    const method = await t.call('DELETE', '/payments/cancel', { token });
    expect(method.status).toBe(405);
    const badEscape = await t.call('GET', '/payments/%E0%A4%A', { token });
    expect(badEscape.status).toBe(400);
    const doubleSlash = await t.call('GET', '//payments/imp_000000000000', { token });
    expect(doubleSlash.status).toBe(404);
    const asterisk = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: t.sb.port, method: 'OPTIONS', path: '*' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end();
    });
    expect(asterisk).toBe(400);
  });
});
