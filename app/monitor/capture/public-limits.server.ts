import type { LimitsConfig } from '../../config.server';
import { AppError, errorResponse } from '../../errors';
import { isIamportWebhookIp } from '../../iamport/webhook-ips';
import type { Metrics } from '../../metrics.server';

/**
 * Per-client-address and per-store limits on the public routes (the redirect, the webhook and the
 * orders API): token buckets in this process, refilled continuously, `perMinute` deep. Past
 * either limit the answer is 429 with `Retry-After`. Iamport's published webhook addresses are
 * never limited (a burst of real notifications must never be refused). The client address is the
 * request context's `clientIp` (proxy-aware where TRUST_PROXY says so).
 *
 * In-process on purpose: it runs before anything touches the database, so a flood costs no
 * writes; with N app instances the effective limit is N times the setting. The budget that must
 * hold across instances (gateway calls for unregistered orders) is in the database
 * (unknown-evidence.server.ts).
 */

export type PublicRoute = 'redirect' | 'webhook' | 'orders';
export type LimitVerdict = { ok: true } | { ok: false; limit: 'ip' | 'store'; retryAfterSeconds: number };

export type PublicLimiter = {
  check: (input: { route: PublicRoute; ip: string; storeSlug: string }) => LimitVerdict;
};

/** At most this many buckets per kind are remembered; the least recently used go first. */
const MAX_BUCKETS = 50_000;

type Bucket = { tokens: number; at: number };

class Buckets {
  private readonly map = new Map<string, Bucket>();
  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number,
  ) {}

  /** Seconds until a token is available (0: available now); refills the bucket first. */
  waitFor(key: string): number {
    if (this.perMinute <= 0) return 0;
    const bucket = this.refill(key);
    return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 60) / this.perMinute);
  }

  take(key: string): void {
    if (this.perMinute <= 0) return;
    this.refill(key).tokens -= 1;
  }

  private refill(key: string): Bucket {
    const now = this.clock();
    let bucket = this.map.get(key);
    if (bucket) {
      this.map.delete(key);
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
      bucket.at = now;
    } else {
      bucket = { tokens: this.perMinute, at: now };
      if (this.map.size >= MAX_BUCKETS) this.map.delete(this.map.keys().next().value as string);
    }
    this.map.set(key, bucket);
    return bucket;
  }
}

export function createPublicLimiter(
  config: Pick<LimitsConfig, 'perIpPerMinute' | 'perStorePerMinute'>,
  clock: () => number = () => performance.now(),
): PublicLimiter {
  const byIp = new Buckets(config.perIpPerMinute, clock);
  const byStore = new Buckets(config.perStorePerMinute, clock);
  return {
    check({ route, ip, storeSlug }) {
      if (isIamportWebhookIp(ip)) return { ok: true };
      const ipWait = byIp.waitFor(ip);
      if (ipWait > 0) return { ok: false, limit: 'ip', retryAfterSeconds: ipWait };
      const storeKey = `${route}:${storeSlug.slice(0, 100)}`;
      const storeWait = byStore.waitFor(storeKey);
      if (storeWait > 0) return { ok: false, limit: 'store', retryAfterSeconds: storeWait };
      byIp.take(ip);
      byStore.take(storeKey);
      return { ok: true };
    },
  };
}

/**
 * For a public route: null when the request may go on, else the 429 to answer (with
 * `Retry-After`), counted in `monitor_public_limited_total`.
 */
export function limitPublicRequest(
  ctx: { publicLimits: PublicLimiter; metrics: Metrics; clientIp: string },
  route: PublicRoute,
  storeSlug: string,
): Response | null {
  const verdict = ctx.publicLimits.check({ route, ip: ctx.clientIp, storeSlug });
  if (verdict.ok) return null;
  ctx.metrics.inc('monitor_public_limited_total', { route, limit: verdict.limit });
  const message =
    verdict.limit === 'ip'
      ? `too many requests from this address; retry after ${verdict.retryAfterSeconds} s`
      : `too many requests for this store; retry after ${verdict.retryAfterSeconds} s`;
  return errorResponse(new AppError('rate_limited', message), {
    'Retry-After': String(verdict.retryAfterSeconds),
    'Cache-Control': 'no-store',
  });
}
