import type { Kysely } from 'kysely';
import type { NewLoginAttemptRow } from './auth-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export async function insertLoginAttempt(db: Q, row: NewLoginAttemptRow): Promise<void> {
  await db.insertInto('login_attempt').values(row).execute();
}

/**
 * Times of failed sign-ins since `since` for this email (after its last success) and for this IP,
 * oldest first: the input of the pure throttle decision.
 */
export async function recentFailures(
  db: Q,
  key: { email: string; ip: string },
  since: string,
): Promise<{ email: string[]; ip: string[] }> {
  const lastSuccess = await db
    .selectFrom('login_attempt')
    .select((eb) => eb.fn.max('at').as('at'))
    .where('email', '=', key.email)
    .where('outcome', '=', 'success')
    .where('at', '>=', since)
    .executeTakeFirst();
  const emailSince = lastSuccess?.at && lastSuccess.at > since ? lastSuccess.at : since;
  const [byEmail, byIp] = await Promise.all([
    db
      .selectFrom('login_attempt')
      .select('at')
      .where('email', '=', key.email)
      .where('outcome', '=', 'failure')
      .where('at', '>', emailSince)
      .orderBy('at')
      .execute(),
    db
      .selectFrom('login_attempt')
      .select('at')
      .where('ip', '=', key.ip)
      .where('outcome', '=', 'failure')
      .where('at', '>=', since)
      .orderBy('at')
      .execute(),
  ]);
  return { email: byEmail.map((r) => r.at), ip: byIp.map((r) => r.at) };
}

/** Attempts older than `before` only matter to nobody; keeps the table small. */
export async function pruneLoginAttempts(db: Q, before: string): Promise<void> {
  await db.deleteFrom('login_attempt').where('at', '<', before).execute();
}
