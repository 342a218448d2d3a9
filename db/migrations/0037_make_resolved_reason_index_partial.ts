import { sql, type Kysely } from 'kysely';

/**
 * 0035's index on attention_reason.resolved_at also covered `resolved_at IS NULL`, so "open
 * reasons per reason" (the overview, the attention queue) chose it over the covering partial
 * index of open reasons and read every open row from the table. Only resolved rows are looked up
 * by resolved_at (the overview's refresh, by range), so it becomes partial: `resolved_at >= ?`
 * still implies it, `resolved_at IS NULL` no longer does.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('attention_reason_resolved_idx').execute();
  await db.schema
    .createIndex('attention_reason_resolved_idx')
    .on('attention_reason')
    .column('resolved_at')
    .where(sql.ref('resolved_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('attention_reason_resolved_idx').execute();
  await db.schema.createIndex('attention_reason_resolved_idx').on('attention_reason').column('resolved_at').execute();
}
