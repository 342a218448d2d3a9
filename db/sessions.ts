import type { Kysely } from 'kysely';
import type { NewSessionRow, SessionRow, UserRow } from './auth-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export function insertSession(db: Q, row: NewSessionRow): Promise<SessionRow> {
  return db.insertInto('session').values(row).returningAll().executeTakeFirstOrThrow();
}

export type LiveSession = { session: SessionRow; user: UserRow };

/**
 * The session with this id if it is live (not revoked, not expired, seen after `idleCutoff`) and
 * its user is enabled. Everything that ends a session is checked here, in one query.
 */
export async function findLiveSession(
  db: Q,
  id: string,
  now: string,
  idleCutoff: string,
): Promise<LiveSession | undefined> {
  const row = await db
    .selectFrom('session')
    .innerJoin('user', 'user.id', 'session.user_id')
    .select([
      'session.id as s_id',
      'session.user_id as s_user_id',
      'session.created_at as s_created_at',
      'session.expires_at as s_expires_at',
      'session.last_seen_at as s_last_seen_at',
      'session.revoked_at as s_revoked_at',
      'session.ip as s_ip',
      'session.user_agent as s_user_agent',
      'user.id',
      'user.email',
      'user.role',
      'user.password_hash',
      'user.disabled_at',
      'user.last_sign_in_at',
      'user.created_at',
      'user.updated_at',
    ])
    .where('session.id', '=', id)
    .where('session.revoked_at', 'is', null)
    .where('session.expires_at', '>', now)
    .where('session.last_seen_at', '>', idleCutoff)
    .where('user.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    session: {
      id: row.s_id,
      user_id: row.s_user_id,
      created_at: row.s_created_at,
      expires_at: row.s_expires_at,
      last_seen_at: row.s_last_seen_at,
      revoked_at: row.s_revoked_at,
      ip: row.s_ip,
      user_agent: row.s_user_agent,
    },
    user: {
      id: row.id,
      email: row.email,
      role: row.role,
      password_hash: row.password_hash,
      disabled_at: row.disabled_at,
      last_sign_in_at: row.last_sign_in_at,
      created_at: row.created_at,
      updated_at: row.updated_at,
    },
  };
}

export async function touchSession(db: Q, id: string, now: string): Promise<void> {
  await db.updateTable('session').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function revokeSession(db: Q, id: string, now: string): Promise<void> {
  await db
    .updateTable('session')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes every live session of a user; answers how many were live. */
export async function revokeUserSessions(db: Q, userId: number, now: string): Promise<number> {
  const result = await db
    .updateTable('session')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Revokes every live session of a user except `keepId` (a password change); answers how many. */
export async function revokeOtherSessions(db: Q, userId: number, keepId: string, now: string): Promise<number> {
  const result = await db
    .updateTable('session')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('id', '!=', keepId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
