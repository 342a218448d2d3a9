import { sql, type Kysely } from 'kysely';

/**
 * Fewer index pages written per alert (docs/decisions/0161). An amount mismatch writes its
 * incident and one outbox row per channel in the verification's own transaction, and on SQLite a
 * commit costs about one WAL frame per page it changed. So every index entry written there is
 * paid by every verification in a storm:
 * - `alert_incident_order_idx` goes: no query looks incidents up by order (orders are never
 *   deleted, and the order id is not a foreign key).
 * - `alert_outbox_message_idx` becomes partial (`message_id is not null`): an outbox row is
 *   written without a message, so the insert no longer touches it. Look-ups by message id still
 *   use it (`message_id = ?` implies not null, on both engines).
 * - `alert_outbox_pending_idx` (state, channel_id, id) becomes `(channel_id, id) where state =
 *   'pending'`. It serves both of its queries (the channels with pending rows, and a channel's
 *   pending rows oldest first) and leads with `channel_id`, so it replaces
 *   `alert_outbox_channel_idx`. Its entries leave once the rows are bundled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'alert_incident_order_idx',
    'alert_outbox_message_idx',
    'alert_outbox_pending_idx',
    'alert_outbox_channel_idx',
  ])
    await db.schema.dropIndex(name).execute();
  await db.schema
    .createIndex('alert_outbox_message_idx')
    .on('alert_outbox')
    .column('message_id')
    .where(sql.ref('message_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('alert_outbox_pending_idx')
    .on('alert_outbox')
    .columns(['channel_id', 'id'])
    .where(sql.ref('state'), '=', sql.lit('pending'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('alert_outbox_pending_idx').execute();
  await db.schema.dropIndex('alert_outbox_message_idx').execute();
  await db.schema
    .createIndex('alert_outbox_pending_idx')
    .on('alert_outbox')
    .columns(['state', 'channel_id', 'id'])
    .execute();
  await db.schema.createIndex('alert_outbox_message_idx').on('alert_outbox').column('message_id').execute();
  await db.schema.createIndex('alert_outbox_channel_idx').on('alert_outbox').column('channel_id').execute();
  await db.schema.createIndex('alert_incident_order_idx').on('alert_incident').column('order_id').execute();
}
