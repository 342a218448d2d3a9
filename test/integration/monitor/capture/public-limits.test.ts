import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicLimiter } from '~/monitor/capture/public-limits.server';
import { loader as completeLoader } from '~/routes/payments.$store.complete';
import { action as ordersAction } from '~/routes/api.v1.stores.$store.orders';
import { action as webhookAction } from '~/routes/webhooks.iamport.$store';
import { callRoute, createMonitorHarness, requestContext, type MonitorHarness } from '../../../helpers/monitor';

/** The public routes answer 429 with Retry-After past the limits; Iamport's addresses never are. */
describe('public route limits through the routes', () => {
  let h: MonitorHarness;
  let slug: string;
  beforeAll(async () => {
    h = await createMonitorHarness();
    slug = (await h.addStore()).store.slug;
    h.ctx.publicLimits = createPublicLimiter({ perIpPerMinute: 5, perStorePerMinute: 0 });
  });
  afterAll(() => h.close());

  const webhook = (ip: string, n: number) => {
    const request = new Request(`http://localhost/webhooks/iamport/${slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imp_uid: `imp_10000000${String(n).padStart(4, '0')}`, status: 'paid' }),
    });
    return callRoute(webhookAction, request, { store: slug }, requestContext(h.ctx, request, ip));
  };

  it('webhooks: the sixth request from one address in a minute is a 429 with Retry-After, and is not stored', async () => {
    const statuses: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < 6; i++) {
      last = await webhook('198.51.100.7', i);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await last!.json()).toMatchObject({ error: { code: 'rate_limited' } });
    const stored = await h.t.db
      .selectFrom('webhook_delivery')
      .select('id')
      .where('source_ip', '=', '198.51.100.7')
      .execute();
    expect(stored).toHaveLength(5);
  });

  it("Iamport's published webhook addresses are never limited", async () => {
    for (let i = 0; i < 30; i++) expect((await webhook('52.78.48.223', 100 + i)).status).toBe(200);
  });

  it('the redirect and the orders API share the per-address limit', async () => {
    const ip = '198.51.100.8';
    const redirect = () => {
      const request = new Request(`http://localhost/payments/${slug}/complete?imp_success=true`);
      return callRoute(completeLoader, request, { store: slug }, requestContext(h.ctx, request, ip));
    };
    const orders = () => {
      const request = new Request(`http://localhost/api/v1/stores/${slug}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
        body: '{}',
      });
      return callRoute(ordersAction, request, { store: slug }, requestContext(h.ctx, request, ip));
    };
    const statuses = [
      (await redirect()).status,
      (await redirect()).status,
      (await orders()).status,
      (await orders()).status,
      (await orders()).status,
    ];
    expect(statuses).toEqual([400, 400, 401, 401, 401]);
    const limitedOrders = await orders();
    expect(limitedOrders.status).toBe(429);
    expect(limitedOrders.headers.get('retry-after')).not.toBeNull();
    const limitedRedirect = await redirect();
    expect(limitedRedirect.status).toBe(429);
    expect(limitedRedirect.headers.get('retry-after')).not.toBeNull();
  });
});
