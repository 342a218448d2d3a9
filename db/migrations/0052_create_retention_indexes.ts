import { sql, type Kysely } from 'kysely';

/**
 * The retention purge (app/monitor/jobs/purge.server.ts) keeps the raw evidence an unsettled order
 * still links to through its verifications; these partial indexes answer "which verifications
 * name this hit, delivery or check" without reading the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['redirect_hit_id', 'webhook_delivery_id', 'gateway_check_id'])
    await db.schema
      .createIndex(`verification_${column}_idx`)
      .on('verification')
      .column(column)
      .where(sql.ref(column), 'is not', null)
      .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['redirect_hit_id', 'webhook_delivery_id', 'gateway_check_id'])
    await db.schema.dropIndex(`verification_${column}_idx`).execute();
}
