import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';

type Q = Kysely<Database>;

/**
 * The indexed aggregates the time-based alert rules and the /metrics gauges read. None of them
 * scans the order table: they read open reasons (a partial index), ambiguous orders (a partial
 * index), the newest evidence per store and the webhook queue.
 */

/** Open reasons of one store opened before `before`: how many, and the oldest. */
export async function oldOpenReasons(
  db: Q,
  storeId: number,
  before: string,
): Promise<{ count: number; oldest: string | null }> {
  const row = await db
    .selectFrom('attention_reason as r')
    .innerJoin('order as o', 'o.id', 'r.order_id')
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('r.opened_at').as('oldest')])
    .where('r.resolved_at', 'is', null)
    .where('r.opened_at', '<', before)
    .where('o.store_id', '=', storeId)
    .executeTakeFirst();
  return { count: Number(row?.n ?? 0), oldest: (row?.oldest as string | null | undefined) ?? null };
}

/** The oldest open reason of each store (the gauge). */
export async function oldestOpenReasonByStore(db: Q): Promise<{ storeId: number; oldest: string }[]> {
  const rows = await db
    .selectFrom('attention_reason as r')
    .innerJoin('order as o', 'o.id', 'r.order_id')
    .select(['o.store_id', (eb) => eb.fn.min('r.opened_at').as('oldest')])
    .where('r.resolved_at', 'is', null)
    .groupBy('o.store_id')
    .execute();
  return rows.map((r) => ({ storeId: r.store_id, oldest: r.oldest as string }));
}

/** Ambiguous orders (any reason open) per store. */
export async function backlogByStore(db: Q): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('order')
    .select(['store_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where(sql<boolean>`open_reason_count > 0`)
    .groupBy('store_id')
    .execute();
  return new Map(rows.map((r) => [r.store_id, Number(r.n)]));
}

export async function lastWebhookAt(db: Q, storeId: number): Promise<string | null> {
  const row = await db
    .selectFrom('webhook_delivery')
    .select((eb) => eb.fn.max('received_at').as('at'))
    .where('store_id', '=', storeId)
    .executeTakeFirst();
  return (row?.at as string | null | undefined) ?? null;
}

/**
 * The first redirect of the store after `after` that may stand for a payment (buyers came back;
 * did a webhook follow?). Redirects that report a failure are left out: Iamport sends no webhook
 * when an ordinary payment fails, so a store whose last buyer gave up is not silent.
 */
export async function firstRedirectAfter(db: Q, storeId: number, after: string): Promise<string | null> {
  const row = await db
    .selectFrom('redirect_hit')
    .select((eb) => eb.fn.min('received_at').as('at'))
    .where('store_id', '=', storeId)
    .where('received_at', '>', after)
    .where((eb) => eb.or([eb('flag_value', 'is', null), eb('flag_value', '!=', 'false')]))
    .where('error_code', 'is', null)
    .executeTakeFirst();
  return (row?.at as string | null | undefined) ?? null;
}

/** The oldest webhook job still waiting or running, per store (verification lag). */
export async function oldestQueuedWebhookJob(db: Q): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('webhook_job')
    .select(['store_id', (eb) => eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', ['queued', 'running'])
    .groupBy('store_id')
    .execute();
  return new Map(rows.map((r) => [r.store_id, r.oldest as string]));
}
