import type { Kysely } from 'kysely';
import type { NewLoginAttemptRow } from './auth-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export async function insertLoginAttempt(db: Q, row: NewLoginAttemptRow): Promise<void> {
  await db.insertInto('login_attempt').values(row).execute();
}

/** Attempts older than `before` only matter to nobody; keeps the table small. */
export async function pruneLoginAttempts(db: Q, before: string): Promise<void> {
  await db.deleteFrom('login_attempt').where('at', '<', before).execute();
}

/** True when this address signed in to this email successfully since `since`. */
export async function hasSucceededFrom(db: Q, email: string, ip: string, since: string): Promise<boolean> {
  const row = await db
    .selectFrom('login_attempt')
    .select('id')
    .where('email', '=', email)
    .where('ip', '=', ip)
    .where('outcome', '=', 'success')
    .where('at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
