import type { Kysely } from 'kysely';
import type { OverviewMetric } from './overview-rollup';
import type { Database } from './schema';
import { isAttentionReason, type AttentionReason } from '../app/monitor/status';

/**
 * Reads of the overview: sums over `overview_rollup` (kept by db/overview-rollup.ts) and the open
 * reasons' counts, never a scan of the orders (docs/decisions/0150-overview-rollup.md).
 */

type Q = Kysely<Database>;

export type RollupRange = {
  grain: 'h' | 'd';
  /** First bucket (inclusive) and end bucket (exclusive), in the grain's key format. */
  from: string;
  to: string;
  storeId?: number;
};

export type RollupTotal = { metric: OverviewMetric; dim: string; currency: string; n: number; amount: number };
export type RollupPoint = RollupTotal & { bucket: string };

function scoped(db: Q, range: RollupRange, metrics: readonly OverviewMetric[]) {
  let q = db
    .selectFrom('overview_rollup')
    .where('grain', '=', range.grain)
    .where('metric', 'in', metrics)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to);
  if (range.storeId !== undefined) q = q.where('store_id', '=', range.storeId);
  return q;
}

/** Sums over the range per metric, breakdown and currency (GROUP BY in SQL). */
export async function rollupTotals(
  db: Q,
  range: RollupRange,
  metrics: readonly OverviewMetric[],
): Promise<RollupTotal[]> {
  const rows = await scoped(db, range, metrics)
    .select((eb) => [
      'metric',
      'dim',
      'currency',
      eb.fn.sum<number>('n').as('n'),
      eb.fn.sum<number>('amount').as('amount'),
    ])
    .groupBy(['metric', 'dim', 'currency'])
    .execute();
  return rows.map((r) => ({
    metric: r.metric as OverviewMetric,
    dim: r.dim,
    currency: r.currency,
    n: Number(r.n),
    amount: Number(r.amount),
  }));
}

/** Sums per bucket, metric, breakdown and currency, in bucket order. */
export async function rollupSeries(
  db: Q,
  range: RollupRange,
  metrics: readonly OverviewMetric[],
): Promise<RollupPoint[]> {
  const rows = await scoped(db, range, metrics)
    .select((eb) => [
      'bucket',
      'metric',
      'dim',
      'currency',
      eb.fn.sum<number>('n').as('n'),
      eb.fn.sum<number>('amount').as('amount'),
    ])
    .groupBy(['bucket', 'metric', 'dim', 'currency'])
    .orderBy('bucket')
    .execute();
  return rows.map((r) => ({
    bucket: r.bucket,
    metric: r.metric as OverviewMetric,
    dim: r.dim,
    currency: r.currency,
    n: Number(r.n),
    amount: Number(r.amount),
  }));
}

/** Sums per metric over every day bucket before `beforeDay` (the backlog carried into a range). */
export async function rollupBefore(
  db: Q,
  beforeDay: string,
  metrics: readonly OverviewMetric[],
  storeId?: number,
): Promise<Partial<Record<OverviewMetric, number>>> {
  let q = db
    .selectFrom('overview_rollup')
    .select((eb) => ['metric', eb.fn.sum<number>('n').as('n')])
    .where('grain', '=', 'd')
    .where('metric', 'in', metrics)
    .where('bucket', '<', beforeDay);
  if (storeId !== undefined) q = q.where('store_id', '=', storeId);
  const rows = await q.groupBy('metric').execute();
  return Object.fromEntries(rows.map((r) => [r.metric, Number(r.n)]));
}

/** Whether any order exists at all (the overview's empty state). */
export async function hasAnyOrder(db: Q): Promise<boolean> {
  return (await db.selectFrom('order').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Open attention reasons per reason: opened minus resolved over the whole rollup (as of its last
 * refresh), whatever the number of open reasons; then, for each reason still open, the oldest
 * opening by one walk of attention_reason_open_idx that stops at the first match.
 */
export async function openReasonCounts(
  db: Q,
  storeId?: number,
): Promise<{ reason: AttentionReason; count: number; oldest: string }[]> {
  let q = db
    .selectFrom('overview_rollup')
    .select((eb) => ['dim', 'metric', eb.fn.sum<number>('n').as('n')])
    .where('grain', '=', 'd')
    .where('metric', 'in', ['attention_opened', 'attention_resolved']);
  if (storeId !== undefined) q = q.where('store_id', '=', storeId);
  const sums = await q.groupBy(['dim', 'metric']).execute();
  const open = new Map<string, number>();
  for (const r of sums)
    open.set(r.dim, (open.get(r.dim) ?? 0) + (r.metric === 'attention_opened' ? Number(r.n) : -Number(r.n)));
  const reasons = [...open].flatMap(([reason, n]) =>
    n > 0 && isAttentionReason(reason) ? [[reason, n] as const] : [],
  );
  return Promise.all(
    reasons.map(async ([reason, count]) => {
      let oldest = db
        .selectFrom('attention_reason')
        .select('attention_reason.opened_at')
        .where('attention_reason.reason', '=', reason)
        .where('attention_reason.resolved_at', 'is', null);
      if (storeId !== undefined) {
        oldest = oldest.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('order')
              .select('order.id')
              .whereRef('order.id', '=', 'attention_reason.order_id')
              .where('order.store_id', '=', storeId),
          ),
        );
      }
      const row = await oldest.orderBy('attention_reason.opened_at').limit(1).executeTakeFirst();
      return { reason, count, oldest: row?.opened_at ?? '' };
    }),
  );
}
