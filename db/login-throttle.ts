import { sql, type Kysely } from 'kysely';
import type { LoginThrottleRow } from './auth-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export type ThrottleKey = { scope: 'pair' | 'ip' | 'email'; email: string; ip: string };

/**
 * Adds one to the key's counter in one statement (an upsert), starting a new window when the
 * current one began at or before `windowCutoff`. Concurrent callers each see their own number:
 * the database serialises the statement, so 30 simultaneous attempts are numbered 1 to 30.
 */
export async function countAttempt(
  db: Q,
  key: ThrottleKey,
  now: string,
  windowCutoff: string,
): Promise<{ count: number; windowStart: string }> {
  const row = await db
    .insertInto('login_throttle')
    .values({ ...key, window_start: now, attempts: 1, next_at: null })
    .onConflict((oc) =>
      oc.columns(['scope', 'email', 'ip']).doUpdateSet({
        attempts: sql<number>`case when login_throttle.window_start <= ${windowCutoff} then 1 else login_throttle.attempts + 1 end`,
        window_start: sql<string>`case when login_throttle.window_start <= ${windowCutoff} then excluded.window_start else login_throttle.window_start end`,
      }),
    )
    .returning(['attempts', 'window_start'])
    .executeTakeFirstOrThrow();
  return { count: Number(row.attempts), windowStart: row.window_start };
}

/** Takes one back (a successful sign-in does not count against its address). */
export async function refundAttempt(db: Q, key: ThrottleKey): Promise<void> {
  await db
    .updateTable('login_throttle')
    .set({ attempts: sql<number>`case when attempts > 0 then attempts - 1 else 0 end` })
    .where('scope', '=', key.scope)
    .where('email', '=', key.email)
    .where('ip', '=', key.ip)
    .execute();
}

export async function clearThrottleKey(db: Q, key: ThrottleKey): Promise<void> {
  await db
    .deleteFrom('login_throttle')
    .where('scope', '=', key.scope)
    .where('email', '=', key.email)
    .where('ip', '=', key.ip)
    .execute();
}

export function findThrottle(db: Q, key: ThrottleKey): Promise<LoginThrottleRow | undefined> {
  return db
    .selectFrom('login_throttle')
    .selectAll()
    .where('scope', '=', key.scope)
    .where('email', '=', key.email)
    .where('ip', '=', key.ip)
    .executeTakeFirst();
}

/**
 * Claims the email's next slow-down slot: sets `next_at` when it has passed (or was never set).
 * One statement, so of concurrent claimers exactly one wins. False: someone else holds the slot.
 */
export async function claimEmailSlot(db: Q, email: string, now: string, nextAt: string): Promise<boolean> {
  const result = await db
    .updateTable('login_throttle')
    .set({ next_at: nextAt })
    .where('scope', '=', 'email')
    .where('email', '=', email)
    .where('ip', '=', '')
    .where((eb) => eb.or([eb('next_at', 'is', null), eb('next_at', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Emails whose sign-in is being throttled or slowed at `now` (for the users page). */
export async function throttledEmails(db: Q, since: string, now: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('login_throttle')
    .select('email')
    .where('email', '!=', '')
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'pair'), eb('window_start', '>', since), eb('attempts', '>', 0)]),
        eb.and([eb('scope', '=', 'email'), eb('next_at', '>', now)]),
      ]),
    )
    .distinct()
    .execute();
  return new Set(rows.map((r) => r.email));
}

/** Removes every counter naming this email (the admin's unlock); answers how many there were. */
export async function clearThrottlesOfEmail(db: Q, email: string): Promise<number> {
  const result = await db.deleteFrom('login_throttle').where('email', '=', email).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Counters whose window ended before `before` and that hold no pending slow-down. */
export async function pruneThrottles(db: Q, before: string): Promise<void> {
  await db
    .deleteFrom('login_throttle')
    .where('window_start', '<', before)
    .where((eb) => eb.or([eb('next_at', 'is', null), eb('next_at', '<', before)]))
    .execute();
}
