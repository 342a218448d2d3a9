import type { Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * One row counting changes to the alert configuration (rule settings and channels), so every app
 * instance can keep that configuration in memory and re-read it only when the counter moved
 * (docs/decisions/0161-alert-config-cache.md). Every write of `alert_rule_setting` or
 * `alert_channel`'s settings bumps it in the same transaction (db/alerts.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('alert_config_version')
    .addColumn('id', T.int, (col) => T.pk(col))
    .addColumn('version', T.int, (col) => col.notNull())
    .execute();
  await (db as Kysely<{ alert_config_version: { id: number; version: number } }>)
    .insertInto('alert_config_version')
    .values({ id: 1, version: 0 })
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_config_version').execute();
}
