import type { Kysely } from 'kysely';
import type { NewUserRow, UserRow, UserRowUpdate } from './auth-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

export function findUserByEmail(db: Q, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('user').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findUserById(db: Q, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countUsers(db: Q): Promise<number> {
  const row = await db
    .selectFrom('user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Active (not disabled) admins other than `exceptId`: guards against locking everyone out. */
export async function countOtherActiveAdmins(db: Q, exceptId: number): Promise<number> {
  const row = await db
    .selectFrom('user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type UserListRow = UserRow & { active_sessions: number };

/** Every user with the number of live sessions, for the users page. */
export function listUsersWithSessions(db: Q, now: string): Promise<UserListRow[]> {
  return db
    .selectFrom('user')
    .selectAll('user')
    .select((eb) =>
      eb
        .selectFrom('session')
        .select((eb2) => eb2.fn.countAll<number>().as('n'))
        .whereRef('session.user_id', '=', 'user.id')
        .where('session.revoked_at', 'is', null)
        .where('session.expires_at', '>', now)
        .as('active_sessions'),
    )
    .orderBy('user.email')
    .execute()
    .then((rows) => rows.map((row) => ({ ...row, active_sessions: Number(row.active_sessions ?? 0) })));
}

/** Inserts unless the email exists; answers undefined when another writer got there first. */
export function insertUserIfAbsent(db: Q, row: NewUserRow): Promise<UserRow | undefined> {
  return db
    .insertInto('user')
    .values(row)
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function updateUser(db: Q, id: number, changes: UserRowUpdate): Promise<UserRow> {
  return db.updateTable('user').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}
