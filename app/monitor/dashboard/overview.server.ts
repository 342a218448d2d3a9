import { z } from 'zod';
import {
  hoursOfLocalDay,
  rebuildOverviewRollup,
  refreshOverviewRollup,
  WEBHOOK_DELAY_BUCKETS,
  type RefreshResult,
  type RollupDeps,
  type WebhookDelayBucket,
} from '../../../db/overview-rollup';
import {
  hasAnyOrder,
  openReasonCounts,
  rollupBefore,
  rollupSeries,
  rollupTotals,
  type RollupRange,
} from '../../../db/overview';
import type { Db } from '../../../db/connection';
import type { AppContext } from '../../context.server';
import type { PaymentStatus } from '../../iamport/types';
import {
  FLAG_KINDS,
  isOrderStatus,
  ORDER_STATUSES,
  VERIFICATION_OUTCOMES,
  type AttentionReason,
  type FlagKind,
  type OrderStatus,
  type VerificationOutcome,
} from '../status';
import { listAllStores } from '../stores/stores.server';

/**
 * The overview page's data (docs/decisions/0150-overview-rollup.md): everything is summed in SQL
 * from the maintained rollup, brought up to date first (at most every REFRESH_EVERY_MS), and
 * shaped here into the few hundred points the charts draw. Days are days of the display time
 * zone (KST, which has no daylight saving time), like every time the dashboard shows.
 */

type OverviewDeps = Pick<AppContext, 'db' | 'config' | 'now' | 'log'>;

/** KST is UTC+9 all year; the rollup's days are KST days. */
export const DISPLAY_OFFSET_MINUTES = 9 * 60;
/** The overview recomputes changed hours at most this often; between refreshes it reads the rollup as is. */
export const REFRESH_EVERY_MS = 15_000;
/** Ranges up to this many days are drawn per hour, longer ones per day. */
export const HOURLY_MAX_DAYS = 3;
export const MAX_RANGE_DAYS = 732;
export const DEFAULT_RANGE_DAYS = 30;
export const RANGE_PRESETS = [1, 7, 30, 90, 365] as const;

const PAID: PaymentStatus = 'paid';
const DAY_MS = 86_400_000;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((v) => new Date(`${v}T00:00:00.000Z`).toISOString().startsWith(v));
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const overviewQuerySchema = z.object({
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
  store: z.preprocess(blank, z.string().trim().max(40).optional()),
});

export type OverviewQuery = { from?: string; to?: string; store?: string };

export type OverviewSeriesPoint = { bucket: string } & Record<OrderStatus, number>;
export type OverviewBacklogPoint = { bucket: string; open: number; opened: number; resolved: number };

export type Overview = {
  range: {
    from: string;
    to: string;
    days: number;
    grain: 'hour' | 'day';
    /** `from`/`to` of each preset (the last N days up to today). */
    presets: { days: number; from: string; to: string }[];
    today: string;
    /** The URL's range could not be used: the default is shown instead. */
    invalid: boolean;
  };
  stores: { slug: string; name: string }[];
  /** The selected store's slug; null for every store. */
  store: string | null;
  /** The URL named a store that does not exist: every store is shown instead. */
  storeUnknown: boolean;
  /** Why there is nothing to chart at all, if so. */
  empty: 'no_stores' | 'no_orders' | null;
  /** When the rollup was last brought up to date. */
  asOf: string | null;
  totals: {
    orders: number;
    byStatus: { status: OrderStatus; orders: number }[];
    amounts: { currency: string; amount: number; paid: number }[];
  };
  /** The currency the amount chart shows (the one with the most orders in the range). */
  currency: string | null;
  orders: OverviewSeriesPoint[];
  amounts: OverviewSeriesPoint[];
  verification: { outcome: VerificationOutcome; count: number }[];
  webhookDelay: { bucket: WebhookDelayBucket; count: number }[];
  paidWithoutWebhook: number;
  redirectFlags: { kind: FlagKind; count: number }[];
  attention: { open: { reason: AttentionReason; count: number; oldest: string }[]; backlog: OverviewBacklogPoint[] };
};

function localDay(ms: number): string {
  return new Date(ms + DISPLAY_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);
}

function addDays(dayKey: string, n: number): string {
  return new Date(Date.parse(`${dayKey}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00.000Z`) - Date.parse(`${from}T00:00:00.000Z`)) / DAY_MS) + 1;
}

/** The range to show: the URL's when usable (swapped when reversed), else the last DEFAULT_RANGE_DAYS days. */
export function resolveRange(query: OverviewQuery, now: Date): Overview['range'] {
  const today = localDay(now.getTime());
  const presets = RANGE_PRESETS.map((days) => ({ days, from: addDays(today, 1 - days), to: today }));
  const fallback = { from: addDays(today, 1 - DEFAULT_RANGE_DAYS), to: today };
  const parsed = overviewQuerySchema.safeParse(query);
  let invalid = !parsed.success;
  let { from, to } = fallback;
  if (parsed.success && (parsed.data.from || parsed.data.to)) {
    from = parsed.data.from ?? parsed.data.to!;
    to = parsed.data.to ?? today;
    if (from > to) [from, to] = [to, from];
    if (daysBetween(from, to) > MAX_RANGE_DAYS) {
      invalid = true;
      ({ from, to } = fallback);
    }
  }
  const days = daysBetween(from, to);
  return { from, to, days, grain: days <= HOURLY_MAX_DAYS ? 'hour' : 'day', presets, today, invalid };
}

/** Every bucket key of the range, in the display zone: `YYYY-MM-DD`, or `YYYY-MM-DDTHH` per hour. */
function bucketKeys(range: Overview['range']): string[] {
  const keys: string[] = [];
  for (let d = 0; d < range.days; d++) {
    const dayKey = addDays(range.from, d);
    if (range.grain === 'day') keys.push(dayKey);
    else for (let h = 0; h < 24; h++) keys.push(`${dayKey}T${String(h).padStart(2, '0')}`);
  }
  return keys;
}

/** An hour bucket of the rollup (UTC) as the display zone's hour key. */
function localHourKey(utcHour: string): string {
  return new Date(Date.parse(`${utcHour}:00:00.000Z`) + DISPLAY_OFFSET_MINUTES * 60_000).toISOString().slice(0, 13);
}

function rollupDeps(deps: OverviewDeps): RollupDeps {
  return {
    db: deps.db,
    dialect: deps.config.database.dialect,
    offsetMinutes: DISPLAY_OFFSET_MINUTES,
    paidStatus: PAID,
  };
}

/** Brings the rollup up to date unless that happened less than `minIntervalMs` ago (default: always). */
export function refreshOverview(deps: OverviewDeps, minIntervalMs = 0): Promise<RefreshResult> {
  return refreshOverviewRollup(rollupDeps(deps), { now: deps.now(), minIntervalMs });
}

/** Recomputes the whole rollup (after back-dated writes such as the seed). */
export function rebuildOverview(deps: OverviewDeps): Promise<RefreshResult> {
  return rebuildOverviewRollup(rollupDeps(deps), deps.now());
}

function zeroStatuses(): Record<OrderStatus, number> {
  return Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
}

/**
 * The reads the overview makes for a resolved range (and store): totals per day, the series per
 * day or per local hour, the attention backlog before the range and the reasons open now. The
 * dashboard benchmark measures exactly these.
 */
export async function readOverviewRollup(db: Db, range: Overview['range'], storeId: number | undefined) {
  const dayRange: RollupRange = { grain: 'd', from: range.from, to: addDays(range.to, 1), storeId };
  const seriesRange: RollupRange =
    range.grain === 'day'
      ? dayRange
      : {
          grain: 'h',
          from: hoursOfLocalDay(range.from, DISPLAY_OFFSET_MINUTES).from,
          to: hoursOfLocalDay(range.to, DISPLAY_OFFSET_MINUTES).to,
          storeId,
        };
  const [anyOrder, totals, series, before, open] = await Promise.all([
    hasAnyOrder(db),
    rollupTotals(db, dayRange, ['order', 'paid_no_webhook', 'verification', 'redirect', 'webhook_delay']),
    rollupSeries(db, seriesRange, ['order', 'attention_opened', 'attention_resolved']),
    rollupBefore(db, range.from, ['attention_opened', 'attention_resolved'], storeId),
    openReasonCounts(db, storeId),
  ]);
  return { anyOrder, totals, series, before, open };
}

/**
 * Everything the overview shows for a range and store. Refreshes the rollup first (at most every
 * REFRESH_EVERY_MS); a refresh that fails is logged and the last rollup is shown.
 */
export async function getOverview(deps: OverviewDeps, query: OverviewQuery): Promise<Overview> {
  const range = resolveRange(query, deps.now());
  const stores = await listAllStores(deps);
  const requested = overviewQuerySchema.safeParse(query).data?.store;
  const selected = requested ? stores.find((s) => s.slug === requested) : undefined;

  let asOf: string | null = null;
  try {
    asOf = (await refreshOverview(deps, REFRESH_EVERY_MS)).watermark;
  } catch (error) {
    deps.log.warn({ err: error }, 'overview rollup refresh failed; showing the last figures');
  }

  const { anyOrder, totals, series, before, open } = await readOverviewRollup(deps.db, range, selected?.id);

  // Counts by status and amounts by currency over the range.
  const byStatus = zeroStatuses();
  const currencies = new Map<string, { orders: number; amount: number; paid: number }>();
  const count = (metric: string, dim: string) =>
    totals.filter((t) => t.metric === metric && t.dim === dim).reduce((n, t) => n + t.n, 0);
  for (const t of totals.filter((x) => x.metric === 'order')) {
    if (isOrderStatus(t.dim)) byStatus[t.dim] += t.n;
    const c = currencies.get(t.currency) ?? { orders: 0, amount: 0, paid: 0 };
    c.orders += t.n;
    c.amount += t.amount;
    if (t.dim === 'paid') c.paid += t.amount;
    currencies.set(t.currency, c);
  }
  const amounts = [...currencies].sort((a, b) => b[1].orders - a[1].orders || a[0].localeCompare(b[0]));
  const currency = amounts[0]?.[0] ?? null;

  // Series: one point per bucket, zeros included, so the axis is continuous.
  const keys = bucketKeys(range);
  const orders = new Map(keys.map((k) => [k, { bucket: k, ...zeroStatuses() }]));
  const amountPoints = new Map(keys.map((k) => [k, { bucket: k, ...zeroStatuses() }]));
  const flow = new Map(keys.map((k) => [k, { opened: 0, resolved: 0 }]));
  for (const p of series) {
    const key = range.grain === 'day' ? p.bucket : localHourKey(p.bucket);
    if (p.metric === 'order') {
      const status = p.dim;
      const point = orders.get(key);
      if (point && isOrderStatus(status)) point[status] += p.n;
      const amountPoint = amountPoints.get(key);
      if (amountPoint && isOrderStatus(status) && p.currency === currency) amountPoint[status] += p.amount;
    } else {
      const f = flow.get(key);
      if (f && p.metric === 'attention_opened') f.opened += p.n;
      if (f && p.metric === 'attention_resolved') f.resolved += p.n;
    }
  }
  let backlogOpen = (before.attention_opened ?? 0) - (before.attention_resolved ?? 0);
  const backlog = keys.map((bucket) => {
    const f = flow.get(bucket)!;
    backlogOpen += f.opened - f.resolved;
    return { bucket, open: backlogOpen, opened: f.opened, resolved: f.resolved };
  });

  return {
    range,
    stores: stores.map((s) => ({ slug: s.slug, name: s.name })),
    store: selected?.slug ?? null,
    storeUnknown: requested !== undefined && !selected,
    empty: stores.length === 0 ? 'no_stores' : anyOrder ? null : 'no_orders',
    asOf,
    totals: {
      orders: Object.values(byStatus).reduce((a, b) => a + b, 0),
      byStatus: ORDER_STATUSES.map((status) => ({ status, orders: byStatus[status] })),
      amounts: amounts.map(([c, v]) => ({ currency: c, amount: v.amount, paid: v.paid })),
    },
    currency,
    orders: [...orders.values()],
    amounts: [...amountPoints.values()],
    verification: VERIFICATION_OUTCOMES.map((outcome) => ({ outcome, count: count('verification', outcome) })),
    webhookDelay: WEBHOOK_DELAY_BUCKETS.map((b) => ({ bucket: b.key, count: count('webhook_delay', b.key) })),
    paidWithoutWebhook: count('paid_no_webhook', ''),
    redirectFlags: FLAG_KINDS.map((kind) => ({ kind, count: count('redirect', kind) })),
    attention: {
      open: open
        .map((r) => ({ reason: r.reason, count: r.count, oldest: r.oldest }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      backlog,
    },
  };
}
