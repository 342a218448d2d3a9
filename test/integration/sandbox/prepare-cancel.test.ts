import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, startTestSandbox, type TestSandbox, type WirePayment } from './harness';

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
const cancel = (json: Record<string, unknown>) =>
  t.call<WirePayment | null>('POST', '/payments/cancel', { token, json });

describe('/payments/prepare (reference §3.7)', () => {
  it('registers, reads and changes an amount', async () => {
    const posted = await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'p-1', amount: 42000 } });
    expect(posted.status).toBe(200);
    expect(posted.body).toEqual({
      code: 0,
      message: null,
      response: { amount: 42000, currency: null, merchant_uid: 'p-1' },
    });
    const read = await t.call('GET', '/payments/prepare/p-1', { token });
    expect(read.body.response).toEqual({ amount: 42000, currency: null, merchant_uid: 'p-1' });
    const put = await t.call('PUT', '/payments/prepare', { token, form: 'merchant_uid=p-1&amount=43000&currency=KRW' });
    expect(put.body.response).toEqual({ amount: 43000, currency: 'KRW', merchant_uid: 'p-1' });
  });

  it('refuses a second POST for the same merchant_uid with code 1 pointing to PUT', async () => {
    await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'p-2', amount: 1000 } });
    const again = await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'p-2', amount: 1000 } });
    expect(again.status).toBe(200);
    expect(again.body.code).toBe(1);
    expect(again.body.message).toContain('PUT /payments/prepare');
    expect(again.body.response).toBeNull();
    expect((await t.call('GET', '/payments/prepare/p-2', { token })).body.response).toMatchObject({ amount: 1000 });
  });

  it('answers 404 for an unknown prepare on GET and PUT', async () => {
    for (const answer of [
      await t.call('GET', '/payments/prepare/none', { token }),
      await t.call('PUT', '/payments/prepare', { token, json: { merchant_uid: 'none', amount: 1 } }),
    ]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ code: -1, message: '사전등록된 결제정보가 존재하지 않습니다.', response: null });
    }
  });

  it('answers 400 for missing or invalid fields', async () => {
    expect((await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'p-3' } })).status).toBe(400);
    expect((await t.call('POST', '/payments/prepare', { token, json: { amount: 100 } })).status).toBe(400);
    expect(
      (await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'p-3', amount: 'lots' } })).status,
    ).toBe(400);
    expect(
      (await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'x'.repeat(41), amount: 1 } })).status,
    ).toBe(400);
  });

  it('needs a token', async () => {
    expect((await t.call('POST', '/payments/prepare', { json: { merchant_uid: 'p-4', amount: 1 } })).status).toBe(401);
  });
});

describe('POST /payments/cancel (reference §3.8)', () => {
  it('refunds everything when amount is missing and records the cancel', async () => {
    const p = await create({ merchant_uid: 'c-1', amount: 10000 });
    t.clock.advance(60_000);
    const answer = await cancel({ imp_uid: p.imp_uid, reason: '단순변심' });
    expect(answer.status).toBe(200);
    expect(answer.body.code).toBe(0);
    const after = answer.body.response!;
    expect(after).toMatchObject({
      status: 'cancelled',
      cancel_amount: 10000,
      cancelled_at: t.clock.nowS(),
      cancel_reason: '단순변심',
    });
    expect(after.cancel_history).toHaveLength(1);
    const item = after.cancel_history[0]!;
    expect(Object.keys(item)).toEqual(['amount', 'cancellation_id', 'cancelled_at', 'pg_tid', 'reason', 'receipt_url']);
    expect(item).toMatchObject({ amount: 10000, cancelled_at: t.clock.nowS(), reason: '단순변심' });
    expect(after.cancel_receipt_urls).toEqual([item.receipt_url]);
  });

  it('treats amount 0 as a full refund', async () => {
    const p = await create({ merchant_uid: 'c-2', amount: 5000 });
    expect((await cancel({ imp_uid: p.imp_uid, amount: 0 })).body.response).toMatchObject({
      status: 'cancelled',
      cancel_amount: 5000,
    });
  });

  it('keeps a partially refunded payment paid and accumulates cancel_amount', async () => {
    const p = await create({ merchant_uid: 'c-3', amount: 10000 });
    const first = await cancel({ imp_uid: p.imp_uid, amount: 3000 });
    expect(first.body.response).toMatchObject({ status: 'paid', cancel_amount: 3000 });
    const second = await cancel({ imp_uid: p.imp_uid, amount: 2000, checksum: 7000 });
    expect(second.body.response).toMatchObject({ status: 'paid', cancel_amount: 5000 });
    const rest = await cancel({ imp_uid: p.imp_uid, checksum: 5000 });
    expect(rest.body.response).toMatchObject({ status: 'cancelled', cancel_amount: 10000 });
    expect(rest.body.response!.cancel_history.map((c) => c.amount)).toEqual([3000, 2000, 5000]);
    const ids = new Set(rest.body.response!.cancel_history.map((c) => c.cancellation_id));
    expect(ids.size).toBe(3);
  });

  it("uses the merchant's partial_cancel_status setting", async () => {
    await t.control('PATCH', `/merchants/${DEMO.impCode}`, { partial_cancel_status: 'cancelled' });
    const p = await create({ merchant_uid: 'c-4', amount: 10000 });
    expect((await cancel({ imp_uid: p.imp_uid, amount: 1000 })).body.response).toMatchObject({
      status: 'cancelled',
      cancel_amount: 1000,
    });
    // Still refundable: the balance, not the status, decides.
    expect((await cancel({ imp_uid: p.imp_uid })).body.response).toMatchObject({
      status: 'cancelled',
      cancel_amount: 10000,
    });
  });

  it('refuses a checksum mismatch with code 1 on HTTP 200 and changes nothing', async () => {
    const p = await create({ merchant_uid: 'c-5', amount: 10000 });
    const answer = await cancel({ imp_uid: p.imp_uid, amount: 1000, checksum: 9000 });
    expect(answer.status).toBe(200);
    expect(answer.body.code).toBe(1);
    expect(answer.body.message).toContain('checksum');
    expect(answer.body.response).toBeNull();
    expect((await t.call<WirePayment>('GET', `/payments/${p.imp_uid}`, { token })).body.response.cancel_amount).toBe(0);
  });

  it('refuses an over-refund and a second full refund', async () => {
    const p = await create({ merchant_uid: 'c-6', amount: 10000 });
    const over = await cancel({ imp_uid: p.imp_uid, amount: 10001 });
    expect(over.status).toBe(200);
    expect(over.body.code).toBe(1);
    await cancel({ imp_uid: p.imp_uid });
    const again = await cancel({ imp_uid: p.imp_uid });
    expect(again.body).toEqual({ code: 1, message: '이미 전액취소된 주문입니다.', response: null });
  });

  it('answers code 1 for an unknown payment, by imp_uid or merchant_uid', async () => {
    for (const json of [{ imp_uid: 'imp_000000000000' }, { merchant_uid: 'nope' }]) {
      const answer = await cancel(json);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ code: 1, message: '취소할 결제건이 존재하지 않습니다.', response: null });
    }
  });

  it('answers 400 when neither id is given', async () => {
    const answer = await cancel({ amount: 100 });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('지정해주셔야합니다.');
  });

  it('lets imp_uid win over merchant_uid, even when imp_uid is wrong', async () => {
    const a = await create({ merchant_uid: 'c-7a', amount: 100 });
    await create({ merchant_uid: 'c-7b', amount: 200 });
    const both = await cancel({ imp_uid: a.imp_uid, merchant_uid: 'c-7b' });
    expect(both.body.response!.merchant_uid).toBe('c-7a');
    const wrong = await cancel({ imp_uid: 'imp_000000000000', merchant_uid: 'c-7b' });
    expect(wrong.body.code).toBe(1);
  });

  it('by merchant_uid refunds the paid attempt, not a later failed one', async () => {
    await create({ merchant_uid: 'c-8', amount: 100, status: 'paid', started_at: t.clock.nowS() - 50 });
    await create({ merchant_uid: 'c-8', amount: 100, status: 'failed' });
    const answer = await cancel({ merchant_uid: 'c-8' });
    expect(answer.body.response).toMatchObject({ status: 'cancelled', cancel_amount: 100 });
  });

  it('refuses to refund an unpaid payment, and a vbank without the refund account', async () => {
    const failed = await create({ merchant_uid: 'c-9', amount: 100, status: 'failed' });
    expect((await cancel({ imp_uid: failed.imp_uid })).body.code).toBe(1);
    const vbank = await create({ merchant_uid: 'c-10', amount: 100, status: 'ready' });
    await t.control('POST', `/payments/${vbank.imp_uid}/deposit`, {});
    const refused = await cancel({ imp_uid: vbank.imp_uid });
    expect(refused.body.code).toBe(1);
    expect(refused.body.message).toContain('refund_holder');
    const ok = await cancel({
      imp_uid: vbank.imp_uid,
      refund_holder: '홍길동',
      refund_bank: '04',
      refund_account: '1234567890',
    });
    expect(ok.body.response).toMatchObject({ status: 'cancelled' });
  });

  it('accepts form bodies and string numbers', async () => {
    const p = await create({ merchant_uid: 'c-11', amount: 1000 });
    const answer = await t.call<WirePayment>('POST', '/payments/cancel', {
      token,
      form: `imp_uid=${p.imp_uid}&amount=400&checksum=1000`,
    });
    expect(answer.body.response).toMatchObject({ cancel_amount: 400, status: 'paid' });
    const bad = await t.call('POST', '/payments/cancel', { token, form: `imp_uid=${p.imp_uid}&amount=four` });
    expect(bad.status).toBe(400);
  });
});
