import type { Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Archiving a store (issue 12; decision 0155): when and by whom it was archived (null while
 * active). An archived store's public routes answer 410 and its jobs skip it; its data stays.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema.alterTable('store').addColumn('archived_at', T.text).execute();
  await db.schema.alterTable('store').addColumn('archived_by', T.text).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('store').dropColumn('archived_by').execute();
  await db.schema.alterTable('store').dropColumn('archived_at').execute();
}
