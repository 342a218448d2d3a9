import type { Kysely } from 'kysely';
import type { NewStoreRow, StoreRow, StoreRowUpdate } from './monitor-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export function findStoreBySlug(db: Q, slug: string): Promise<StoreRow | undefined> {
  return db.selectFrom('store').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export function findStoreById(db: Q, id: number): Promise<StoreRow | undefined> {
  return db.selectFrom('store').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listStores(db: Q): Promise<StoreRow[]> {
  return db.selectFrom('store').selectAll().orderBy('slug').execute();
}

export async function insertStore(db: Q, row: NewStoreRow): Promise<StoreRow> {
  return db.insertInto('store').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateStore(db: Q, id: number, changes: StoreRowUpdate): Promise<StoreRow> {
  return db.updateTable('store').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Stores on one Iamport merchant account (several brands may share it), by slug. */
export function listStoresByImpCode(db: Q, impCode: string): Promise<StoreRow[]> {
  return db.selectFrom('store').selectAll().where('imp_code', '=', impCode).orderBy('slug').execute();
}

/** Stores using one REST API key (the same account under another name, or a copy-paste slip). */
export function listStoresByImpKey(db: Q, impKey: string): Promise<StoreRow[]> {
  return db.selectFrom('store').selectAll().where('imp_key', '=', impKey).orderBy('slug').execute();
}
