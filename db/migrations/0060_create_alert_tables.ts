import { sql, type Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Alerts (docs/decisions/0160-alerts.md): channels, per-store rule settings, incidents, the
 * outbox written in the transaction of the event that caused it, the messages the worker sends
 * (one per channel per grouping interval) and every delivery attempt with its answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('alert_channel')
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('name', T.text, (col) => col.notNull())
    .addColumn('kind', T.text, (col) => col.notNull())
    .addColumn('enabled', T.int, (col) => col.notNull())
    .addColumn('locale', T.text, (col) => col.notNull())
    .addColumn('min_severity', T.text, (col) => col.notNull())
    .addColumn('store_ids', T.text)
    .addColumn('group_seconds', T.int, (col) => col.notNull())
    .addColumn('config_json', T.text, (col) => col.notNull())
    .addColumn('secret_enc', T.text)
    .addColumn('next_send_at', T.text)
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('updated_at', T.text, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('alert_rule_setting')
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('rule', T.text, (col) => col.notNull())
    .addColumn('enabled', T.int, (col) => col.notNull())
    .addColumn('threshold', T.int)
    .addColumn('reminder_minutes', T.int)
    .addColumn('updated_at', T.text, (col) => col.notNull())
    .addColumn('updated_by', T.text)
    .execute();
  await db.schema
    .createIndex('alert_rule_setting_unique')
    .on('alert_rule_setting')
    .columns(['store_id', 'rule'])
    .unique()
    .execute();

  await db.schema
    .createTable('alert_incident')
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('rule', T.text, (col) => col.notNull())
    .addColumn('severity', T.text, (col) => col.notNull())
    .addColumn('store_id', T.int)
    .addColumn('subject', T.text, (col) => col.notNull())
    .addColumn('dedupe_key', T.text, (col) => col.notNull())
    .addColumn('state', T.text, (col) => col.notNull())
    .addColumn('order_id', T.int)
    .addColumn('detail_json', T.text, (col) => col.notNull())
    .addColumn('event_count', T.int, (col) => col.notNull())
    .addColumn('opened_at', T.text, (col) => col.notNull())
    .addColumn('last_event_at', T.text, (col) => col.notNull())
    .addColumn('next_reminder_at', T.text)
    .addColumn('acknowledged_at', T.text)
    .addColumn('acknowledged_by', T.text)
    .addColumn('muted_until', T.text)
    .addColumn('mute_reason', T.text)
    .addColumn('resolved_at', T.text)
    .addColumn('resolved_by', T.text)
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
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('channel_id', T.int, (col) => col.notNull().references('alert_channel.id'))
    .addColumn('webhook_id', T.text, (col) => col.notNull())
    .addColumn('state', T.text, (col) => col.notNull())
    .addColumn('item_count', T.int, (col) => col.notNull())
    .addColumn('attempts', T.int, (col) => col.notNull())
    .addColumn('next_attempt_at', T.text, (col) => col.notNull())
    .addColumn('locked_until', T.text)
    .addColumn('locked_by', T.text)
    .addColumn('last_error', T.text)
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('sent_at', T.text)
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
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('channel_id', T.int, (col) => col.notNull().references('alert_channel.id'))
    .addColumn('incident_id', T.int)
    .addColumn('kind', T.text, (col) => col.notNull())
    .addColumn('state', T.text, (col) => col.notNull())
    .addColumn('message_id', T.int)
    .addColumn('payload_json', T.text, (col) => col.notNull())
    .addColumn('created_at', T.text, (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('alert_outbox_pending_idx')
    .on('alert_outbox')
    .columns(['state', 'channel_id', 'id'])
    .execute();
  await db.schema.createIndex('alert_outbox_message_idx').on('alert_outbox').column('message_id').execute();
  await db.schema.createIndex('alert_outbox_channel_idx').on('alert_outbox').column('channel_id').execute();
  await db.schema.createIndex('alert_outbox_incident_idx').on('alert_outbox').column('incident_id').execute();

  await db.schema
    .createTable('alert_delivery_attempt')
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('message_id', T.int, (col) => col.notNull().references('alert_message.id'))
    .addColumn('channel_id', T.int, (col) => col.notNull())
    .addColumn('attempt', T.int, (col) => col.notNull())
    .addColumn('at', T.text, (col) => col.notNull())
    .addColumn('ok', T.int, (col) => col.notNull())
    .addColumn('latency_ms', T.int, (col) => col.notNull())
    .addColumn('response_status', T.int)
    .addColumn('response_text', T.text)
    .addColumn('error', T.text)
    .addColumn('worker', T.text, (col) => col.notNull())
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
