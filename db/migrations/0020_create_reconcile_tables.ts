import { columnTypes } from '../dialect';
import { sql, type Kysely } from 'kysely';

/** Reconciliation run history, job leases, gateway cooldowns; an index for the redirect scan. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('reconcile_run')
    .addColumn('id', T.int, T.pk)
    .addColumn('kind', T.text, (col) => col.notNull())
    .addColumn('trigger', T.text, (col) => col.notNull())
    .addColumn('store_slug', T.text)
    .addColumn('dry_run', T.int, (col) => col.notNull())
    .addColumn('all_orders', T.int, (col) => col.notNull())
    .addColumn('window_from', T.text)
    .addColumn('window_to', T.text)
    .addColumn('started_at', T.text, (col) => col.notNull())
    .addColumn('finished_at', T.text)
    .addColumn('status', T.text, (col) => col.notNull())
    .addColumn('examined', T.int, (col) => col.notNull())
    .addColumn('settled', T.int, (col) => col.notNull())
    .addColumn('still_open', T.int, (col) => col.notNull())
    .addColumn('errors', T.int, (col) => col.notNull())
    .addColumn('gateway_calls', T.int, (col) => col.notNull())
    .addColumn('duration_ms', T.int)
    .addColumn('started_by', T.text)
    .addColumn('lease_holder', T.text)
    .addColumn('error', T.text)
    .execute();
  await db.schema.createIndex('reconcile_run_started_idx').on('reconcile_run').columns(['started_at', 'id']).execute();
  await db.schema.createIndex('reconcile_run_kind_idx').on('reconcile_run').columns(['kind', 'status', 'id']).execute();

  await db.schema
    .createTable('reconcile_run_store')
    .addColumn('id', T.int, T.pk)
    .addColumn('run_id', T.int, (col) => col.notNull().references('reconcile_run.id'))
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('store_slug', T.text, (col) => col.notNull())
    .addColumn('status', T.text, (col) => col.notNull())
    .addColumn('window_from', T.text)
    .addColumn('window_to', T.text)
    .addColumn('window_done', T.int, (col) => col.notNull())
    .addColumn('examined', T.int, (col) => col.notNull())
    .addColumn('settled', T.int, (col) => col.notNull())
    .addColumn('still_open', T.int, (col) => col.notNull())
    .addColumn('not_reached', T.int, (col) => col.notNull())
    .addColumn('reasons_opened', T.int, (col) => col.notNull())
    .addColumn('errors', T.int, (col) => col.notNull())
    .addColumn('gateway_calls', T.int, (col) => col.notNull())
    .addColumn('error', T.text)
    .addColumn('started_at', T.text, (col) => col.notNull())
    .addColumn('finished_at', T.text)
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
    .addColumn('id', T.int, T.pk)
    .addColumn('run_id', T.int, (col) => col.notNull().references('reconcile_run.id'))
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('order_id', T.int, (col) => col.references('order.id'))
    .addColumn('merchant_uid', T.text)
    .addColumn('imp_uid', T.text)
    .addColumn('status_before', T.text)
    .addColumn('status_after', T.text)
    .addColumn('outcome', T.text, (col) => col.notNull())
    .addColumn('reasons_opened', T.text, (col) => col.notNull())
    .addColumn('error', T.text)
    .addColumn('at', T.text, (col) => col.notNull())
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
    .addColumn('name', T.text, (col) => col.primaryKey())
    .addColumn('holder', T.text, (col) => col.notNull())
    .addColumn('acquired_at', T.text, (col) => col.notNull())
    .addColumn('expires_at', T.text, (col) => col.notNull())
    .addColumn('heartbeat_at', T.text, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('gateway_cooldown')
    .addColumn('store_id', T.int, (col) => col.primaryKey().references('store.id'))
    .addColumn('level', T.int, (col) => col.notNull())
    .addColumn('until', T.text, (col) => col.notNull())
    .addColumn('last_error', T.text, (col) => col.notNull())
    .addColumn('updated_at', T.text, (col) => col.notNull())
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
