import { describe, expect, it } from 'vitest';
import { createPublicLimiter, limitPublicRequest } from '~/monitor/capture/public-limits.server';
import { createMetrics } from '~/metrics.server';

const clock = () => {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('public route limits', () => {
  it('lets perMinute requests from one address through, then answers with the wait', () => {
    const c = clock();
    const limiter = createPublicLimiter({ perIpPerMinute: 60, perStorePerMinute: 0 }, c.now);
    const verdicts = Array.from({ length: 61 }, () =>
      limiter.check({ route: 'redirect', ip: '10.0.0.1', storeSlug: 's' }),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(60);
    expect(verdicts[60]).toEqual({ ok: false, limit: 'ip', retryAfterSeconds: 1 });
    // Another address has its own bucket; the first refills at perMinute/60 per second.
    expect(limiter.check({ route: 'redirect', ip: '10.0.0.2', storeSlug: 's' }).ok).toBe(true);
    c.advance(1000);
    expect(limiter.check({ route: 'redirect', ip: '10.0.0.1', storeSlug: 's' }).ok).toBe(true);
    expect(limiter.check({ route: 'redirect', ip: '10.0.0.1', storeSlug: 's' }).ok).toBe(false);
  });

  it('limits one store across addresses, per route', () => {
    const limiter = createPublicLimiter({ perIpPerMinute: 0, perStorePerMinute: 5 }, clock().now);
    const ips = Array.from({ length: 6 }, (_, i) => `10.0.1.${i}`);
    const verdicts = ips.map((ip) => limiter.check({ route: 'webhook', ip, storeSlug: 'shop' }));
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true, true, true, false]);
    expect(verdicts[5]).toMatchObject({ limit: 'store', retryAfterSeconds: 12 });
    expect(limiter.check({ route: 'webhook', ip: '10.0.2.1', storeSlug: 'other' }).ok).toBe(true);
    expect(limiter.check({ route: 'redirect', ip: '10.0.2.1', storeSlug: 'shop' }).ok).toBe(true);
  });

  it("never limits Iamport's published webhook addresses", () => {
    const limiter = createPublicLimiter({ perIpPerMinute: 1, perStorePerMinute: 1 }, clock().now);
    for (let i = 0; i < 1000; i++)
      expect(limiter.check({ route: 'webhook', ip: '52.78.100.19', storeSlug: 'shop' }).ok).toBe(true);
    expect(limiter.check({ route: 'webhook', ip: '::ffff:52.78.5.241', storeSlug: 'shop' }).ok).toBe(true);
  });

  it('a refused request spends nothing', () => {
    const limiter = createPublicLimiter({ perIpPerMinute: 2, perStorePerMinute: 100 }, clock().now);
    limiter.check({ route: 'orders', ip: 'a', storeSlug: 's' });
    limiter.check({ route: 'orders', ip: 'a', storeSlug: 's' });
    for (let i = 0; i < 50; i++) limiter.check({ route: 'orders', ip: 'a', storeSlug: 's' });
    // The store's bucket only paid for the two admitted requests.
    for (let i = 0; i < 98; i++) expect(limiter.check({ route: 'orders', ip: `b${i}`, storeSlug: 's' }).ok).toBe(true);
    expect(limiter.check({ route: 'orders', ip: 'c', storeSlug: 's' }).ok).toBe(false);
  });

  it('answers 429 with Retry-After and counts it', async () => {
    const metrics = createMetrics();
    const ctx = {
      publicLimits: createPublicLimiter({ perIpPerMinute: 1, perStorePerMinute: 0 }, clock().now),
      metrics,
    };
    expect(limitPublicRequest({ ...ctx, clientIp: '10.9.9.9' }, 'redirect', 's')).toBeNull();
    const response = limitPublicRequest({ ...ctx, clientIp: '10.9.9.9' }, 'redirect', 's')!;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(metrics.render([])).toContain('monitor_public_limited_total{route="redirect",limit="ip"} 1');
  });
});
