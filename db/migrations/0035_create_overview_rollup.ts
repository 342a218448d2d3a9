import { columnTypes } from '../dialect';
import type { Kysely } from 'kysely';

/**
 * The overview's rollup (docs/decisions/0150-overview-rollup.md): counts per hour and per
 * display-zone day, refreshed incrementally by db/overview-rollup.ts, so the overview reads a
 * few hundred rows whatever the number of orders. Plus the indexes that refresh leans on to find
 * what changed since its last run and to recompute one hour of each source.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('overview_rollup')
    .addColumn('grain', T.text, (col) => col.notNull())
    .addColumn('metric', T.text, (col) => col.notNull())
    .addColumn('bucket', T.text, (col) => col.notNull())
    .addColumn('store_id', T.int, (col) => col.notNull())
    .addColumn('dim', T.text, (col) => col.notNull())
    .addColumn('currency', T.text, (col) => col.notNull())
    .addColumn('n', 'bigint', (col) => col.notNull())
    // bigint: a day of a busy store's KRW overflows PostgreSQL's 32-bit integer.
    .addColumn('amount', 'bigint', (col) => col.notNull())
    // Every read is "one metric, one grain, a bucket range": the key is that scan.
    .addPrimaryKeyConstraint('overview_rollup_pk', ['grain', 'metric', 'bucket', 'store_id', 'dim', 'currency'])
    .execute();

  // Recomputing an hour of attention reasons, and finding the ones resolved since the last refresh.
  await db.schema.createIndex('attention_reason_opened_idx').on('attention_reason').column('opened_at').execute();
  await db.schema.createIndex('attention_reason_resolved_idx').on('attention_reason').column('resolved_at').execute();
  // Recomputing an hour of redirect hits across stores.
  await db.schema.createIndex('redirect_hit_received_idx').on('redirect_hit').column('received_at').execute();
  // Deliveries of an order by its merchant_uid: also those of orders first known from evidence,
  // whose deliveries carry no order_id (raw evidence is never updated).
  await db.schema
    .createIndex('webhook_delivery_merchant_uid_idx')
    .on('webhook_delivery')
    .columns(['store_id', 'merchant_uid'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'webhook_delivery_merchant_uid_idx',
    'redirect_hit_received_idx',
    'attention_reason_resolved_idx',
    'attention_reason_opened_idx',
  ]) {
    await db.schema.dropIndex(name).execute();
  }
  await db.schema.dropTable('overview_rollup').execute();
}
