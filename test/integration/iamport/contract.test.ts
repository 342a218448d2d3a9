import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toPayment, toPrepared } from '~/iamport/normalize';
import {
  authWire,
  describeIssues,
  envelopeWire,
  failureEnvelopeWire,
  pagedPaymentsWire,
  paymentWireComplete,
  prepareWire,
  successEnvelopeWire,
} from '~/iamport/wire';
import { startTestSandbox, type CreatedPayment, type SandboxMerchant, type TestSandbox } from './sandbox-harness';

/**
 * Contract: every answer the sandbox gives on the V1 API, called over plain HTTP (not through
 * the client), matches app/iamport/wire.ts, in the complete form the live API emits (reference
 * §4.3). If the sandbox drifts from the reference, these fail before the client tests do.
 */

const paymentAnswer = successEnvelopeWire(paymentWireComplete);
const paymentsAnswer = successEnvelopeWire(z.array(paymentWireComplete));
const pagedAnswer = successEnvelopeWire(pagedPaymentsWire.extend({ list: z.array(paymentWireComplete) }));
const prepareAnswer = successEnvelopeWire(prepareWire);
const tokenAnswer = successEnvelopeWire(authWire);

type Answer = { status: number; json: unknown; text: string; contentType: string | null };

function conforms<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `does not match the wire schema: ${describeIssues(parsed.error)}\n${JSON.stringify(value).slice(0, 2000)}`,
    );
  return parsed.data;
}

/** A failure: the envelope with a non-zero code and a message, at the expected HTTP status. */
function refused(answer: Answer, status: number, code?: number): string {
  expect(answer.status).toBe(status);
  const body = conforms(failureEnvelopeWire, answer.json);
  if (code !== undefined) expect(body.code).toBe(code);
  return body.message;
}

describe('sandbox ↔ wire schemas (contract)', () => {
  let sb: TestSandbox;
  let merchant: SandboxMerchant;
  let token: string;
  let paid: CreatedPayment;
  let vbank: CreatedPayment;
  let failed: CreatedPayment;
  let cancelled: CreatedPayment;

  async function call(
    method: string,
    target: string,
    options: { body?: Record<string, unknown>; form?: boolean; auth?: string | null } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? `Bearer ${token}` : options.auth;
    if (auth !== null) headers.Authorization = auth;
    let body: string | undefined;
    if (options.body) {
      headers['Content-Type'] = options.form ? 'application/x-www-form-urlencoded' : 'application/json';
      body = options.form
        ? new URLSearchParams(options.body as Record<string, string>).toString()
        : JSON.stringify(options.body);
    }
    const response = await fetch(sb.url + target, { method, headers, body });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.status, json, text, contentType: response.headers.get('content-type') };
  }

  beforeAll(async () => {
    sb = await startTestSandbox();
    merchant = await sb.newMerchant();
    const answer = await call('POST', '/users/getToken', {
      body: { imp_key: merchant.impKey, imp_secret: merchant.impSecret },
      auth: null,
    });
    token = conforms(tokenAnswer, answer.json).response.access_token;
    [paid, vbank, failed, cancelled] = (await sb.createPayments(merchant, [
      { merchant_uid: 'c-paid', amount: 1000, status: 'paid', name: '계약 테스트' },
      { merchant_uid: 'c-vbank', amount: 25000, status: 'ready', pay_method: 'vbank' },
      { merchant_uid: 'c-failed', amount: 3000, status: 'failed' },
      { merchant_uid: 'c-cancelled', amount: 4000, status: 'cancelled' },
    ])) as [CreatedPayment, CreatedPayment, CreatedPayment, CreatedPayment];
  });
  afterAll(async () => {
    await sb?.close();
  });

  describe('POST /users/getToken', () => {
    it('answers the token envelope with message null and a 30-minute lifetime, JSON or form', async () => {
      for (const form of [false, true]) {
        const answer = await call('POST', '/users/getToken', {
          body: { imp_key: merchant.impKey, imp_secret: merchant.impSecret },
          form,
          auth: null,
        });
        expect(answer.status).toBe(200);
        expect(answer.contentType).toMatch(/^application\/json/);
        const body = conforms(tokenAnswer, answer.json);
        expect(body.message).toBeNull();
        expect(body.response.expired_at - body.response.now).toBe(1800);
        expect(body.response.access_token).toBe(token); // reused until expiry (§1.2)
      }
    });

    it('refuses a wrong secret with 401 and missing keys with 400, both enveloped', async () => {
      refused(
        await call('POST', '/users/getToken', { body: { imp_key: merchant.impKey, imp_secret: 'wrong' }, auth: null }),
        401,
      );
      const message = refused(await call('POST', '/users/getToken', { body: {}, auth: null }), 400);
      expect(message).toContain('누락');
    });
  });

  describe('401 answers', () => {
    it.each([
      ['no Authorization header', null],
      ['an unknown token', 'Bearer not-a-token'],
      ['an empty Bearer', 'Bearer '],
    ])('%s → 401 envelope', async (_name, auth) => {
      refused(await call('GET', `/payments/${paid.imp_uid}`, { auth }), 401);
    });

    it('accepts the raw token without "Bearer" (§1.4)', async () => {
      expect((await call('GET', `/payments/${paid.imp_uid}`, { auth: token })).status).toBe(200);
    });

    it('refuses a revoked token with 401, then issues a new one', async () => {
      const other = await sb.newMerchant();
      const first = conforms(
        tokenAnswer,
        (
          await call('POST', '/users/getToken', {
            body: { imp_key: other.impKey, imp_secret: other.impSecret },
            auth: null,
          })
        ).json,
      );
      await sb.revokeTokens(other);
      refused(await call('GET', '/payments/status/paid', { auth: `Bearer ${first.response.access_token}` }), 401);
      const second = conforms(
        tokenAnswer,
        (
          await call('POST', '/users/getToken', {
            body: { imp_key: other.impKey, imp_secret: other.impSecret },
            auth: null,
          })
        ).json,
      );
      expect(second.response.access_token).not.toBe(first.response.access_token);
    });
  });

  describe('GET /payments/{imp_uid}', () => {
    it('answers every kind of payment in the complete form, and each normalises', async () => {
      for (const created of [paid, vbank, failed, cancelled]) {
        const answer = await call('GET', `/payments/${created.imp_uid}`);
        expect(answer.status).toBe(200);
        const body = conforms(paymentAnswer, answer.json);
        expect(body.message).toBeNull();
        expect(body.response).toMatchObject({
          imp_uid: created.imp_uid,
          merchant_uid: created.merchant_uid,
          status: created.status,
        });
        expect(body.response.imp_uid).toMatch(/^imp_\d{12}$/);
        expect(() => toPayment(body.response)).not.toThrow();
      }
    });

    it('keeps the null/0 conventions: a card payment has vbank_* null and 0 dates', async () => {
      const body = conforms(paymentAnswer, (await call('GET', `/payments/${paid.imp_uid}`)).json).response;
      expect(body).toMatchObject({
        vbank_code: null,
        vbank_num: null,
        vbank_date: 0,
        vbank_issued_at: 0,
        failed_at: 0,
        cancelled_at: 0,
        cancel_history: [],
        cancel_receipt_urls: [],
        sandbox: false,
      });
      expect(body.paid_at).toBeGreaterThan(0);
      const ready = conforms(paymentAnswer, (await call('GET', `/payments/${vbank.imp_uid}`)).json).response;
      expect(ready).toMatchObject({ status: 'ready', pay_method: 'vbank', paid_at: 0 });
      expect(ready.vbank_num).toEqual(expect.any(String));
      expect(ready.vbank_date).toBeGreaterThan(0);
    });

    it('answers 404 code -1 for an unknown imp_uid', async () => {
      expect(refused(await call('GET', '/payments/imp_000000000000'), 404, -1)).toBe('존재하지 않는 결제정보입니다.');
    });
  });

  describe('GET /payments?imp_uid[]=', () => {
    const ids = (...list: string[]) => list.map((id) => `imp_uid[]=${encodeURIComponent(id)}`).join('&');

    it('200 when all are found', async () => {
      const answer = await call('GET', `/payments?${ids(paid.imp_uid, vbank.imp_uid)}`);
      expect(answer.status).toBe(200);
      expect(
        conforms(paymentsAnswer, answer.json)
          .response.map((p) => p.imp_uid)
          .sort(),
      ).toEqual([paid.imp_uid, vbank.imp_uid].sort());
    });

    it('207 with only the found ones when some are missing', async () => {
      const answer = await call('GET', `/payments?${ids(paid.imp_uid, 'imp_000000000001', failed.imp_uid)}`);
      expect(answer.status).toBe(207);
      const body = conforms(paymentsAnswer, answer.json);
      expect(body.code).toBe(0);
      expect(body.response.map((p) => p.imp_uid).sort()).toEqual([paid.imp_uid, failed.imp_uid].sort());
    });

    it('404 when none is found', async () => {
      refused(await call('GET', `/payments?${ids('imp_000000000001', 'imp_000000000002')}`), 404);
    });

    it('400 for more than 100 ids', async () => {
      const many = Array.from({ length: 101 }, (_, i) => `imp_${String(i).padStart(12, '0')}`);
      refused(await call('GET', `/payments?${ids(...many)}`), 400);
    });
  });

  describe('GET /payments/find/{merchant_uid}/{status?}', () => {
    it.each([
      ['without status', '/payments/find/c-paid'],
      ['with a trailing slash', '/payments/find/c-paid/'],
      ['with the matching status', '/payments/find/c-paid/paid'],
      ['with sorting', '/payments/find/c-paid?sorting=-paid'],
    ])('%s → the payment', async (_name, target) => {
      const answer = await call('GET', target);
      expect(answer.status).toBe(200);
      expect(conforms(paymentAnswer, answer.json).response.imp_uid).toBe(paid.imp_uid);
    });

    it.each([
      ['an unknown merchant_uid', '/payments/find/no-such-order'],
      ['a status the payment does not have', '/payments/find/c-paid/cancelled'],
    ])('%s → 404', async (_name, target) => {
      refused(await call('GET', target), 404, -1);
    });
  });

  describe('paged lists', () => {
    beforeAll(async () => {
      await sb.createPayments(merchant, [
        { merchant_uid: 'c-dup', amount: 500, status: 'failed' },
        { merchant_uid: 'c-dup', amount: 500, status: 'failed' },
        { merchant_uid: 'c-dup', amount: 500, status: 'paid' },
        ...Array.from({ length: 41 }, (_, i) => ({
          merchant_uid: `c-list-${i}`,
          amount: 100 + i,
          status: 'paid' as const,
        })),
      ]);
    });

    it('findAll pages through duplicates with previous/next, 0 at the ends', async () => {
      const first = conforms(pagedAnswer, (await call('GET', '/payments/findAll/c-dup?limit=2')).json).response;
      expect(first).toMatchObject({ total: 3, previous: 0, next: 2 });
      expect(first.list).toHaveLength(2);
      const second = conforms(pagedAnswer, (await call('GET', '/payments/findAll/c-dup?limit=2&page=2')).json).response;
      expect(second).toMatchObject({ total: 3, previous: 1, next: 0 });
      expect(second.list).toHaveLength(1);
      const onlyPaid = conforms(pagedAnswer, (await call('GET', '/payments/findAll/c-dup/paid')).json).response;
      expect(onlyPaid.list.map((p) => p.status)).toEqual(['paid']);
      refused(await call('GET', '/payments/findAll/no-such-order'), 404, -1);
    });

    it('status lists page to the end and refuse a page past it', async () => {
      let page = 1;
      const seen: string[] = [];
      for (;;) {
        const body = conforms(
          pagedAnswer,
          (await call('GET', `/payments/status/paid?limit=20&page=${page}`)).json,
        ).response;
        seen.push(...body.list.map((p) => p.imp_uid));
        expect(body.list.every((p) => p.status === 'paid')).toBe(true);
        if (body.next === 0) {
          expect(seen).toHaveLength(body.total);
          break;
        }
        expect(body.next).toBe(page + 1);
        page = body.next;
      }
      expect(page).toBeGreaterThanOrEqual(3);
      refused(await call('GET', `/payments/status/paid?limit=20&page=${page + 1}`), 400);
      const all = conforms(pagedAnswer, (await call('GET', '/payments/status/all?limit=1000')).json).response;
      expect(all.total).toBeGreaterThanOrEqual(seen.length + 3);
    });

    it('honours the from/to window (unix seconds) and refuses a bad status', async () => {
      const nowS = Math.floor(sb.clock.now().getTime() / 1000);
      const empty = conforms(
        pagedAnswer,
        (await call('GET', `/payments/status/paid?from=${nowS - 7200}&to=${nowS - 3600}`)).json,
      ).response;
      expect(empty).toMatchObject({ total: 0, previous: 0, next: 0, list: [] });
      expect(refused(await call('GET', '/payments/status/refunded'), 400)).toBe('지원되지 않는 상태값입니다.');
    });
  });

  describe('/payments/prepare', () => {
    it('POST, GET and PUT answer {merchant_uid, amount, currency}', async () => {
      const posted = conforms(
        prepareAnswer,
        (await call('POST', '/payments/prepare', { body: { merchant_uid: 'c-prep', amount: 42000 } })).json,
      ).response;
      expect(toPrepared(posted)).toEqual({ merchantUid: 'c-prep', amount: 42000, currency: null });
      const got = conforms(prepareAnswer, (await call('GET', '/payments/prepare/c-prep')).json).response;
      expect(got).toMatchObject({ merchant_uid: 'c-prep', amount: 42000 });
      const put = conforms(
        prepareAnswer,
        (await call('PUT', '/payments/prepare', { body: { merchant_uid: 'c-prep', amount: 43000, currency: 'KRW' } }))
          .json,
      ).response;
      expect(toPrepared(put)).toEqual({ merchantUid: 'c-prep', amount: 43000, currency: 'KRW' });
    });

    it('a second POST for the same merchant_uid is a failure envelope', async () => {
      await call('POST', '/payments/prepare', { body: { merchant_uid: 'c-prep-2', amount: 1000 } });
      const again = await call('POST', '/payments/prepare', { body: { merchant_uid: 'c-prep-2', amount: 2000 } });
      expect(again.status).toBeLessThan(500);
      conforms(failureEnvelopeWire, again.json);
    });

    it.each([
      ['GET of nothing registered', 'GET', '/payments/prepare/c-never', undefined],
      ['PUT of nothing registered', 'PUT', '/payments/prepare', { merchant_uid: 'c-never', amount: 1000 }],
    ])('%s → 404 "사전등록된 결제정보가 존재하지 않습니다."', async (_name, method, target, body) => {
      expect(refused(await call(method, target, { body }), 404)).toBe('사전등록된 결제정보가 존재하지 않습니다.');
    });
  });

  describe('POST /payments/cancel', () => {
    let target: CreatedPayment;
    beforeAll(async () => {
      target = await sb.createPayment(merchant, { merchant_uid: 'c-cancel', amount: 10000, status: 'paid' });
    });

    it('a partial cancel answers the updated payment with a complete cancel_history item', async () => {
      const answer = await call('POST', '/payments/cancel', {
        body: { imp_uid: target.imp_uid, amount: 3000, checksum: 10000, reason: '부분 환불' },
      });
      expect(answer.status).toBe(200);
      const payment = conforms(paymentAnswer, answer.json).response;
      expect(payment).toMatchObject({ amount: 10000, cancel_amount: 3000 });
      expect(payment.cancel_history).toHaveLength(1);
      expect(payment.cancel_history[0]).toMatchObject({ amount: 3000, reason: '부분 환불' });
      expect(payment.cancel_history[0]?.cancellation_id).toEqual(expect.any(String));
      expect(toPayment(payment).cancelHistory[0]?.cancelledAt).toBeInstanceOf(Date);
    });

    it('a full cancel by merchant_uid (no amount) refunds the balance', async () => {
      const answer = await call('POST', '/payments/cancel', {
        body: { merchant_uid: 'c-cancel', checksum: 7000, reason: '전액 환불' },
        form: true,
      });
      const payment = conforms(paymentAnswer, answer.json).response;
      expect(payment).toMatchObject({ status: 'cancelled', cancel_amount: 10000, cancel_reason: '전액 환불' });
      expect(payment.cancelled_at).toBeGreaterThan(0);
      expect(payment.cancel_history).toHaveLength(2);
    });

    it.each([
      ['an unknown imp_uid', { imp_uid: 'imp_000000000009', reason: 'x' }, '취소할 결제건이 존재하지 않습니다.'],
      ['a payment already fully cancelled', { merchant_uid: 'c-cancel', reason: 'x' }, undefined],
      ['an unpaid payment', { merchant_uid: 'c-failed', reason: 'x' }, undefined],
      ['a wrong checksum', { merchant_uid: 'c-paid', checksum: 999, reason: 'x' }, undefined],
      ['more than the balance', { merchant_uid: 'c-paid', amount: 1001, reason: 'x' }, undefined],
    ])('refuses %s with HTTP 200 code 1', async (_name, body, message) => {
      const text = refused(await call('POST', '/payments/cancel', { body }), 200, 1);
      if (message) expect(text).toBe(message);
    });

    it('a vbank refund without the refund account is refused', async () => {
      const v = await sb.createPayment(merchant, {
        merchant_uid: 'c-vbank-paid',
        amount: 5000,
        status: 'paid',
        pay_method: 'vbank',
      });
      refused(await call('POST', '/payments/cancel', { body: { imp_uid: v.imp_uid, reason: 'x' } }), 200, 1);
    });
  });

  it('answers an unknown API path with an envelope, not HTML', async () => {
    const answer = await call('GET', '/payments/find');
    expect(answer.status).toBeGreaterThanOrEqual(400);
    conforms(envelopeWire, answer.json);
  });
});
