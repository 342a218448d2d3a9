import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEMO,
  createClock,
  startReceiver,
  startTestSandbox,
  type Delivery,
  type TestSandbox,
  type WirePayment,
} from './harness';

type MerchantView = {
  imp_code: string;
  imp_key: string;
  imp_secret: string;
  webhook_url: string | null;
  webhook_format: string;
  is_demo: boolean;
  faults: unknown;
};

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

describe('merchants', () => {
  it('starts with the configured demo merchant', async () => {
    const merchants = await t.control<MerchantView[]>('GET', '/merchants');
    expect(merchants).toHaveLength(1);
    expect(merchants[0]).toMatchObject({
      imp_code: DEMO.impCode,
      imp_key: DEMO.impKey,
      is_demo: true,
      webhook_url: null,
    });
  });

  it('creates merchants with their own credentials, webhook URL and format', async () => {
    const created = await t.control<MerchantView>('POST', '/merchants', {
      imp_code: 'imp20000000',
      webhook_url: 'http://127.0.0.1:9/hook',
      webhook_format: 'form',
    });
    expect(created).toMatchObject({ imp_code: 'imp20000000', webhook_format: 'form', is_demo: false });
    expect(created.imp_key).toMatch(/^[0-9a-f]{16}$/);
    const theirs = await t.token({ imp_key: created.imp_key, imp_secret: created.imp_secret });
    expect(theirs).not.toBe(token);
    const dup = await t.call('POST', '/__sandbox/merchants', { json: { imp_code: 'imp20000000' } });
    expect(dup.status).toBe(409);
    const bad = await t.call('POST', '/__sandbox/merchants', { json: { imp_code: 'shop-1', webhook_url: 'ftp://x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(-1);
  });

  it('updates a merchant and answers 404 for an unknown one', async () => {
    const patched = await t.control<MerchantView>('PATCH', `/merchants/${DEMO.impCode}`, {
      webhook_url: 'https://monitor.example/webhooks/iamport/demo',
      webhook_format: 'form',
    });
    expect(patched).toMatchObject({
      webhook_url: 'https://monitor.example/webhooks/iamport/demo',
      webhook_format: 'form',
    });
    expect((await t.call('PATCH', '/__sandbox/merchants/imp99999999', { json: {} })).status).toBe(404);
    expect((await t.call('PATCH', `/__sandbox/merchants/${DEMO.impCode}`, { json: { surprise: 1 } })).status).toBe(400);
  });
});

describe('creating payments', () => {
  it('validates each item and names the bad one in a bulk call', async () => {
    const single = await t.call('POST', '/__sandbox/payments', { json: { merchant_uid: 'x' } });
    expect(single.status).toBe(400);
    expect(single.body.message).toContain('amount');
    const bulk = await t.call('POST', '/__sandbox/payments', { json: [{ amount: 1 }, { amount: 'x' }] });
    expect(bulk.status).toBe(400);
    expect(bulk.body.message).toMatch(/^\[1\] amount/);
    expect((await t.call('POST', '/__sandbox/payments', { json: { amount: 1, merchant: 'imp99999999' } })).status).toBe(
      404,
    );
  });

  it('creates 10,000 payments in one call quickly, with unique ids', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      merchant_uid: `bulk-${i}`,
      amount: 1000 + i,
      status: i % 10 === 0 ? 'failed' : 'paid',
      webhook: false,
    }));
    const started = performance.now();
    const created = await t.control<{ count: number; payments: { imp_uid: string; status: string }[] }>(
      'POST',
      '/payments',
      items,
    );
    const ms = performance.now() - started;
    expect(created.count).toBe(10_000);
    expect(new Set(created.payments.map((p) => p.imp_uid)).size).toBe(10_000);
    expect(ms).toBeLessThan(10_000);
    const paid = await t.call<{ total: number }>('GET', '/payments/status/paid?limit=1', { token });
    expect(paid.body.response.total).toBe(9000);
    const one = await t.call<WirePayment>('GET', `/payments/${created.payments[1]!.imp_uid}`, { token });
    expect(one.body.response).toMatchObject({ merchant_uid: 'bulk-1', amount: 1001, status: 'paid' });
  });

  it('records a tampered amount: the payment shows what was paid', async () => {
    const p = await t.control<WirePayment>('POST', '/payments', {
      merchant_uid: 'tamper',
      amount: 42000,
      paid_amount: 420,
    });
    expect(p).toMatchObject({ amount: 420, status: 'paid' });
  });

  it('creates a refunded payment and backdated ones', async () => {
    const now = t.clock.nowS();
    const p = await t.control<WirePayment>('POST', '/payments', {
      merchant_uid: 'refunded',
      amount: 500,
      status: 'cancelled',
      started_at: now - 7200,
      paid_at: now - 3600,
    });
    expect(p).toMatchObject({
      status: 'cancelled',
      cancel_amount: 500,
      started_at: now - 7200,
      paid_at: now - 3600,
      cancelled_at: now - 3600,
    });
    expect(p.cancel_history).toHaveLength(1);
  });
});

describe('API faults per merchant', () => {
  it('forces a 5xx envelope, then behaves once the remaining count is used up', async () => {
    await t.control('PUT', `/merchants/${DEMO.impCode}/faults`, { status: 503, remaining: 2 });
    const first = await t.call('GET', '/payments/imp_000000000000', { token });
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ code: -1, response: null });
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(503);
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(404);
  });

  it('answers an HTML error page like a proxy would', async () => {
    await t.control('PUT', `/merchants/${DEMO.impCode}/faults`, { status: 502, body: 'html' });
    const res = await fetch(`${t.url}/payments/imp_000000000000`, { headers: { authorization: token } });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('502 Bad Gateway');
    await t.control('DELETE', `/merchants/${DEMO.impCode}/faults`);
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(404);
  });

  it('applies to getToken too, and an error rate of 0 changes nothing', async () => {
    await t.control('PUT', `/merchants/${DEMO.impCode}/faults`, { status: 500, error_rate: 0 });
    expect(
      (await t.call('POST', '/users/getToken', { json: { imp_key: DEMO.impKey, imp_secret: DEMO.impSecret } })).status,
    ).toBe(200);
    await t.control('PUT', `/merchants/${DEMO.impCode}/faults`, { status: 500 });
    expect(
      (await t.call('POST', '/users/getToken', { json: { imp_key: DEMO.impKey, imp_secret: DEMO.impSecret } })).status,
    ).toBe(500);
  });

  it('adds latency before answering', async () => {
    await t.control('PUT', `/merchants/${DEMO.impCode}/faults`, { latency_ms: 150 });
    const started = performance.now();
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(404);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('hangs until the client gives up', async () => {
    await t.control('PUT', `/merchants/${DEMO.impCode}/faults`, { hang: true, remaining: 1 });
    await expect(
      fetch(`${t.url}/payments/imp_000000000000`, {
        headers: { authorization: token },
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(404);
  });

  it('refuses invalid faults', async () => {
    expect((await t.call('PUT', `/__sandbox/merchants/${DEMO.impCode}/faults`, { json: { status: 200 } })).status).toBe(
      400,
    );
    expect(
      (await t.call('PUT', `/__sandbox/merchants/${DEMO.impCode}/faults`, { json: { error_rate: 2 } })).status,
    ).toBe(400);
  });

  it('leaves other merchants alone', async () => {
    const other = await t.control<MerchantView>('POST', '/merchants', {});
    await t.control('PUT', `/merchants/${other.imp_code}/faults`, { status: 500 });
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(404);
  });
});

describe('bad input', () => {
  it('answers envelopes for bad JSON, unknown controls and oversized bodies', async () => {
    const res = await fetch(`${t.url}/__sandbox/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[{"amount": 1',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: -1, response: null });
    expect((await t.call('POST', '/__sandbox/teleport')).status).toBe(404);
    const body = `{"imp_key":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    const declared = await fetch(`${t.url}/users/getToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ code: -1, message: '요청 본문이 너무 큽니다.', response: null });
    const streamed = await fetch(`${t.url}/users/getToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    // The server is still fine.
    expect((await t.call('GET', '/__sandbox/clock')).status).toBe(200);
  });
});

describe('the clock controls', () => {
  it('advance moves the sandbox clock that tokens and payments use; reset puts it back', async () => {
    const before = await t.control<{ now: number }>('GET', '/clock');
    await t.control('POST', '/advance', { seconds: 3600 });
    const after = await t.control<{ now: number }>('GET', '/clock');
    expect(after.now - before.now).toBe(3600);
    const p = await t.control<WirePayment>('POST', '/payments', { amount: 1 });
    expect(p.paid_at).toBe(after.now);
    // The token issued before the jump expired 30 minutes in.
    expect((await t.call('GET', `/payments/${p.imp_uid}`, { token })).status).toBe(401);
    await t.control('POST', '/reset');
    expect((await t.control<{ now: number }>('GET', '/clock')).now).toBe(before.now);
  });
});

describe('persistence across a restart', () => {
  it('keeps merchants, payments, prepares, tokens and pending deliveries', async () => {
    const clock = createClock('2026-11-24T10:00:00.000Z');
    const first = await startTestSandbox({ clock });
    const hook = await startReceiver();
    try {
      const merchant = await first.control<MerchantView>('POST', '/merchants', {
        imp_code: 'imp30000000',
        webhook_url: hook.url,
        webhook_format: 'form',
      });
      const keys = { imp_key: merchant.imp_key, imp_secret: merchant.imp_secret };
      const tokenBefore = await first.token(keys);
      const p = await first.control<WirePayment>('POST', '/payments', {
        merchant: 'imp30000000',
        merchant_uid: 'keep-1',
        amount: 7000,
        webhook: { delay_seconds: 300 },
      });
      await first.call('POST', '/payments/prepare', {
        token: tokenBefore,
        json: { merchant_uid: 'keep-2', amount: 9000 },
      });
      await first.control('PUT', `/merchants/imp30000000/faults`, { latency_ms: 1 });
      await first.close({ keep: true });

      clock.advance(60_000);
      const second = await startTestSandbox({ clock, dataDir: first.dataDir });
      try {
        expect(await second.token(keys)).toBe(tokenBefore);
        const again = await second.call<WirePayment>('GET', `/payments/${p.imp_uid}`, { token: tokenBefore });
        expect(again.body.response).toMatchObject({ merchant_uid: 'keep-1', amount: 7000, status: 'paid' });
        expect(
          (await second.call('GET', '/payments/prepare/keep-2', { token: tokenBefore })).body.response,
        ).toMatchObject({ amount: 9000 });
        expect((await second.control<MerchantView>('GET', '/merchants/imp30000000')).faults).toMatchObject({
          latency_ms: 1,
        });
        // The delayed webhook is still due 5 minutes after the payment.
        expect((await second.control<{ attempts: unknown[] }>('POST', '/advance', { seconds: 239 })).attempts).toEqual(
          [],
        );
        expect(
          (await second.control<{ attempts: unknown[] }>('POST', '/advance', { seconds: 1 })).attempts,
        ).toHaveLength(1);
        const [req] = await hook.waitFor(1);
        expect(req!.body).toBe(`imp_uid=${p.imp_uid}&merchant_uid=keep-1&status=paid`);
        const [d] = await second.control<Delivery[]>('GET', '/webhooks');
        expect(d).toMatchObject({ state: 'delivered', format: 'form' });
      } finally {
        await second.close();
      }
    } finally {
      await hook.close();
    }
  });

  it('uses WAL mode on its own file', async () => {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(`${t.dataDir}/sandbox.db`, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
