import { sql, type Kysely } from 'kysely';

/** Reconciliation run history, job leases, gateway cooldowns; an index for the redirect scan. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reconcile_run')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('trigger', 'text', (col) => col.notNull())
    .addColumn('store_slug', 'text')
    .addColumn('dry_run', 'integer', (col) => col.notNull())
    .addColumn('all_orders', 'integer', (col) => col.notNull())
    .addColumn('window_from', 'text')
    .addColumn('window_to', 'text')
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('examined', 'integer', (col) => col.notNull())
    .addColumn('settled', 'integer', (col) => col.notNull())
    .addColumn('still_open', 'integer', (col) => col.notNull())
    .addColumn('errors', 'integer', (col) => col.notNull())
    .addColumn('gateway_calls', 'integer', (col) => col.notNull())
    .addColumn('duration_ms', 'integer')
    .addColumn('started_by', 'text')
    .addColumn('lease_holder', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('reconcile_run_started_idx').on('reconcile_run').columns(['started_at', 'id']).execute();
  await db.schema.createIndex('reconcile_run_kind_idx').on('reconcile_run').columns(['kind', 'status', 'id']).execute();

  await db.schema
    .createTable('reconcile_run_store')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('run_id', 'integer', (col) => col.notNull().references('reconcile_run.id'))
    .addColumn('store_id', 'integer', (col) => col.notNull().references('store.id'))
    .addColumn('store_slug', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('window_from', 'text')
    .addColumn('window_to', 'text')
    .addColumn('window_done', 'integer', (col) => col.notNull())
    .addColumn('examined', 'integer', (col) => col.notNull())
    .addColumn('settled', 'integer', (col) => col.notNull())
    .addColumn('still_open', 'integer', (col) => col.notNull())
    .addColumn('not_reached', 'integer', (col) => col.notNull())
    .addColumn('reasons_opened', 'integer', (col) => col.notNull())
    .addColumn('errors', 'integer', (col) => col.notNull())
    .addColumn('gateway_calls', 'integer', (col) => col.notNull())
    .addColumn('error', 'text')
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('reconcile_run_store_run_idx').on('reconcile_run_store').column('run_id').execute();
  // "Where did the last complete window of this store end?"
  await db.schema
    .createIndex('reconcile_run_store_window_idx')
    .on('reconcile_run_store')
    .columns(['store_id', 'window_done', 'id'])
    .execute();

  await db.schema
    .createTable('reconcile_run_item')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('run_id', 'integer', (col) => col.notNull().references('reconcile_run.id'))
    .addColumn('store_id', 'integer', (col) => col.notNull().references('store.id'))
    .addColumn('order_id', 'integer', (col) => col.references('order.id'))
    .addColumn('merchant_uid', 'text')
    .addColumn('imp_uid', 'text')
    .addColumn('status_before', 'text')
    .addColumn('status_after', 'text')
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('reasons_opened', 'text', (col) => col.notNull())
    .addColumn('error', 'text')
    .addColumn('at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('reconcile_run_item_run_idx')
    .on('reconcile_run_item')
    .columns(['run_id', 'id'])
    .execute();
  // The order timeline shows run items.
  await db.schema.createIndex('reconcile_run_item_order_idx').on('reconcile_run_item').column('order_id').execute();

  await db.schema
    .createTable('job_lease')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('holder', 'text', (col) => col.notNull())
    .addColumn('acquired_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('heartbeat_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('gateway_cooldown')
    .addColumn('store_id', 'integer', (col) => col.primaryKey().references('store.id'))
    .addColumn('level', 'integer', (col) => col.notNull())
    .addColumn('until', 'text', (col) => col.notNull())
    .addColumn('last_error', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  // The reconcile job looks for redirects that crossed a store's webhook grace period since its last run.
  await db.schema
    .createIndex('redirect_hit_store_received_idx')
    .on('redirect_hit')
    .columns(['store_id', 'received_at'])
    .execute();
  // ...and for registered orders that went stale since then (pending, by creation time).
  await db.schema
    .createIndex('order_store_status_created_idx')
    .on('order')
    .columns(['store_id', 'status', 'created_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('order_store_status_created_idx').execute();
  await db.schema.dropIndex('redirect_hit_store_received_idx').execute();
  for (const table of ['gateway_cooldown', 'job_lease', 'reconcile_run_item', 'reconcile_run_store', 'reconcile_run']) {
    await db.schema.dropTable(table).execute();
  }
}
