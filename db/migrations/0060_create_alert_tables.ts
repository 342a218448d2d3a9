import { sql, type Kysely } from 'kysely';

/**
 * Alerts (docs/decisions/0160-alerts.md): channels, per-store rule settings, incidents, the
 * outbox written in the transaction of the event that caused it, the messages the worker sends
 * (one per channel per grouping interval) and every delivery attempt with its answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_channel')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('locale', 'text', (col) => col.notNull())
    .addColumn('min_severity', 'text', (col) => col.notNull())
    .addColumn('store_ids', 'text')
    .addColumn('group_seconds', 'integer', (col) => col.notNull())
    .addColumn('config_json', 'text', (col) => col.notNull())
    .addColumn('secret_enc', 'text')
    .addColumn('next_send_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('alert_rule_setting')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('store_id', 'integer', (col) => col.notNull().references('store.id'))
    .addColumn('rule', 'text', (col) => col.notNull())
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('threshold', 'integer')
    .addColumn('reminder_minutes', 'integer')
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('updated_by', 'text')
    .execute();
  await db.schema
    .createIndex('alert_rule_setting_unique')
    .on('alert_rule_setting')
    .columns(['store_id', 'rule'])
    .unique()
    .execute();

  await db.schema
    .createTable('alert_incident')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('rule', 'text', (col) => col.notNull())
    .addColumn('severity', 'text', (col) => col.notNull())
    .addColumn('store_id', 'integer')
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('dedupe_key', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('order_id', 'integer')
    .addColumn('detail_json', 'text', (col) => col.notNull())
    .addColumn('event_count', 'integer', (col) => col.notNull())
    .addColumn('opened_at', 'text', (col) => col.notNull())
    .addColumn('last_event_at', 'text', (col) => col.notNull())
    .addColumn('next_reminder_at', 'text')
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'text')
    .addColumn('muted_until', 'text')
    .addColumn('mute_reason', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text')
    .execute();
  // One incident per (rule, store, subject) while it is open: the database says so, not only the code.
  await db.schema
    .createIndex('alert_incident_open_unique')
    .on('alert_incident')
    .column('dedupe_key')
    .unique()
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();
  await db.schema.createIndex('alert_incident_state_idx').on('alert_incident').columns(['state', 'id']).execute();
  await db.schema
    .createIndex('alert_incident_reminder_idx')
    .on('alert_incident')
    .column('next_reminder_at')
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();
  await db.schema.createIndex('alert_incident_order_idx').on('alert_incident').column('order_id').execute();

  await db.schema
    .createTable('alert_message')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('channel_id', 'integer', (col) => col.notNull().references('alert_channel.id'))
    .addColumn('webhook_id', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('item_count', 'integer', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('next_attempt_at', 'text', (col) => col.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema
    .createIndex('alert_message_due_idx')
    .on('alert_message')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('alert_message_channel_idx')
    .on('alert_message')
    .columns(['channel_id', 'state'])
    .execute();

  await db.schema
    .createTable('alert_outbox')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('channel_id', 'integer', (col) => col.notNull().references('alert_channel.id'))
    .addColumn('incident_id', 'integer')
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('message_id', 'integer')
    .addColumn('payload_json', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('alert_outbox_pending_idx')
    .on('alert_outbox')
    .columns(['state', 'channel_id', 'id'])
    .execute();
  await db.schema.createIndex('alert_outbox_message_idx').on('alert_outbox').column('message_id').execute();
  await db.schema.createIndex('alert_outbox_incident_idx').on('alert_outbox').column('incident_id').execute();

  await db.schema
    .createTable('alert_delivery_attempt')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('message_id', 'integer', (col) => col.notNull().references('alert_message.id'))
    .addColumn('channel_id', 'integer', (col) => col.notNull())
    .addColumn('attempt', 'integer', (col) => col.notNull())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('ok', 'integer', (col) => col.notNull())
    .addColumn('latency_ms', 'integer', (col) => col.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_text', 'text')
    .addColumn('error', 'text')
    .addColumn('worker', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('alert_delivery_attempt_message_idx')
    .on('alert_delivery_attempt')
    .columns(['message_id', 'id'])
    .execute();

  // Webhook silence per store reads the newest delivery of each store, not the whole table.
  await db.schema
    .createIndex('webhook_delivery_store_received_idx')
    .on('webhook_delivery')
    .columns(['store_id', 'received_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_delivery_store_received_idx').execute();
  for (const table of [
    'alert_delivery_attempt',
    'alert_outbox',
    'alert_message',
    'alert_incident',
    'alert_rule_setting',
    'alert_channel',
  ])
    await db.schema.dropTable(table).execute();
}
