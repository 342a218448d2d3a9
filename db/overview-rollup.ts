import { sql, type Kysely, type RawBuilder } from 'kysely';
import { hourBucket, lockOverviewRefresh, secondsBetween, type Dialect } from './dialect';
import type { Database } from './schema';
import { getSetting, putSetting } from './settings';

/**
 * Maintenance of the overview's numbers (docs/decisions/0150-overview-rollup.md; the reads are in
 * db/overview.ts). Nothing scans orders at read time: the overview reads `overview_rollup`,
 * counts per UTC hour (grain `h`) and per day of the display time zone (grain `d`), which
 * `refreshOverviewRollup` keeps current by recomputing only the hours that changed since its
 * last run:
 * - every hour from (last refresh − slack) to now, for every source (evidence, verifications and
 *   reasons are written with the time of writing, so what is new lands there);
 * - the creation hours of older orders updated since then (a late status change), and the
 *   receipt hours of their webhook deliveries (their `paid_at` moved the delay).
 * A recomputation is delete-then-insert of whole buckets from the source tables, so running it
 * twice is harmless; the slack covers transactions that committed after the last refresh with
 * an earlier timestamp.
 */

type Q = Kysely<Database>;

export const OVERVIEW_METRICS = [
  /** Orders by creation hour, per status and currency, with their amounts. */
  'order',
  /** Orders with a `paid_at` and no accepted `paid` webhook, by creation hour. */
  'paid_no_webhook',
  /** Verifications by decision hour, per outcome. */
  'verification',
  /** Redirect hits by receipt hour, per flag kind. */
  'redirect',
  /** First `paid` webhook deliveries by receipt hour, per delay bucket after the order's `paid_at`. */
  'webhook_delay',
  /** Attention reasons by the hour they opened / were resolved, per reason. */
  'attention_opened',
  'attention_resolved',
] as const;
export type OverviewMetric = (typeof OVERVIEW_METRICS)[number];

/** Upper bounds (exclusive, seconds) of the webhook delay buckets; `early` is a webhook before `paid_at`. */
export const WEBHOOK_DELAY_BUCKETS = [
  { key: 'early', below: 0 },
  { key: 's5', below: 5 },
  { key: 's30', below: 30 },
  { key: 'm1', below: 60 },
  { key: 'm5', below: 300 },
  { key: 'm30', below: 1800 },
  { key: 'h1', below: 3600 },
  { key: 'h24', below: 86_400 },
  { key: 'later', below: Number.POSITIVE_INFINITY },
] as const;
export type WebhookDelayBucket = (typeof WEBHOOK_DELAY_BUCKETS)[number]['key'];

/** Bump when a metric's definition changes: the next refresh rebuilds everything. */
const ROLLUP_VERSION = 2;
const STATE_KEY = 'overview.rollup';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A full rebuild works through the history in chunks this long, each its own transaction. */
const REBUILD_CHUNK_MS = 7 * DAY_MS;

export type RollupDeps = {
  db: Q;
  dialect: Dialect;
  /** The display time zone's offset from UTC, a whole number of hours (KST: +540). */
  offsetMinutes: number;
  /** The gateway status string of a paid payment (from app/iamport/types.ts). */
  paidStatus: string;
};

type RollupState = { version: number; offsetMinutes: number; watermark: string };

// ---------------------------------------------------------------------------------------------
// Buckets

/** `YYYY-MM-DDTHH` of a time in ms. */
export function hourKeyOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

function hourStartMs(hourKey: string): number {
  return Date.parse(`${hourKey}:00:00.000Z`);
}

/** The display-zone day (`YYYY-MM-DD`) an hour bucket belongs to. */
export function localDayOfHour(hourKey: string, offsetMinutes: number): string {
  return new Date(hourStartMs(hourKey) + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** The UTC hour buckets [from, to) that make up a display-zone day. */
export function hoursOfLocalDay(day: string, offsetMinutes: number): { from: string; to: string } {
  const start = Date.parse(`${day}T00:00:00.000Z`) - offsetMinutes * 60_000;
  return { from: hourKeyOf(start), to: hourKeyOf(start + DAY_MS) };
}

/** Sorted distinct hour keys folded into half-open ranges of consecutive hours. */
function hourRanges(hours: Iterable<string>): { from: string; to: string }[] {
  const sorted = [...new Set(hours)].sort();
  const ranges: { from: string; to: string }[] = [];
  for (const hour of sorted) {
    const next = hourKeyOf(hourStartMs(hour) + HOUR_MS);
    const last = ranges[ranges.length - 1];
    if (last && last.to === hour) last.to = next;
    else ranges.push({ from: hour, to: next });
  }
  return ranges;
}

// ---------------------------------------------------------------------------------------------
// Recomputing hours

function delayBucketCase(dialect: Dialect): RawBuilder<string> {
  const seconds = secondsBetween(dialect, 'w.received_at', 'o.paid_at');
  const arms = WEBHOOK_DELAY_BUCKETS.filter((b) => Number.isFinite(b.below)).map(
    (b) => sql`when ${seconds} < ${sql.lit(b.below)} then ${sql.lit(b.key)}`,
  );
  return sql<string>`case ${sql.join(arms, sql` `)} else ${sql.lit('later')} end`;
}

/** The INSERT … SELECT that computes one metric's hour rows for source times in [from, to). */
function hourInsert(deps: RollupDeps, metric: OverviewMetric, from: string, to: string): RawBuilder<unknown> {
  const into = sql`insert into overview_rollup (grain, metric, bucket, store_id, dim, currency, n, amount)`;
  const m = sql.lit(metric);
  switch (metric) {
    case 'order': {
      const hour = hourBucket('o.created_at');
      return sql`${into}
        select 'h', ${m}, ${hour}, o.store_id, o.status, o.currency, count(*), sum(coalesce(o.paid_amount, o.expected_amount, 0))
        from "order" o where o.created_at >= ${from} and o.created_at < ${to}
        group by ${hour}, o.store_id, o.status, o.currency`;
    }
    case 'paid_no_webhook': {
      const hour = hourBucket('o.created_at');
      return sql`${into}
        select 'h', ${m}, ${hour}, o.store_id, '', '', count(*), 0
        from "order" o
        where o.created_at >= ${from} and o.created_at < ${to} and o.paid_at is not null
          and not exists (
            select 1 from webhook_delivery w
            where w.store_id = o.store_id and w.merchant_uid = o.merchant_uid and w.status = ${deps.paidStatus} and w.answer_status = 200)
        group by ${hour}, o.store_id`;
    }
    case 'verification': {
      const hour = hourBucket('v.decided_at');
      return sql`${into}
        select 'h', ${m}, ${hour}, o.store_id, v.outcome, '', count(*), 0
        from verification v inner join "order" o on o.id = v.order_id
        where v.decided_at >= ${from} and v.decided_at < ${to}
        group by ${hour}, o.store_id, v.outcome`;
    }
    case 'redirect': {
      const hour = hourBucket('r.received_at');
      return sql`${into}
        select 'h', ${m}, ${hour}, coalesce(r.store_id, 0), r.flag_kind, '', count(*), 0
        from redirect_hit r where r.received_at >= ${from} and r.received_at < ${to}
        group by ${hour}, coalesce(r.store_id, 0), r.flag_kind`;
    }
    case 'webhook_delay': {
      // Each accepted first delivery (not a duplicate) saying `paid`, against its order's paid_at.
      const hour = hourBucket('w.received_at');
      const bucket = delayBucketCase(deps.dialect);
      return sql`${into}
        select 'h', ${m}, ${hour}, w.store_id, ${bucket}, '', count(*), 0
        from webhook_delivery w inner join "order" o on o.store_id = w.store_id and o.merchant_uid = w.merchant_uid
        where w.received_at >= ${from} and w.received_at < ${to}
          and w.answer_status = 200 and w.duplicate_of is null and w.status = ${deps.paidStatus} and o.paid_at is not null
        group by ${hour}, w.store_id, ${bucket}`;
    }
    case 'attention_opened':
    case 'attention_resolved': {
      const column = metric === 'attention_opened' ? 'a.opened_at' : 'a.resolved_at';
      const hour = hourBucket(column);
      return sql`${into}
        select 'h', ${m}, ${hour}, o.store_id, a.reason, '', count(*), 0
        from attention_reason a inner join "order" o on o.id = a.order_id
        where ${sql.ref(column)} >= ${from} and ${sql.ref(column)} < ${to}
        group by ${hour}, o.store_id, a.reason`;
    }
  }
}

async function recomputeHours(
  deps: RollupDeps,
  db: Q,
  metric: OverviewMetric,
  range: { from: string; to: string },
): Promise<void> {
  await db
    .deleteFrom('overview_rollup')
    .where('grain', '=', 'h')
    .where('metric', '=', metric)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to)
    .execute();
  await hourInsert(deps, metric, range.from, range.to).execute(db);
}

/** Day rows are sums of the day's hour rows: recomputed per display-zone day, for every metric. */
async function recomputeDay(deps: RollupDeps, db: Q, day: string): Promise<void> {
  const hours = hoursOfLocalDay(day, deps.offsetMinutes);
  await db
    .deleteFrom('overview_rollup')
    .where('grain', '=', 'd')
    .where('bucket', '=', day)
    .where('metric', 'in', OVERVIEW_METRICS)
    .execute();
  await sql`insert into overview_rollup (grain, metric, bucket, store_id, dim, currency, n, amount)
    select 'd', metric, ${day}, store_id, dim, currency, sum(n), sum(amount)
    from overview_rollup
    where grain = 'h' and metric in (${sql.join(OVERVIEW_METRICS)}) and bucket >= ${hours.from} and bucket < ${hours.to}
    group by metric, store_id, dim, currency`.execute(db);
}

// ---------------------------------------------------------------------------------------------
// Refresh

async function readState(db: Q): Promise<RollupState | null> {
  const raw = await getSetting(db, STATE_KEY);
  if (!raw) return null;
  try {
    const state = JSON.parse(raw) as Partial<RollupState>;
    if (
      typeof state.version === 'number' &&
      typeof state.offsetMinutes === 'number' &&
      typeof state.watermark === 'string'
    )
      return state as RollupState;
  } catch {
    // A state we cannot read is rebuilt.
  }
  return null;
}

export type RefreshResult = {
  /** `none`: refreshed recently enough; `incremental`: changed hours only; `full`: everything rebuilt. */
  kind: 'none' | 'incremental' | 'full';
  hours: number;
  days: number;
  /** The time the rollup is complete up to. */
  watermark: string | null;
};

/**
 * Brings the rollup up to `now`: nothing when the last refresh is younger than `minIntervalMs`,
 * a full rebuild when there is no usable state (first run, new definition, other display zone),
 * else the changed hours only (see the module comment). Safe to call from several processes.
 */
export async function refreshOverviewRollup(
  deps: RollupDeps,
  options: { now: Date; minIntervalMs?: number; slackMs?: number },
): Promise<RefreshResult> {
  const state = await readState(deps.db);
  if (!state || state.version !== ROLLUP_VERSION || state.offsetMinutes !== deps.offsetMinutes) {
    return rebuildOverviewRollup(deps, options.now);
  }
  const nowMs = options.now.getTime();
  const minInterval = options.minIntervalMs ?? 0;
  if (nowMs - Date.parse(state.watermark) < minInterval && nowMs >= Date.parse(state.watermark)) {
    return { kind: 'none', hours: 0, days: 0, watermark: state.watermark };
  }
  const slack = options.slackMs ?? 5 * 60_000;

  return deps.db.transaction().execute(async (trx) => {
    await lockOverviewRefresh(trx, deps.dialect);
    // Another process may have refreshed while we waited for the lock.
    const current = (await readState(trx)) ?? state;
    const since = new Date(Math.min(Date.parse(current.watermark), nowMs) - slack).toISOString();
    const recent = { from: since.slice(0, 13), to: hourKeyOf(Math.max(nowMs, Date.parse(since)) + HOUR_MS) };

    // Orders changed since `since` (one range on order_updated_idx; every other condition is
    // applied here, so no planner can prefer a range that spans the whole table).
    const changed = await trx
      .selectFrom('order')
      .select(['store_id', 'merchant_uid', 'created_at'])
      .where('updated_at', '>=', since)
      .execute();
    const lateOrderHours = changed.filter((o) => o.created_at < recent.from).map((o) => o.created_at.slice(0, 13));
    const lateDeliveryHours: string[] = [];
    const byStore = new Map<number, string[]>();
    for (const o of changed) byStore.set(o.store_id, [...(byStore.get(o.store_id) ?? []), o.merchant_uid]);
    for (const [storeId, uids] of byStore) {
      for (let i = 0; i < uids.length; i += 500) {
        const deliveries = await trx
          .selectFrom('webhook_delivery')
          .select('received_at')
          .where('store_id', '=', storeId)
          .where('merchant_uid', 'in', uids.slice(i, i + 500))
          .execute();
        for (const d of deliveries) if (d.received_at < recent.from) lateDeliveryHours.push(d.received_at.slice(0, 13));
      }
    }

    const touched = new Set<string>();
    const each = async (metric: OverviewMetric, ranges: { from: string; to: string }[]) => {
      for (const range of ranges) {
        await recomputeHours(deps, trx, metric, range);
        for (let ms = hourStartMs(range.from); ms < hourStartMs(range.to); ms += HOUR_MS) touched.add(hourKeyOf(ms));
      }
    };
    for (const metric of OVERVIEW_METRICS) await each(metric, [recent]);
    const lateOrders = hourRanges(lateOrderHours);
    await each('order', lateOrders);
    await each('paid_no_webhook', lateOrders);
    await each('webhook_delay', hourRanges(lateDeliveryHours));

    const days = new Set([...touched].map((h) => localDayOfHour(h, deps.offsetMinutes)));
    for (const day of [...days].sort()) await recomputeDay(deps, trx, day);

    const watermark = options.now.toISOString();
    await putSetting(
      trx,
      STATE_KEY,
      JSON.stringify({ version: ROLLUP_VERSION, offsetMinutes: deps.offsetMinutes, watermark } satisfies RollupState),
      watermark,
    );
    return { kind: 'incremental' as const, hours: touched.size, days: days.size, watermark };
  });
}

/**
 * Recomputes the whole rollup from the source tables, a week of history per transaction so
 * other writers are never held up for long. Whatever is written meanwhile is picked up by the
 * next incremental refresh (the watermark is the time the rebuild started).
 */
export async function rebuildOverviewRollup(deps: RollupDeps, now: Date): Promise<RefreshResult> {
  const startedAt = now.toISOString();
  const bounds = await sourceTimeBounds(deps.db);
  await deps.db.transaction().execute(async (trx) => {
    await lockOverviewRefresh(trx, deps.dialect);
    await trx.deleteFrom('overview_rollup').execute();
    // No usable state while the rebuild runs: a concurrent refresh rebuilds too rather than trust half a rollup.
    await trx.deleteFrom('app_setting').where('key', '=', STATE_KEY).execute();
  });
  let hours = 0;
  const days = new Set<string>();
  if (bounds) {
    const first = hourStartMs(bounds.min.slice(0, 13));
    const end = Math.max(hourStartMs(bounds.max.slice(0, 13)), hourStartMs(startedAt.slice(0, 13))) + HOUR_MS;
    for (let chunk = first; chunk < end; chunk += REBUILD_CHUNK_MS) {
      const range = { from: hourKeyOf(chunk), to: hourKeyOf(Math.min(chunk + REBUILD_CHUNK_MS, end)) };
      await deps.db.transaction().execute(async (trx) => {
        await lockOverviewRefresh(trx, deps.dialect);
        for (const metric of OVERVIEW_METRICS) await recomputeHours(deps, trx, metric, range);
      });
      for (let ms = hourStartMs(range.from); ms < hourStartMs(range.to); ms += HOUR_MS) {
        hours++;
        days.add(localDayOfHour(hourKeyOf(ms), deps.offsetMinutes));
      }
    }
    const sorted = [...days].sort();
    for (let i = 0; i < sorted.length; i += 31) {
      await deps.db.transaction().execute(async (trx) => {
        await lockOverviewRefresh(trx, deps.dialect);
        for (const day of sorted.slice(i, i + 31)) await recomputeDay(deps, trx, day);
      });
    }
  }
  await putSetting(
    deps.db,
    STATE_KEY,
    JSON.stringify({
      version: ROLLUP_VERSION,
      offsetMinutes: deps.offsetMinutes,
      watermark: startedAt,
    } satisfies RollupState),
    startedAt,
  );
  return { kind: 'full', hours, days: days.size, watermark: startedAt };
}

/** The earliest and latest time any source row carries (each an index end), or null when all are empty. */
async function sourceTimeBounds(db: Q): Promise<{ min: string; max: string } | null> {
  const rows = await Promise.all([
    db
      .selectFrom('order')
      .select((eb) => [eb.fn.min('created_at').as('lo'), eb.fn.max('created_at').as('hi')])
      .executeTakeFirst(),
    db
      .selectFrom('verification')
      .select((eb) => [eb.fn.min('decided_at').as('lo'), eb.fn.max('decided_at').as('hi')])
      .executeTakeFirst(),
    db
      .selectFrom('redirect_hit')
      .select((eb) => [eb.fn.min('received_at').as('lo'), eb.fn.max('received_at').as('hi')])
      .executeTakeFirst(),
    db
      .selectFrom('webhook_delivery')
      .select((eb) => [eb.fn.min('received_at').as('lo'), eb.fn.max('received_at').as('hi')])
      .executeTakeFirst(),
    db
      .selectFrom('attention_reason')
      .select((eb) => [eb.fn.min('opened_at').as('lo'), eb.fn.max('opened_at').as('hi')])
      .executeTakeFirst(),
    db
      .selectFrom('attention_reason')
      .select((eb) => [eb.fn.min('resolved_at').as('lo'), eb.fn.max('resolved_at').as('hi')])
      .executeTakeFirst(),
  ]);
  const los = rows.map((r) => r?.lo).filter((v): v is string => typeof v === 'string');
  const his = rows.map((r) => r?.hi).filter((v): v is string => typeof v === 'string');
  if (los.length === 0) return null;
  return { min: los.sort()[0]!, max: his.sort()[his.length - 1]! };
}
