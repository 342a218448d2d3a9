import type { Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Retention (issue 10): per store, how many days raw evidence of settled orders is kept (default
 * 180), and on each raw-evidence table the time its raw part was purged (null while kept). The
 * purge keeps every parsed column, the order, its verifications and the audit trail.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .alterTable('store')
    .addColumn('evidence_retention_days', T.int, (c) => c.notNull().defaultTo(180))
    .execute();
  for (const table of ['redirect_hit', 'webhook_delivery', 'gateway_check'])
    await db.schema.alterTable(table).addColumn('purged_at', T.text).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['redirect_hit', 'webhook_delivery', 'gateway_check'])
    await db.schema.alterTable(table).dropColumn('purged_at').execute();
  await db.schema.alterTable('store').dropColumn('evidence_retention_days').execute();
}
