import { sql, type Kysely } from 'kysely';

/** Stores, orders, attention reasons, raw evidence, gateway checks, verifications, webhook queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('store')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('imp_code', 'text', (col) => col.notNull())
    .addColumn('imp_key', 'text', (col) => col.notNull())
    .addColumn('imp_secret_enc', 'text', (col) => col.notNull())
    .addColumn('api_base_url', 'text', (col) => col.notNull())
    .addColumn('landing_success_url', 'text')
    .addColumn('landing_failure_url', 'text')
    .addColumn('landing_pending_url', 'text')
    .addColumn('webhook_ip_policy', 'text', (col) => col.notNull())
    .addColumn('mismatch_policy', 'text', (col) => col.notNull())
    .addColumn('webhook_grace_seconds', 'integer', (col) => col.notNull())
    .addColumn('stale_pending_seconds', 'integer', (col) => col.notNull())
    .addColumn('api_key_hash', 'text', (col) => col.notNull())
    .addColumn('api_key_prefix', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('order')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('store_id', 'integer', (col) => col.notNull().references('store.id'))
    .addColumn('merchant_uid', 'text', (col) => col.notNull())
    .addColumn('expected_amount', 'integer')
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('name', 'text')
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('imp_uid', 'text')
    .addColumn('gateway_status', 'text')
    .addColumn('paid_amount', 'integer')
    .addColumn('cancel_amount', 'integer')
    .addColumn('pay_method', 'text')
    .addColumn('pg_provider', 'text')
    .addColumn('buyer_name', 'text')
    .addColumn('vbank_due_at', 'text')
    .addColumn('prepared_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('paid_at', 'text')
    .addColumn('last_checked_at', 'text')
    .addColumn('next_check_at', 'text')
    .addColumn('check_attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('open_reason_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addUniqueConstraint('order_store_merchant_uid_unique', ['store_id', 'merchant_uid'])
    .execute();
  await db.schema.createIndex('order_imp_uid_idx').on('order').column('imp_uid').execute();
  await db.schema.createIndex('order_created_idx').on('order').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('order_status_created_idx').on('order').columns(['status', 'created_at']).execute();
  await db.schema
    .createIndex('order_next_check_idx')
    .on('order')
    .column('next_check_at')
    .where(sql.ref('next_check_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('attention_reason')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('order_id', 'integer', (col) => col.notNull().references('order.id'))
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('opened_at', 'text', (col) => col.notNull())
    .addColumn('detail', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text')
    .addColumn('resolution_note', 'text')
    .execute();
  // At most one open reason of a kind per order: concurrent triggers cannot open it twice.
  await db.schema
    .createIndex('attention_reason_open_unique')
    .on('attention_reason')
    .columns(['order_id', 'reason'])
    .unique()
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('attention_reason_order_idx')
    .on('attention_reason')
    .columns(['order_id', 'opened_at'])
    .execute();
  await db.schema
    .createIndex('attention_reason_open_idx')
    .on('attention_reason')
    .columns(['reason', 'opened_at'])
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('redirect_hit')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('store_slug', 'text', (col) => col.notNull())
    .addColumn('store_id', 'integer', (col) => col.references('store.id'))
    .addColumn('order_id', 'integer', (col) => col.references('order.id'))
    .addColumn('received_at', 'text', (col) => col.notNull())
    .addColumn('query_string', 'text', (col) => col.notNull())
    .addColumn('query_truncated', 'integer', (col) => col.notNull())
    .addColumn('ip', 'text', (col) => col.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('parse_error', 'text')
    .addColumn('imp_uid', 'text')
    .addColumn('merchant_uid', 'text')
    .addColumn('flag_kind', 'text', (col) => col.notNull())
    .addColumn('flag_value', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_msg', 'text')
    .execute();
  await db.schema.createIndex('redirect_hit_order_idx').on('redirect_hit').column('order_id').execute();
  await db.schema
    .createIndex('redirect_hit_lookup_idx')
    .on('redirect_hit')
    .columns(['store_id', 'merchant_uid'])
    .execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('store_slug', 'text', (col) => col.notNull())
    .addColumn('store_id', 'integer', (col) => col.references('store.id'))
    .addColumn('order_id', 'integer', (col) => col.references('order.id'))
    .addColumn('received_at', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text')
    .addColumn('headers_json', 'text', (col) => col.notNull())
    .addColumn('body_text', 'text', (col) => col.notNull())
    .addColumn('body_base64', 'text')
    .addColumn('body_bytes', 'integer', (col) => col.notNull())
    .addColumn('source_ip', 'text', (col) => col.notNull())
    .addColumn('ip_listed', 'integer', (col) => col.notNull())
    .addColumn('answer_status', 'integer', (col) => col.notNull())
    .addColumn('parse_error', 'text')
    .addColumn('imp_uid', 'text')
    .addColumn('merchant_uid', 'text')
    .addColumn('status', 'text')
    .addColumn('cancellation_id', 'text')
    .addColumn('duplicate_of', 'integer', (col) => col.references('webhook_delivery.id'))
    .execute();
  await db.schema.createIndex('webhook_delivery_order_idx').on('webhook_delivery').column('order_id').execute();
  await db.schema
    .createIndex('webhook_delivery_dedupe_idx')
    .on('webhook_delivery')
    .columns(['store_id', 'imp_uid', 'status'])
    .execute();
  await db.schema.createIndex('webhook_delivery_received_idx').on('webhook_delivery').column('received_at').execute();

  await db.schema
    .createTable('webhook_job')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('delivery_id', 'integer', (col) => col.notNull().references('webhook_delivery.id'))
    .addColumn('store_id', 'integer', (col) => col.notNull().references('store.id'))
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('available_at', 'text', (col) => col.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('webhook_job_ready_idx').on('webhook_job').columns(['state', 'available_at']).execute();

  await db.schema
    .createTable('gateway_check')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('store_id', 'integer', (col) => col.notNull().references('store.id'))
    .addColumn('order_id', 'integer', (col) => col.references('order.id'))
    .addColumn('trigger', 'text', (col) => col.notNull())
    .addColumn('operation', 'text', (col) => col.notNull())
    .addColumn('imp_uid', 'text')
    .addColumn('merchant_uid', 'text')
    .addColumn('checked_at', 'text', (col) => col.notNull())
    .addColumn('ok', 'integer', (col) => col.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('error_kind', 'text')
    .addColumn('error_code', 'integer')
    .addColumn('error_message', 'text')
    .addColumn('latency_ms', 'integer', (col) => col.notNull())
    .addColumn('raw_json', 'text')
    .execute();
  await db.schema.createIndex('gateway_check_order_idx').on('gateway_check').column('order_id').execute();

  await db.schema
    .createTable('verification')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('order_id', 'integer', (col) => col.notNull().references('order.id'))
    .addColumn('gateway_check_id', 'integer', (col) => col.references('gateway_check.id'))
    .addColumn('redirect_hit_id', 'integer', (col) => col.references('redirect_hit.id'))
    .addColumn('webhook_delivery_id', 'integer', (col) => col.references('webhook_delivery.id'))
    .addColumn('trigger', 'text', (col) => col.notNull())
    .addColumn('decided_at', 'text', (col) => col.notNull())
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('status_before', 'text', (col) => col.notNull())
    .addColumn('status_after', 'text', (col) => col.notNull())
    .addColumn('gateway_status', 'text')
    .addColumn('expected_amount', 'integer')
    .addColumn('paid_amount', 'integer')
    .addColumn('currency', 'text')
    .addColumn('reasons_opened', 'text', (col) => col.notNull())
    .addColumn('reasons_resolved', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('verification_order_idx')
    .on('verification')
    .columns(['order_id', 'decided_at'])
    .execute();
  await db.schema.createIndex('verification_decided_idx').on('verification').column('decided_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'verification',
    'gateway_check',
    'webhook_job',
    'webhook_delivery',
    'redirect_hit',
    'attention_reason',
    'order',
    'store',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
