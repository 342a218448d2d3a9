import { columnTypes } from '../dialect';
import { sql, type Kysely } from 'kysely';

/** Stores, orders, attention reasons, raw evidence, gateway checks, verifications, webhook queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('store')
    .addColumn('id', T.int, T.pk)
    .addColumn('slug', T.text, (col) => col.notNull().unique())
    .addColumn('name', T.text, (col) => col.notNull())
    .addColumn('imp_code', T.text, (col) => col.notNull())
    .addColumn('imp_key', T.text, (col) => col.notNull())
    .addColumn('imp_secret_enc', T.text, (col) => col.notNull())
    .addColumn('api_base_url', T.text, (col) => col.notNull())
    .addColumn('landing_success_url', T.text)
    .addColumn('landing_failure_url', T.text)
    .addColumn('landing_pending_url', T.text)
    .addColumn('webhook_ip_policy', T.text, (col) => col.notNull())
    .addColumn('mismatch_policy', T.text, (col) => col.notNull())
    .addColumn('webhook_grace_seconds', T.int, (col) => col.notNull())
    .addColumn('stale_pending_seconds', T.int, (col) => col.notNull())
    .addColumn('api_key_hash', T.text, (col) => col.notNull())
    .addColumn('api_key_prefix', T.text, (col) => col.notNull())
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('updated_at', T.text, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('order')
    .addColumn('id', T.int, T.pk)
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('merchant_uid', T.text, (col) => col.notNull())
    .addColumn('expected_amount', T.int)
    .addColumn('currency', T.text, (col) => col.notNull())
    .addColumn('name', T.text)
    .addColumn('source', T.text, (col) => col.notNull())
    .addColumn('status', T.text, (col) => col.notNull())
    .addColumn('imp_uid', T.text)
    .addColumn('gateway_status', T.text)
    .addColumn('paid_amount', T.int)
    .addColumn('cancel_amount', T.int)
    .addColumn('pay_method', T.text)
    .addColumn('pg_provider', T.text)
    .addColumn('buyer_name', T.text)
    .addColumn('vbank_due_at', T.text)
    .addColumn('prepared_at', T.text)
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('updated_at', T.text, (col) => col.notNull())
    .addColumn('paid_at', T.text)
    .addColumn('last_checked_at', T.text)
    .addColumn('next_check_at', T.text)
    .addColumn('check_attempts', T.int, (col) => col.notNull().defaultTo(0))
    .addColumn('open_reason_count', T.int, (col) => col.notNull().defaultTo(0))
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
    .addColumn('id', T.int, T.pk)
    .addColumn('order_id', T.int, (col) => col.notNull().references('order.id'))
    .addColumn('reason', T.text, (col) => col.notNull())
    .addColumn('opened_at', T.text, (col) => col.notNull())
    .addColumn('detail', T.text)
    .addColumn('resolved_at', T.text)
    .addColumn('resolved_by', T.text)
    .addColumn('resolution_note', T.text)
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
    .addColumn('id', T.int, T.pk)
    .addColumn('store_slug', T.text, (col) => col.notNull())
    .addColumn('store_id', T.int, (col) => col.references('store.id'))
    .addColumn('order_id', T.int, (col) => col.references('order.id'))
    .addColumn('received_at', T.text, (col) => col.notNull())
    .addColumn('query_string', T.text, (col) => col.notNull())
    .addColumn('query_truncated', T.int, (col) => col.notNull())
    .addColumn('ip', T.text, (col) => col.notNull())
    .addColumn('user_agent', T.text)
    .addColumn('parse_error', T.text)
    .addColumn('imp_uid', T.text)
    .addColumn('merchant_uid', T.text)
    .addColumn('flag_kind', T.text, (col) => col.notNull())
    .addColumn('flag_value', T.text)
    .addColumn('error_code', T.text)
    .addColumn('error_msg', T.text)
    .execute();
  await db.schema.createIndex('redirect_hit_order_idx').on('redirect_hit').column('order_id').execute();
  await db.schema
    .createIndex('redirect_hit_lookup_idx')
    .on('redirect_hit')
    .columns(['store_id', 'merchant_uid'])
    .execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', T.int, T.pk)
    .addColumn('store_slug', T.text, (col) => col.notNull())
    .addColumn('store_id', T.int, (col) => col.references('store.id'))
    .addColumn('order_id', T.int, (col) => col.references('order.id'))
    .addColumn('received_at', T.text, (col) => col.notNull())
    .addColumn('content_type', T.text)
    .addColumn('headers_json', T.text, (col) => col.notNull())
    .addColumn('body_text', T.text, (col) => col.notNull())
    .addColumn('body_base64', T.text)
    .addColumn('body_bytes', T.int, (col) => col.notNull())
    .addColumn('source_ip', T.text, (col) => col.notNull())
    .addColumn('ip_listed', T.int, (col) => col.notNull())
    .addColumn('answer_status', T.int, (col) => col.notNull())
    .addColumn('parse_error', T.text)
    .addColumn('imp_uid', T.text)
    .addColumn('merchant_uid', T.text)
    .addColumn('status', T.text)
    .addColumn('cancellation_id', T.text)
    .addColumn('duplicate_of', T.int, (col) => col.references('webhook_delivery.id'))
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
    .addColumn('id', T.int, T.pk)
    .addColumn('delivery_id', T.int, (col) => col.notNull().references('webhook_delivery.id'))
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('state', T.text, (col) => col.notNull())
    .addColumn('attempts', T.int, (col) => col.notNull().defaultTo(0))
    .addColumn('available_at', T.text, (col) => col.notNull())
    .addColumn('locked_until', T.text)
    .addColumn('last_error', T.text)
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('finished_at', T.text)
    .execute();
  await db.schema.createIndex('webhook_job_ready_idx').on('webhook_job').columns(['state', 'available_at']).execute();

  await db.schema
    .createTable('gateway_check')
    .addColumn('id', T.int, T.pk)
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('order_id', T.int, (col) => col.references('order.id'))
    .addColumn('trigger', T.text, (col) => col.notNull())
    .addColumn('operation', T.text, (col) => col.notNull())
    .addColumn('imp_uid', T.text)
    .addColumn('merchant_uid', T.text)
    .addColumn('checked_at', T.text, (col) => col.notNull())
    .addColumn('ok', T.int, (col) => col.notNull())
    .addColumn('http_status', T.int)
    .addColumn('error_kind', T.text)
    .addColumn('error_code', T.int)
    .addColumn('error_message', T.text)
    .addColumn('latency_ms', T.int, (col) => col.notNull())
    .addColumn('raw_json', T.text)
    .execute();
  await db.schema.createIndex('gateway_check_order_idx').on('gateway_check').column('order_id').execute();

  await db.schema
    .createTable('verification')
    .addColumn('id', T.int, T.pk)
    .addColumn('order_id', T.int, (col) => col.notNull().references('order.id'))
    .addColumn('gateway_check_id', T.int, (col) => col.references('gateway_check.id'))
    .addColumn('redirect_hit_id', T.int, (col) => col.references('redirect_hit.id'))
    .addColumn('webhook_delivery_id', T.int, (col) => col.references('webhook_delivery.id'))
    .addColumn('trigger', T.text, (col) => col.notNull())
    .addColumn('decided_at', T.text, (col) => col.notNull())
    .addColumn('outcome', T.text, (col) => col.notNull())
    .addColumn('status_before', T.text, (col) => col.notNull())
    .addColumn('status_after', T.text, (col) => col.notNull())
    .addColumn('gateway_status', T.text)
    .addColumn('expected_amount', T.int)
    .addColumn('paid_amount', T.int)
    .addColumn('currency', T.text)
    .addColumn('reasons_opened', T.text, (col) => col.notNull())
    .addColumn('reasons_resolved', T.text, (col) => col.notNull())
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
