import type { Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Bounded cost of unauthenticated evidence (issue 10):
 * - `rate_window`: fixed-window counters shared by every app instance (the unknown-order budget);
 *   one upsert takes a unit or refuses, so concurrent requests never overspend it.
 * - `unknown_store_hit`: requests for store slugs that do not exist are counted here, one small
 *   row per slug and route, instead of being stored in full.
 * - `unverified_evidence`: evidence for an unregistered merchant_uid that arrived past the budget,
 *   coalesced per store and id, for the scheduled job to verify later.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('rate_window')
    .addColumn('scope', T.text, (c) => c.notNull())
    .addColumn('key', T.text, (c) => c.notNull())
    .addColumn('window_start', T.text, (c) => c.notNull())
    .addColumn('count', T.int, (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_window_pk', ['scope', 'key', 'window_start'])
    .execute();

  await db.schema
    .createTable('unknown_store_hit')
    .addColumn('slug', T.text, (c) => c.notNull())
    .addColumn('route', T.text, (c) => c.notNull())
    .addColumn('count', T.int, (c) => c.notNull())
    .addColumn('first_seen_at', T.text, (c) => c.notNull())
    .addColumn('last_seen_at', T.text, (c) => c.notNull())
    .addPrimaryKeyConstraint('unknown_store_hit_pk', ['slug', 'route'])
    .execute();

  await db.schema
    .createTable('unverified_evidence')
    .addColumn('id', T.int, (c) => T.pk(c))
    .addColumn('store_id', T.int, (c) => c.notNull().references('store.id'))
    .addColumn('evidence_key', T.text, (c) => c.notNull())
    .addColumn('imp_uid', T.text)
    .addColumn('merchant_uid', T.text)
    .addColumn('claims_failure', T.int, (c) => c.notNull().defaultTo(0))
    .addColumn('redirect_hit_id', T.int)
    .addColumn('webhook_delivery_id', T.int)
    .addColumn('hits', T.int, (c) => c.notNull())
    .addColumn('first_seen_at', T.text, (c) => c.notNull())
    .addColumn('last_seen_at', T.text, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('unverified_evidence_key_idx')
    .unique()
    .on('unverified_evidence')
    .columns(['store_id', 'evidence_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('unverified_evidence').execute();
  await db.schema.dropTable('unknown_store_hit').execute();
  await db.schema.dropTable('rate_window').execute();
}
