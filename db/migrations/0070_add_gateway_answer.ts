import type { Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Resolutions that stick (issue 12, defect 5; decision 0154). The order keeps a fingerprint of
 * the gateway's last answer about it (`last_answer`), and a reason a person resolved keeps the
 * fingerprint of the answer they resolved it against (`resolved_answer`, null for a resolution by
 * the gateway or by time). The ledger opens such a reason again only when a later answer differs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema.alterTable('order').addColumn('last_answer', T.text).execute();
  await db.schema.alterTable('attention_reason').addColumn('resolved_answer', T.text).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('attention_reason').dropColumn('resolved_answer').execute();
  await db.schema.alterTable('order').dropColumn('last_answer').execute();
}
