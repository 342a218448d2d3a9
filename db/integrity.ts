import { sql } from 'kysely';
import type { Db } from './connection';
import type { UnverifiedEvidenceRow } from './integrity-schema';

/**
 * Queries that bound the cost of unauthenticated evidence (migration 0050). Every write here is
 * one statement (an upsert), so concurrent requests and several app instances share the counts
 * without a lock.
 */

type Q = Db;

/**
 * Takes one unit from a fixed window's budget: resolves true when the window had room (and counts
 * the unit), false when it was full. One upsert, atomic in both dialects (`ON CONFLICT … WHERE`).
 */
export async function takeFromWindow(
  db: Q,
  input: { scope: string; key: string; windowStart: string; limit: number },
): Promise<boolean> {
  if (input.limit <= 0) return false;
  const row = await db
    .insertInto('rate_window')
    .values({ scope: input.scope, key: input.key, window_start: input.windowStart, count: 1 })
    .onConflict((oc) =>
      oc
        .columns(['scope', 'key', 'window_start'])
        .doUpdateSet({ count: sql<number>`rate_window.count + 1` })
        .where('rate_window.count', '<', input.limit),
    )
    .returning('count')
    .executeTakeFirst();
  return row !== undefined;
}

/** How many units a window has spent (0 when none). */
export async function windowCount(db: Q, input: { scope: string; key: string; windowStart: string }): Promise<number> {
  const row = await db
    .selectFrom('rate_window')
    .select('count')
    .where('scope', '=', input.scope)
    .where('key', '=', input.key)
    .where('window_start', '=', input.windowStart)
    .executeTakeFirst();
  return row?.count ?? 0;
}

/** Drops windows that ended before `before` (the purge job). */
export async function deleteOldWindows(db: Q, before: string): Promise<number> {
  const result = await db.deleteFrom('rate_window').where('window_start', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Past this many distinct slugs, requests for unknown stores are counted under `*`. */
export const MAX_UNKNOWN_STORE_ROWS = 1000;

/** Counts one request for a store slug that does not exist (a small row per slug and route). */
export async function countUnknownStoreHit(db: Q, input: { slug: string; route: string; at: string }): Promise<void> {
  const bumped = await db
    .updateTable('unknown_store_hit')
    .set({ count: sql<number>`count + 1`, last_seen_at: input.at })
    .where('slug', '=', input.slug)
    .where('route', '=', input.route)
    .executeTakeFirst();
  if (Number(bumped.numUpdatedRows) > 0) return;
  const { rows } = await db
    .selectFrom('unknown_store_hit')
    .select((eb) => eb.fn.countAll<number>().as('rows'))
    .executeTakeFirstOrThrow();
  const slug = Number(rows) >= MAX_UNKNOWN_STORE_ROWS ? '*' : input.slug;
  await db
    .insertInto('unknown_store_hit')
    .values({ slug, route: input.route, count: 1, first_seen_at: input.at, last_seen_at: input.at })
    .onConflict((oc) =>
      oc
        .columns(['slug', 'route'])
        .doUpdateSet({ count: sql<number>`unknown_store_hit.count + 1`, last_seen_at: input.at }),
    )
    .execute();
}

export function listUnknownStoreHits(db: Q) {
  return db.selectFrom('unknown_store_hit').selectAll().orderBy('count', 'desc').orderBy('slug').execute();
}

/** Whether the store already has an order for this evidence (by merchant_uid, else by imp_uid). */
export async function orderExistsFor(
  db: Q,
  storeId: number,
  ids: { merchantUid: string | null; impUid: string | null },
): Promise<boolean> {
  if (ids.merchantUid !== null) {
    const row = await db
      .selectFrom('order')
      .select('id')
      .where('store_id', '=', storeId)
      .where('merchant_uid', '=', ids.merchantUid)
      .executeTakeFirst();
    if (row) return true;
  }
  if (ids.impUid !== null) {
    const row = await db
      .selectFrom('order')
      .select('id')
      .where('store_id', '=', storeId)
      .where('imp_uid', '=', ids.impUid)
      .executeTakeFirst();
    if (row) return true;
  }
  return false;
}

/**
 * Queues evidence for an unregistered order that arrived past the budget, coalesced: one row per
 * store and id, however often it arrives (the raw hit or delivery is stored regardless).
 */
export async function queueUnverifiedEvidence(
  db: Q,
  input: {
    storeId: number;
    impUid: string | null;
    merchantUid: string | null;
    claimsFailure: boolean;
    redirectHitId: number | null;
    webhookDeliveryId: number | null;
    at: string;
  },
): Promise<void> {
  const key = input.merchantUid !== null ? `m:${input.merchantUid}` : `i:${input.impUid ?? ''}`;
  await db
    .insertInto('unverified_evidence')
    .values({
      store_id: input.storeId,
      evidence_key: key,
      imp_uid: input.impUid,
      merchant_uid: input.merchantUid,
      claims_failure: input.claimsFailure ? 1 : 0,
      redirect_hit_id: input.redirectHitId,
      webhook_delivery_id: input.webhookDeliveryId,
      hits: 1,
      first_seen_at: input.at,
      last_seen_at: input.at,
    })
    .onConflict((oc) =>
      oc.columns(['store_id', 'evidence_key']).doUpdateSet({
        hits: sql<number>`unverified_evidence.hits + 1`,
        last_seen_at: input.at,
        imp_uid: sql<string | null>`coalesce(excluded.imp_uid, unverified_evidence.imp_uid)`,
        claims_failure: sql<number>`case when excluded.claims_failure = 1 then 1 else unverified_evidence.claims_failure end`,
        redirect_hit_id: sql<number | null>`coalesce(excluded.redirect_hit_id, unverified_evidence.redirect_hit_id)`,
        webhook_delivery_id: sql<
          number | null
        >`coalesce(excluded.webhook_delivery_id, unverified_evidence.webhook_delivery_id)`,
      }),
    )
    .execute();
}

export function listUnverifiedEvidence(db: Q, storeId: number, limit: number): Promise<UnverifiedEvidenceRow[]> {
  return db
    .selectFrom('unverified_evidence')
    .selectAll()
    .where('store_id', '=', storeId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function countUnverifiedEvidence(db: Q, storeId: number): Promise<number> {
  const row = await db
    .selectFrom('unverified_evidence')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('store_id', '=', storeId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteUnverifiedEvidence(db: Q, id: number): Promise<void> {
  await db.deleteFrom('unverified_evidence').where('id', '=', id).execute();
}
