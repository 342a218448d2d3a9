import type { Kysely } from 'kysely';

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
  await db.schema
    .createTable('rate_window')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_window_pk', ['scope', 'key', 'window_start'])
    .execute();

  await db.schema
    .createTable('unknown_store_hit')
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('unknown_store_hit_pk', ['slug', 'route'])
    .execute();

  await db.schema
    .createTable('unverified_evidence')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('store.id'))
    .addColumn('evidence_key', 'text', (c) => c.notNull())
    .addColumn('imp_uid', 'text')
    .addColumn('merchant_uid', 'text')
    .addColumn('claims_failure', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('redirect_hit_id', 'integer')
    .addColumn('webhook_delivery_id', 'integer')
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
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
