import { sql, type Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Webhook de-duplication by a unique key instead of select-then-insert
 * (docs/decisions/0008-postgresql-engine.md): one row per delivery identity (store, imp_uid,
 * status, cancellation id), claimed with `insert ... on conflict do nothing`, so exactly one
 * delivery is the original under any concurrency, on one instance or several. A null status or
 * cancellation id is '' and a present one is '=' followed by the value, so absent and empty
 * stay apart in a not-null key. Existing originals are carried over.
 *
 * Plus indexes on foreign keys that are joined or deleted through and had none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('webhook_dedup')
    .addColumn('store_id', T.int, (col) => col.notNull().references('store.id'))
    .addColumn('imp_uid', T.text, (col) => col.notNull())
    .addColumn('status_key', T.text, (col) => col.notNull())
    .addColumn('cancellation_key', T.text, (col) => col.notNull())
    // The original delivery; null only inside the transaction that claims the key.
    .addColumn('delivery_id', T.int, (col) => col.references('webhook_delivery.id'))
    .addPrimaryKeyConstraint('webhook_dedup_pk', ['store_id', 'imp_uid', 'status_key', 'cancellation_key'])
    .execute();
  await sql`
    insert into webhook_dedup (store_id, imp_uid, status_key, cancellation_key, delivery_id)
    select store_id, imp_uid,
      case when status is null then '' else '=' || status end,
      case when cancellation_id is null then '' else '=' || cancellation_id end,
      min(id)
    from webhook_delivery
    where answer_status = 200 and duplicate_of is null and store_id is not null and imp_uid is not null
    group by store_id, imp_uid,
      case when status is null then '' else '=' || status end,
      case when cancellation_id is null then '' else '=' || cancellation_id end
  `.execute(db);
  await db.schema.createIndex('webhook_dedup_delivery_idx').on('webhook_dedup').column('delivery_id').execute();

  // The worker reads a job's delivery; deleting deliveries would scan the jobs without this.
  await db.schema.createIndex('webhook_job_delivery_idx').on('webhook_job').column('delivery_id').execute();
  // Duplicates point at their original; verifications at the evidence that triggered them.
  for (const [table, column] of [
    ['webhook_delivery', 'duplicate_of'],
    ['verification', 'webhook_delivery_id'],
    ['verification', 'redirect_hit_id'],
    ['verification', 'gateway_check_id'],
  ] as const) {
    await db.schema
      .createIndex(`${table}_${column}_idx`)
      .on(table)
      .column(column)
      .where(sql.ref(column), 'is not', null)
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'verification_gateway_check_id_idx',
    'verification_redirect_hit_id_idx',
    'verification_webhook_delivery_id_idx',
    'webhook_delivery_duplicate_of_idx',
    'webhook_job_delivery_idx',
  ]) {
    await db.schema.dropIndex(name).execute();
  }
  await db.schema.dropTable('webhook_dedup').execute();
}
