import type { Kysely } from 'kysely';
import type { Database } from './schema';

type Q = Kysely<Database>;

export async function getSetting(db: Q, key: string): Promise<string | null> {
  const row = await db.selectFrom('app_setting').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value ?? null;
}

export async function putSetting(db: Q, key: string, value: string, at: string): Promise<void> {
  await db
    .insertInto('app_setting')
    .values({ key, value, updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: at }))
    .execute();
}
