import { sql, type Kysely } from 'kysely';

/**
 * Indexes behind the payment log, its CSV export and the attention queue
 * (docs/decisions/0140-payment-log-queries.md). Every list query is a keyset scan in one of
 * these orders, so a page costs the same at the millionth order as at the first:
 * - each sort key (created, updated, amount) ends with `id`, the tie-breaker of the cursor;
 * - store and status lead an index per sort key, so "this store, by amount" never sorts; pay
 *   method and PG lead one that continues with the default sort (newest first);
 * - search is an index look-up: exact imp_uid (0002), merchant_uid and buyer name prefixes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('order_updated_idx').on('order').columns(['updated_at', 'id']).execute();
  // The list's "amount" is what the merchant expected, or what was paid when nobody expected it.
  await sql`create index order_amount_idx on "order" ((coalesce(expected_amount, paid_amount, 0)), id)`.execute(db);
  // Store and status are the everyday filters: each continues with every sort key.
  await db.schema
    .createIndex('order_store_created_idx')
    .on('order')
    .columns(['store_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('order_store_updated_idx')
    .on('order')
    .columns(['store_id', 'updated_at', 'id'])
    .execute();
  await sql`create index order_store_amount_idx on "order" (store_id, (coalesce(expected_amount, paid_amount, 0)), id)`.execute(
    db,
  );
  await db.schema.createIndex('order_status_updated_idx').on('order').columns(['status', 'updated_at', 'id']).execute();
  await sql`create index order_status_amount_idx on "order" (status, (coalesce(expected_amount, paid_amount, 0)), id)`.execute(
    db,
  );
  await db.schema.createIndex('order_merchant_uid_idx').on('order').column('merchant_uid').execute();
  await db.schema.createIndex('order_buyer_name_idx').on('order').column('buyer_name').execute();
  await db.schema
    .createIndex('order_pay_method_created_idx')
    .on('order')
    .columns(['pay_method', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('order_pg_provider_created_idx')
    .on('order')
    .columns(['pg_provider', 'created_at', 'id'])
    .execute();
  // "Needs attention" over the whole log: the few ambiguous orders, newest first.
  await db.schema
    .createIndex('order_open_created_idx')
    .on('order')
    .columns(['created_at', 'id'])
    .where(sql<boolean>`open_reason_count > 0`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'order_open_created_idx',
    'order_pg_provider_created_idx',
    'order_pay_method_created_idx',
    'order_buyer_name_idx',
    'order_merchant_uid_idx',
    'order_status_amount_idx',
    'order_status_updated_idx',
    'order_store_amount_idx',
    'order_store_updated_idx',
    'order_store_created_idx',
    'order_amount_idx',
    'order_updated_idx',
  ]) {
    await db.schema.dropIndex(name).execute();
  }
}
