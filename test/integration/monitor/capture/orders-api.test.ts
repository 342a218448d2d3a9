import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action as registerAction } from '~/routes/api.v1.stores.$store.orders';
import { loader as orderLoader } from '~/routes/api.v1.stores.$store.orders.$merchantUid';
import { callRoute, createMonitorHarness, requestContext, type MonitorHarness } from '../../../helpers/monitor';

describe('orders API', () => {
  let h: MonitorHarness;
  let slug: string;
  let apiKey: string;
  beforeAll(async () => {
    h = await createMonitorHarness({ publicUrl: 'https://monitor.example.com' });
    const created = await h.addStore();
    slug = created.store.slug;
    apiKey = created.apiKey;
  });
  afterAll(() => h.close());

  const post = (body: unknown, key: string | null = apiKey, store = slug) => {
    const request = new Request(`http://localhost/api/v1/stores/${store}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return callRoute(registerAction, request, { store }, requestContext(h.ctx, request));
  };

  it('registers an order and answers the exact URLs to use', async () => {
    const response = await post({ merchant_uid: 'order-1', amount: 15000, name: '커피 2잔' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      order: expect.objectContaining({
        merchant_uid: 'order-1',
        status: 'pending',
        expected_amount: 15000,
        currency: 'KRW',
        name: '커피 2잔',
        attention: [],
      }),
      m_redirect_url: `https://monitor.example.com/payments/${slug}/complete`,
      notice_url: `https://monitor.example.com/webhooks/iamport/${slug}`,
    });
  });

  it('is idempotent on merchant_uid', async () => {
    const again = await post({ merchant_uid: 'order-1', amount: 15000 });
    expect(again.status).toBe(200);
    const rows = await h.t.db.selectFrom('order').select('id').where('merchant_uid', '=', 'order-1').execute();
    expect(rows).toHaveLength(1);
  });

  it('answers 409 for the same merchant_uid with another amount', async () => {
    const response = await post({ merchant_uid: 'order-1', amount: 15 });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'conflict', order: { expected_amount: 15000 } } });
  });

  it.each([
    [{ amount: 100 }, 'merchant_uid'],
    [{ merchant_uid: 'x', amount: 10.5 }, 'amount must be an integer'],
    [{ merchant_uid: 'x', amount: -1 }, 'amount must be positive'],
    [{ merchant_uid: 'x'.repeat(41), amount: 1 }, 'merchant_uid must be at most 40 characters'],
    [{ merchant_uid: 'x', amount: 1, currency: 'won' }, 'currency must be a 3-letter ISO code'],
    ['{not json', 'body must be JSON'],
  ])('refuses %j with 400 and the reason', async (body, message) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
  });

  it.each([
    [null, 401],
    ['sk_wrong', 401],
  ])('refuses API key %s', async (key, status) => {
    const response = await post({ merchant_uid: 'o-x', amount: 1 }, key);
    expect(response.status).toBe(status);
  });

  it('answers 404 for an unknown store', async () => {
    expect((await post({ merchant_uid: 'o', amount: 1 }, apiKey, 'nope')).status).toBe(404);
  });

  it('reads the verified status back', async () => {
    const request = new Request(`http://localhost/api/v1/stores/${slug}/orders/order-1`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const response = await callRoute(
      orderLoader,
      request,
      { store: slug, merchantUid: 'order-1' },
      requestContext(h.ctx, request),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ order: { merchant_uid: 'order-1', status: 'pending' } });
    const missing = new Request(`http://localhost/api/v1/stores/${slug}/orders/none`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(
      (await callRoute(orderLoader, missing, { store: slug, merchantUid: 'none' }, requestContext(h.ctx, missing)))
        .status,
    ).toBe(404);
  });

  it('reports a failed pre-registration without losing the order', async () => {
    const response = await post({ merchant_uid: 'order-prep', amount: 1000, prepare: true });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { order: { prepared: boolean }; prepare_error?: string };
    expect(body.order.prepared).toBe(false);
    expect(body.prepare_error).toBeTruthy();
    const checks = await h.t.db.selectFrom('gateway_check').selectAll().where('operation', '=', 'prepare').execute();
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ ok: 0, trigger: 'register' });
  });
});

describe('store settings', () => {
  it.each(['javascript:alert(1)', 'data:text/html,x', 'ftp://example.com/'])(
    'refuses a landing URL %s',
    async (url) => {
      const h = await createMonitorHarness();
      try {
        await expect(h.addStore({ landingSuccessUrl: url })).rejects.toThrow(
          'landingSuccessUrl must be an absolute http(s) URL',
        );
      } finally {
        await h.close();
      }
    },
  );
});
