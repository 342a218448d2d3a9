import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loader as completeLoader } from '~/routes/payments.$store.complete';
import { callRoute, createMonitorHarness, requestContext, type MonitorHarness } from '../../../helpers/monitor';
import { insertOrder } from '../../../helpers/factories';

/** The redirect route with bad input and with the gateway down (its base URL is a closed port). */
describe('redirect route: bad input and gateway down', () => {
  let h: MonitorHarness;
  let slug: string;
  beforeAll(async () => {
    h = await createMonitorHarness();
    slug = (await h.addStore()).store.slug;
  });
  afterAll(() => h.close());

  const hit = async (query: string, store = slug) => {
    const request = new Request(`http://localhost/payments/${store}/complete${query ? `?${query}` : ''}`, {
      headers: { 'user-agent': 'test-agent' },
    });
    const context = {
      ...requestContext(h.ctx, request),
      rawUrl: `/payments/${store}/complete${query ? `?${query}` : ''}`,
    };
    const response = await callRoute(completeLoader, request, { store }, context);
    const row = await h.t.db
      .selectFrom('redirect_hit')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return { response, row };
  };

  it('answers 404 for an unknown store: counted per slug, never stored in full', async () => {
    const before = await h.t.db.selectFrom('redirect_hit').select('id').execute();
    for (let i = 0; i < 3; i++) {
      const request = new Request('http://localhost/payments/nope/complete?imp_uid=imp_1&merchant_uid=m');
      const context = {
        ...requestContext(h.ctx, request),
        rawUrl: '/payments/nope/complete?imp_uid=imp_1&merchant_uid=m',
      };
      expect((await callRoute(completeLoader, request, { store: 'nope' }, context)).status).toBe(404);
    }
    expect(await h.t.db.selectFrom('redirect_hit').select('id').execute()).toEqual(before);
    expect(
      await h.t.db
        .selectFrom('unknown_store_hit')
        .select(['slug', 'route', 'count'])
        .where('slug', '=', 'nope')
        .execute(),
    ).toEqual([{ slug: 'nope', route: 'redirect', count: 3 }]);
  });

  it('answers 400 when neither id is present', async () => {
    const { response, row } = await hit('imp_success=true');
    expect(response.status).toBe(400);
    expect(row).toMatchObject({ flag_kind: 'imp_success', flag_value: 'true', imp_uid: null, merchant_uid: null });
  });

  it('answers 414 for an oversized query string and stores it truncated', async () => {
    const { response, row } = await hit(`merchant_uid=m&pad=${'x'.repeat(5000)}`);
    expect(response.status).toBe(414);
    expect(row.query_truncated).toBe(1);
    expect(row.query_string).toHaveLength(4096);
  });

  it('stores a script-laden query exactly as sent', async () => {
    const query = 'merchant_uid=%3Cscript%3Ealert(1)%3C/script%3E&error_msg=<img src=x onerror=alert(1)>';
    const { row } = await hit(query);
    expect(row.query_string).toBe(query);
    expect(row.error_msg).toBe('<img src=x onerror=alert(1)>');
  });

  it('leaves the order unverified and shows the confirming page when the gateway is down', async () => {
    const { response, row } = await hit('imp_uid=imp_200000000001&merchant_uid=order-down');
    expect(response.status).toBe(202);
    expect(response.headers.get('refresh')).toBe('5');
    expect(row).toMatchObject({ flag_kind: 'none', user_agent: 'test-agent' });
    // Never registered and the gateway is down: the order is kept from the evidence, amount unknown.
    const checks = await h.t.db
      .selectFrom('gateway_check')
      .selectAll()
      .where('merchant_uid', '=', 'order-down')
      .orderBy('id')
      .execute();
    expect(checks.map((c) => [c.operation, c.ok, c.error_kind])).toEqual([
      ['getPrepared', 0, 'retryable'],
      ['getPayment', 0, 'retryable'],
    ]);
    const order = await h.t.db
      .selectFrom('order')
      .selectAll()
      .where('merchant_uid', '=', 'order-down')
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ source: 'evidence', expected_amount: null, status: 'pending' });
    const reasons = await h.t.db
      .selectFrom('attention_reason')
      .select('reason')
      .where('order_id', '=', order.id)
      .where('resolved_at', 'is', null)
      .orderBy('reason')
      .execute();
    expect(reasons.map((r) => r.reason)).toEqual(['missing_flag', 'unknown_order', 'unverified']);
  });

  it('opens unverified and missing_flag on a registered order when the gateway is down', async () => {
    const store = await h.t.db.selectFrom('store').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    const at = h.clock.now().toISOString();
    const orderId = await insertOrder(h.t.db, { storeId: store.id, merchantUid: 'order-reg', at });
    const { response } = await hit('imp_uid=imp_200000000002&merchant_uid=order-reg');
    expect(response.status).toBe(202);
    const reasons = await h.t.db
      .selectFrom('attention_reason')
      .select(['reason', 'resolved_at'])
      .where('order_id', '=', orderId)
      .orderBy('reason')
      .execute();
    expect(reasons).toEqual([
      { reason: 'missing_flag', resolved_at: null },
      { reason: 'unverified', resolved_at: null },
    ]);
    const updated = await h.t.db.selectFrom('order').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
    expect(updated).toMatchObject({
      status: 'pending',
      open_reason_count: 2,
      check_attempts: 1,
      next_check_at: new Date(h.clock.now().getTime() + 60_000).toISOString(),
    });
  });
});
