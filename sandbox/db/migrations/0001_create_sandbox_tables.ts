import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('merchant')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('imp_code', 'text', (c) => c.notNull().unique())
    .addColumn('imp_key', 'text', (c) => c.notNull().unique())
    .addColumn('imp_secret', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    .addColumn('webhook_format', 'text', (c) => c.notNull().defaultTo('json'))
    .addColumn('webhook_scenario', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('partial_cancel_status', 'text', (c) => c.notNull().defaultTo('paid'))
    .addColumn('default_pg', 'text', (c) => c.notNull().defaultTo('html5_inicis'))
    .addColumn('faults', 'text')
    .addColumn('is_demo', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('token')
    .addColumn('token', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'integer', (c) => c.notNull().references('merchant.id').onDelete('cascade'))
    .addColumn('issued_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('token_merchant').on('token').columns(['merchant_id', 'expires_at']).execute();

  await db.schema
    .createTable('payment')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('imp_uid', 'text', (c) => c.notNull().unique())
    .addColumn('merchant_id', 'integer', (c) => c.notNull().references('merchant.id').onDelete('cascade'))
    .addColumn('merchant_uid', 'text', (c) => c.notNull())
    .addColumn('pay_method', 'text')
    .addColumn('channel', 'text')
    .addColumn('pg_provider', 'text')
    .addColumn('emb_pg_provider', 'text')
    .addColumn('pg_tid', 'text')
    .addColumn('pg_id', 'text')
    .addColumn('escrow', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('apply_num', 'text')
    .addColumn('bank_code', 'text')
    .addColumn('bank_name', 'text')
    .addColumn('card_code', 'text')
    .addColumn('card_name', 'text')
    .addColumn('card_quota', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('card_number', 'text')
    .addColumn('card_type', 'integer')
    .addColumn('vbank_code', 'text')
    .addColumn('vbank_name', 'text')
    .addColumn('vbank_num', 'text')
    .addColumn('vbank_holder', 'text')
    .addColumn('vbank_date', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('vbank_issued_at', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('name', 'text')
    .addColumn('amount', 'real', (c) => c.notNull())
    .addColumn('cancel_amount', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('buyer_name', 'text')
    .addColumn('buyer_email', 'text')
    .addColumn('buyer_tel', 'text')
    .addColumn('buyer_addr', 'text')
    .addColumn('buyer_postcode', 'text')
    .addColumn('custom_data', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('paid_at', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_at', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cancelled_at', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fail_reason', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('receipt_url', 'text')
    .addColumn('cancel_history', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('cancel_receipt_urls', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('cash_receipt_issued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('status_at', 'integer', (c) => c.notNull())
    .addColumn('order_amount', 'real', (c) => c.notNull())
    .addColumn('notice_urls', 'text')
    .addColumn('webhook_scenario', 'text')
    .addColumn('m_redirect_url', 'text')
    .addColumn('window_mode', 'text')
    .addColumn('window_origin', 'text')
    .addColumn('window_state', 'text')
    .addColumn('requested_vbank_due', 'integer')
    .execute();
  await db.schema
    .createIndex('payment_merchant_uid')
    .on('payment')
    .columns(['merchant_id', 'merchant_uid', 'started_at'])
    .execute();
  await db.schema
    .createIndex('payment_status_at')
    .on('payment')
    .columns(['merchant_id', 'status', 'status_at'])
    .execute();
  await db.schema.createIndex('payment_any_status_at').on('payment').columns(['merchant_id', 'status_at']).execute();

  await db.schema
    .createTable('prepare')
    .addColumn('merchant_id', 'integer', (c) => c.notNull().references('merchant.id').onDelete('cascade'))
    .addColumn('merchant_uid', 'text', (c) => c.notNull())
    .addColumn('amount', 'real', (c) => c.notNull())
    .addColumn('currency', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('prepare_pk', ['merchant_id', 'merchant_uid'])
    .execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('merchant_id', 'integer', (c) => c.notNull().references('merchant.id').onDelete('cascade'))
    .addColumn('imp_uid', 'text', (c) => c.notNull())
    .addColumn('merchant_uid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cancellation_id', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('due_at_ms', 'integer')
    .addColumn('hold_seconds', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retry', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('copy', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at_ms', 'integer', (c) => c.notNull())
    .addColumn('finished_at_ms', 'integer')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('webhook_delivery_due').on('webhook_delivery').columns(['state', 'due_at_ms']).execute();
  await db.schema.createIndex('webhook_delivery_payment').on('webhook_delivery').columns(['imp_uid']).execute();

  await db.schema
    .createTable('webhook_attempt')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('delivery_id', 'integer', (c) => c.notNull().references('webhook_delivery.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at_ms', 'integer', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('body_excerpt', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('webhook_attempt_delivery').on('webhook_attempt').columns(['delivery_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['webhook_attempt', 'webhook_delivery', 'prepare', 'payment', 'token', 'merchant']) {
    await db.schema.dropTable(table).execute();
  }
}
