import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEMO,
  startReceiver,
  startTestSandbox,
  type Delivery,
  type Receiver,
  type TestSandbox,
  type WirePayment,
} from './harness';

type Tick = {
  now: number;
  attempts: { delivery_id: number; attempt: number; http_status: number | null; error: string | null; state: string }[];
};

let t: TestSandbox;
let hook: Receiver;
let token: string;

beforeAll(async () => {
  // Short timeouts so the timeout cases finish quickly; the defaults are the reference's 10 s / 30 s.
  t = await startTestSandbox({ webhookTimeouts: { connectMs: 500, readMs: 300, retryTotalMs: 300 } });
});
afterAll(() => t.close());
beforeEach(async () => {
  await t.control('POST', '/reset');
  hook = await startReceiver();
  await t.control('PATCH', `/merchants/${DEMO.impCode}`, { webhook_url: `${hook.url}/webhooks/iamport` });
  token = await t.token();
});
afterEach(() => hook.close());

const create = (body: Record<string, unknown>) => t.control<WirePayment>('POST', '/payments', body);
const deliveries = (query = '') => t.control<Delivery[]>('GET', `/webhooks${query}`);
const tick = () => t.control<Tick>('POST', '/tick');
const advance = (seconds: number) => t.control<Tick>('POST', '/advance', { seconds });

describe('when webhooks are sent (reference §5.1)', () => {
  it('sends {imp_uid, merchant_uid, status} as JSON when a payment is paid, and logs the answer', async () => {
    const p = await create({ merchant_uid: 'w-1', amount: 1000 });
    const [req] = await hook.waitFor(1);
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/webhooks/iamport');
    expect(req!.contentType).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual({ imp_uid: p.imp_uid, merchant_uid: 'w-1', status: 'paid' });
    await tick();
    const [d] = await deliveries(`?imp_uid=${p.imp_uid}`);
    expect(d).toMatchObject({
      state: 'delivered',
      status: 'paid',
      format: 'json',
      url: `${hook.url}/webhooks/iamport`,
    });
    expect(d!.attempts).toHaveLength(1);
    expect(d!.attempts[0]).toMatchObject({ attempt: 1, status: 200, error: null, body_excerpt: 'OK' });
    expect(d!.attempts[0]!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('sends form-urlencoded when the merchant chose it', async () => {
    await t.control('PATCH', `/merchants/${DEMO.impCode}`, { webhook_format: 'form' });
    const p = await create({ merchant_uid: 'w 2', amount: 1000 });
    const [req] = await hook.waitFor(1);
    expect(req!.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req!.body))).toEqual({
      imp_uid: p.imp_uid,
      merchant_uid: 'w 2',
      status: 'paid',
    });
  });

  it("sends to the payment's notice_url instead of the merchant's URL", async () => {
    const other = await startReceiver();
    try {
      await create({ merchant_uid: 'w-3', amount: 1000, notice_url: `${other.url}/per-payment` });
      const [req] = await other.waitFor(1);
      expect(req!.path).toBe('/per-payment');
      await tick();
      expect(hook.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('sends nothing for an ordinary failure', async () => {
    await create({ merchant_uid: 'w-4', amount: 1000, status: 'failed' });
    await tick();
    expect(await deliveries()).toEqual([]);
    expect(hook.requests).toHaveLength(0);
  });

  it('sends ready when a vbank is issued and paid when it is deposited', async () => {
    const p = await create({ merchant_uid: 'w-5', amount: 30000, status: 'ready' });
    await hook.waitFor(1);
    t.clock.advance(3600_000);
    const deposited = await t.control<WirePayment>('POST', `/payments/${p.imp_uid}/deposit`, {});
    expect(deposited).toMatchObject({ status: 'paid', paid_at: t.clock.nowS(), vbank_num: p.vbank_num });
    const reqs = await hook.waitFor(2);
    expect(reqs.map((r) => JSON.parse(r.body).status)).toEqual(['ready', 'paid']);
  });

  it('refuses a deposit into anything but an issued vbank', async () => {
    const card = await create({ merchant_uid: 'w-6', amount: 100 });
    const answer = await t.call('POST', `/__sandbox/payments/${card.imp_uid}/deposit`, { json: {} });
    expect(answer.status).toBe(409);
  });

  it('sends cancelled on an API cancel only with enable_webhook, with the cancellation_id', async () => {
    const p = await create({ merchant_uid: 'w-7', amount: 1000, webhook: false });
    await t.call('POST', '/payments/cancel', { token, json: { imp_uid: p.imp_uid, amount: 100 } });
    await tick();
    expect(hook.requests).toHaveLength(0);
    const second = await t.call<WirePayment>('POST', '/payments/cancel', {
      token,
      json: { imp_uid: p.imp_uid, amount: 200, enable_webhook: true },
    });
    const [req] = await hook.waitFor(1);
    const body = JSON.parse(req!.body) as Record<string, string>;
    expect(body).toEqual({
      imp_uid: p.imp_uid,
      merchant_uid: 'w-7',
      status: 'cancelled',
      cancellation_id: second.body.response.cancel_history[1]!.cancellation_id,
    });
  });

  it('sends cancelled with the cancellation_id for a console refund', async () => {
    const p = await create({ merchant_uid: 'w-8', amount: 1000, webhook: false });
    const after = await t.control<WirePayment>('POST', `/payments/${p.imp_uid}/transition`, {
      to: 'cancelled',
      reason: 'console',
    });
    expect(after).toMatchObject({ status: 'cancelled', cancel_amount: 1000, cancel_reason: 'console' });
    const [req] = await hook.waitFor(1);
    expect(JSON.parse(req!.body)).toEqual({
      imp_uid: p.imp_uid,
      merchant_uid: 'w-8',
      status: 'cancelled',
      cancellation_id: after.cancel_history[0]!.cancellation_id,
    });
  });

  it('sends paid when a failed payment is approved late', async () => {
    const p = await create({ merchant_uid: 'w-9', amount: 1000, status: 'failed', pg: 'paymentwall' });
    t.clock.advance(86_400_000);
    const after = await t.control<WirePayment>('POST', `/payments/${p.imp_uid}/transition`, { to: 'paid' });
    expect(after).toMatchObject({ status: 'paid', paid_at: t.clock.nowS(), fail_reason: null });
    const [req] = await hook.waitFor(1);
    expect(JSON.parse(req!.body)).toMatchObject({ status: 'paid' });
    expect((await t.call('POST', `/__sandbox/payments/${p.imp_uid}/transition`, { json: { to: 'paid' } })).status).toBe(
      409,
    );
  });

  it('records no webhook at all when the merchant has no URL', async () => {
    await t.control('PATCH', `/merchants/${DEMO.impCode}`, { webhook_url: null });
    await create({ merchant_uid: 'w-10', amount: 1000 });
    await tick();
    expect(await deliveries()).toEqual([]);
  });
});

describe('scenarios (reference §5.5, §9.3-9.5)', () => {
  it('delays a delivery on the sandbox clock until it is due', async () => {
    const p = await create({ merchant_uid: 's-1', amount: 1000, webhook: { delay_seconds: 120 } });
    expect((await tick()).attempts).toEqual([]);
    expect((await advance(119)).attempts).toEqual([]);
    const due = await advance(1);
    expect(due.attempts).toHaveLength(1);
    expect(due.attempts[0]).toMatchObject({ http_status: 200, state: 'delivered' });
    expect(hook.requests.map((r) => JSON.parse(r.body).imp_uid)).toEqual([p.imp_uid]);
  });

  it('drops a delivery and says so', async () => {
    await create({ merchant_uid: 's-2', amount: 1000, webhook: { drop: true } });
    await advance(3600);
    expect(hook.requests).toHaveLength(0);
    const [d] = await deliveries();
    expect(d).toMatchObject({ state: 'dropped', attempts: [] });
  });

  it('duplicates a delivery N times', async () => {
    const p = await create({ merchant_uid: 's-3', amount: 1000, webhook: { copies: 3 } });
    const reqs = await hook.waitFor(3);
    expect(new Set(reqs.map((r) => r.body))).toEqual(
      new Set([JSON.stringify({ imp_uid: p.imp_uid, merchant_uid: 's-3', status: 'paid' })]),
    );
    await tick();
    expect((await deliveries()).map((d) => d.copy)).toEqual([1, 2, 3]);
  });

  it("applies the merchant's default scenario", async () => {
    await t.control('PATCH', `/merchants/${DEMO.impCode}`, { webhook_scenario: { delay_seconds: 30 } });
    await create({ merchant_uid: 's-4', amount: 1000 });
    expect((await tick()).attempts).toEqual([]);
    expect((await advance(30)).attempts).toHaveLength(1);
  });

  it('sends once and gives up on a 5xx without retries (the default)', async () => {
    hook.respond(500);
    await create({ merchant_uid: 's-5', amount: 1000 });
    await hook.waitFor(1);
    await advance(600);
    expect(hook.requests).toHaveLength(1);
    const [d] = await deliveries();
    expect(d).toMatchObject({ state: 'failed' });
    expect(d!.attempts[0]).toMatchObject({ status: 500, body_excerpt: 'error 500' });
  });

  it('retries a 5xx every minute when retries are on, until a 200', async () => {
    hook.respond(503);
    await create({ merchant_uid: 's-6', amount: 1000, webhook: { retry: true } });
    await hook.waitFor(1);
    await tick();
    expect((await advance(59)).attempts).toEqual([]);
    expect((await advance(1)).attempts[0]).toMatchObject({ attempt: 2, http_status: 503, state: 'pending' });
    hook.respond(200);
    expect((await advance(60)).attempts[0]).toMatchObject({ attempt: 3, http_status: 200, state: 'delivered' });
    expect(hook.requests).toHaveLength(3);
  });

  it('stops after 5 retries', async () => {
    hook.respond(502);
    await create({ merchant_uid: 's-7', amount: 1000, webhook: { retry: true } });
    await hook.waitFor(1);
    await tick();
    for (let i = 0; i < 6; i++) await advance(60);
    expect(hook.requests).toHaveLength(6);
    const [d] = await deliveries();
    expect(d).toMatchObject({ state: 'failed' });
    expect(d!.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('never retries a 4xx', async () => {
    hook.respond(400);
    await create({ merchant_uid: 's-8', amount: 1000, webhook: { retry: true } });
    await hook.waitFor(1);
    await advance(600);
    expect(hook.requests).toHaveLength(1);
    expect((await deliveries())[0]).toMatchObject({ state: 'failed', attempts: [{ status: 400 }] });
  });

  it('records a network error and retries it', async () => {
    const closed = await startReceiver();
    const deadUrl = closed.url;
    await closed.close();
    await t.control('PATCH', `/merchants/${DEMO.impCode}`, { webhook_url: `${deadUrl}/gone` });
    await create({ merchant_uid: 's-9', amount: 1000, webhook: { retry: true } });
    await tick();
    const [d] = await deliveries();
    expect(d!.attempts[0]).toMatchObject({ status: null, error: 'ECONNREFUSED' });
    expect(d!.state).toBe('pending');
    expect(d!.due_at_ms).toBe((t.clock.nowS() + 60) * 1000);
    expect((await advance(60)).attempts).toMatchObject([{ attempt: 2, error: 'ECONNREFUSED', state: 'pending' }]);
  });

  it('gives up on a merchant that does not answer within the read timeout', async () => {
    hook.respond('hang');
    await create({ merchant_uid: 's-10', amount: 1000 });
    await hook.waitFor(1);
    await tick();
    const [d] = await deliveries();
    expect(d).toMatchObject({ state: 'failed' });
    expect(d!.attempts[0]!.error).toBe('read timeout after 300 ms');
    expect(d!.attempts[0]!.status).toBeNull();
  });
});
