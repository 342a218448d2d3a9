import type { Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * An optional per-store `merchant_uid` prefix (issue 12; decision 0155): on a merchant code shared
 * by several stores, a payment nobody registered whose merchant_uid starts with a store's prefix is
 * that store's. Null: no prefix.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema.alterTable('store').addColumn('merchant_uid_prefix', T.text).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('store').dropColumn('merchant_uid_prefix').execute();
}
