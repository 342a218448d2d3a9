import { columnTypes } from '../dialect';
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('app_setting')
    .addColumn('key', T.text, (col) => col.primaryKey())
    .addColumn('value', T.text, (col) => col.notNull())
    .addColumn('updated_at', T.text, (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('app_setting').execute();
}
