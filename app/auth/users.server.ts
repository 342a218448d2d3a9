import { z } from 'zod';
import type { Db } from '../../db/connection';
import { insertLoginAttempt, pruneLoginAttempts, recentFailures } from '../../db/login-attempts';
import { revokeSession, revokeUserSessions } from '../../db/sessions';
import type { UserRow } from '../../db/auth-schema';
import {
  countOtherActiveAdmins,
  countUsers,
  findUserByEmail,
  findUserById,
  insertUserIfAbsent,
  listUsersWithSessions,
  updateUser,
} from '../../db/users';
import type { Config } from '../config.server';
import type { Log } from '../logger.server';
import { toDbTime } from '../monitor/time';
import { recordAudit } from './audit.server';
import {
  generatePassword,
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from './password.server';
import { isRole, ROLES, type Role } from './roles';
import { startSession, type SessionUser } from './session.server';
import { LOGIN_THROTTLE, throttleDecision } from './throttle';

/** Users and sign-in: the domain functions behind /login, /logout and /users. */

export type AuthDeps = { db: Db; now: () => Date; log: Log; config: Config };

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/);
export const passwordSchema = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);
export const roleSchema = z.enum(ROLES);

/** Reasons a user change is refused; routes map them to messages. */
export type UserErrorReason = 'invalid_email' | 'weak_password' | 'email_taken' | 'not_found' | 'last_admin' | 'self';

/** An expected refusal of a user change, answered as a result (never thrown at the caller). */
export type UserRefusal = { ok: false; reason: UserErrorReason; status: 400 | 404 | 409; message: string };

function refusal(status: UserRefusal['status'], reason: UserErrorReason, message: string): UserRefusal {
  return { ok: false, reason, status, message };
}

/** Thrown inside a transaction to roll it back; turned into its refusal by `refusable`. */
class Refused extends Error {
  constructor(readonly refusal: UserRefusal) {
    super(refusal.message);
  }
}

/** Runs a change in a transaction; a refusal raised inside rolls it back and is answered. */
async function refusable<T>(db: Db, change: (trx: Db) => Promise<T>): Promise<({ ok: true } & T) | UserRefusal> {
  try {
    return { ok: true as const, ...(await db.transaction().execute(change)) };
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

export type UserSummary = {
  id: number;
  email: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
  activeSessions: number;
};

function snapshot(row: UserRow) {
  return { email: row.email, role: row.role, disabled: row.disabled_at !== null };
}

// ---------------------------------------------------------------------------------------------
// Sign-in and sign-out

export type SignInResult =
  | { kind: 'signed_in'; user: SessionUser; setCookie: string }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterSeconds: number; scope: 'email' | 'ip' };

const ATTEMPT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Checks the password and starts a session. Refuses before looking at the password while the
 * email or the IP is throttled (LOGIN_THROTTLE), so a correct guess during a block is useless.
 * Unknown and disabled accounts cost the same time as real ones and answer the same `invalid`.
 */
export async function signIn(
  deps: AuthDeps,
  input: { email: string; password: string; ip: string; userAgent: string | null; previousSessionId: string | null },
): Promise<SignInResult> {
  const now = deps.now();
  const at = toDbTime(now);
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const since = toDbTime(new Date(now.getTime() - LOGIN_THROTTLE.windowMs));
  const failures = await recentFailures(deps.db, { email, ip: input.ip }, since);
  const decision = throttleDecision(failures, now, LOGIN_THROTTLE);
  if (!decision.allowed) {
    await insertLoginAttempt(deps.db, { at, email, ip: input.ip, outcome: 'throttled' });
    deps.log.warn({ email, ip: input.ip, scope: decision.scope }, 'sign-in throttled');
    return { kind: 'throttled', retryAfterSeconds: decision.retryAfterSeconds, scope: decision.scope };
  }

  const user = await findUserByEmail(deps.db, email);
  const password = input.password.slice(0, PASSWORD_MAX_LENGTH);
  const ok =
    user && user.disabled_at === null && isRole(user.role)
      ? await verifyPassword(password, user.password_hash)
      : await verifyAgainstDummy(password);
  if (!ok || !user) {
    await insertLoginAttempt(deps.db, { at, email, ip: input.ip, outcome: 'failure' });
    return { kind: 'invalid' };
  }

  await insertLoginAttempt(deps.db, { at, email, ip: input.ip, outcome: 'success' });
  await pruneLoginAttempts(deps.db, toDbTime(new Date(now.getTime() - ATTEMPT_RETENTION_MS)));
  const changes: { last_sign_in_at: string; password_hash?: string } = { last_sign_in_at: at };
  if (needsRehash(user.password_hash)) changes.password_hash = await hashPassword(password);
  await updateUser(deps.db, user.id, changes);
  // A new token on every sign-in: a token planted before sign-in is never promoted.
  if (input.previousSessionId) await revokeSession(deps.db, input.previousSessionId, at);
  const session = await startSession(deps, user.id, { ip: input.ip, userAgent: input.userAgent });
  const sessionUser: SessionUser = {
    id: user.id,
    email: user.email,
    role: user.role as Role,
    sessionId: session.sessionId,
  };
  await recordAudit(deps, {
    actor: sessionUser,
    action: 'auth.sign_in',
    target: { type: 'user', id: user.id },
    ip: input.ip,
  });
  return { kind: 'signed_in', user: sessionUser, setCookie: session.setCookie };
}

/** Revokes the session (if it is live) and records the sign-out. */
export async function signOut(
  deps: AuthDeps,
  user: SessionUser | null,
  sessionId: string | null,
  ip: string,
): Promise<void> {
  if (!sessionId) return;
  await revokeSession(deps.db, sessionId, toDbTime(deps.now()));
  if (user)
    await recordAudit(deps, { actor: user, action: 'auth.sign_out', target: { type: 'user', id: user.id }, ip });
}

// ---------------------------------------------------------------------------------------------
// User administration (admin only; the routes check the role, these check the invariants)

export async function listUsers(deps: Pick<AuthDeps, 'db' | 'now'>): Promise<UserSummary[]> {
  const rows = await listUsersWithSessions(deps.db, toDbTime(deps.now()));
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    role: isRole(row.role) ? row.role : 'viewer',
    disabled: row.disabled_at !== null,
    createdAt: row.created_at,
    lastSignInAt: row.last_sign_in_at,
    activeSessions: row.active_sessions,
  }));
}

/**
 * Creates a user. Without `password` a random one is generated and answered once
 * (`generatedPassword`); only its hash is kept.
 */
export async function createUser(
  deps: AuthDeps,
  actor: SessionUser,
  input: { email: string; role: Role; password: string | null },
  ip: string,
): Promise<{ ok: true; user: UserSummary; generatedPassword: string | null } | UserRefusal> {
  const email = emailSchema.safeParse(input.email);
  if (!email.success) return refusal(400, 'invalid_email', 'Enter a valid email address');
  if (input.password !== null && !passwordSchema.safeParse(input.password).success) {
    return refusal(400, 'weak_password', `Passwords need ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  }
  const generatedPassword = input.password === null ? generatePassword() : null;
  const at = toDbTime(deps.now());
  const row = await insertUserIfAbsent(deps.db, {
    email: email.data,
    role: input.role,
    password_hash: await hashPassword(input.password ?? generatedPassword!),
    disabled_at: null,
    last_sign_in_at: null,
    created_at: at,
    updated_at: at,
  });
  if (!row) return refusal(409, 'email_taken', 'A user with this email already exists');
  await recordAudit(deps, {
    actor,
    action: 'user.create',
    target: { type: 'user', id: row.id },
    after: { ...snapshot(row), password: generatedPassword ? 'generated' : 'set by admin' },
    ip,
  });
  return {
    ok: true,
    user: {
      id: row.id,
      email: row.email,
      role: input.role,
      disabled: false,
      createdAt: at,
      lastSignInAt: null,
      activeSessions: 0,
    },
    generatedPassword,
  };
}

async function existingUser(db: Db, userId: number): Promise<UserRow> {
  const row = await findUserById(db, userId);
  if (!row) throw new Refused(refusal(404, 'not_found', 'No such user'));
  return row;
}

/** Refuses (rolling the transaction back) when the change would leave no enabled admin. */
async function keepAnAdmin(db: Db, userId: number): Promise<void> {
  if ((await countOtherActiveAdmins(db, userId)) === 0) {
    throw new Refused(refusal(409, 'last_admin', 'This is the last enabled admin; make another admin first'));
  }
}

/** Answers the user's email (for the confirmation message). */
export async function changeUserRole(
  deps: AuthDeps,
  actor: SessionUser,
  userId: number,
  role: Role,
  ip: string,
): Promise<{ ok: true; email: string } | UserRefusal> {
  return refusable(deps.db, async (trx) => {
    const before = await existingUser(trx, userId);
    if (before.role === role) return { email: before.email };
    const after = await updateUser(trx, userId, { role, updated_at: toDbTime(deps.now()) });
    if (before.role === 'admin' && before.disabled_at === null) await keepAnAdmin(trx, userId);
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: 'user.role_change',
        target: { type: 'user', id: userId },
        before: snapshot(before),
        after: snapshot(after),
        ip,
      },
    );
    return { email: after.email };
  });
}

/** Disabling also revokes every session of the user; nobody can disable themselves. */
export async function setUserDisabled(
  deps: AuthDeps,
  actor: SessionUser,
  userId: number,
  disabled: boolean,
  ip: string,
): Promise<{ ok: true; email: string } | UserRefusal> {
  if (disabled && userId === actor.id) return refusal(400, 'self', 'You cannot disable your own account');
  return refusable(deps.db, async (trx) => {
    const before = await existingUser(trx, userId);
    if ((before.disabled_at !== null) === disabled) return { email: before.email };
    const at = toDbTime(deps.now());
    const after = await updateUser(trx, userId, { disabled_at: disabled ? at : null, updated_at: at });
    if (disabled && before.role === 'admin') await keepAnAdmin(trx, userId);
    const revoked = disabled ? await revokeUserSessions(trx, userId, at) : 0;
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: disabled ? 'user.disable' : 'user.enable',
        target: { type: 'user', id: userId },
        before: snapshot(before),
        after: { ...snapshot(after), ...(disabled ? { revokedSessions: revoked } : {}) },
        ip,
      },
    );
    return { email: after.email };
  });
}

/** Signs the user out everywhere; answers how many sessions were live. */
export async function revokeSessionsOf(
  deps: AuthDeps,
  actor: SessionUser,
  userId: number,
  ip: string,
): Promise<{ ok: true; email: string; revoked: number } | UserRefusal> {
  return refusable(deps.db, async (trx) => {
    const user = await existingUser(trx, userId);
    const revoked = await revokeUserSessions(trx, userId, toDbTime(deps.now()));
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: 'user.sessions_revoke',
        target: { type: 'user', id: userId },
        after: { revokedSessions: revoked },
        ip,
      },
    );
    return { email: user.email, revoked };
  });
}

// ---------------------------------------------------------------------------------------------
// First admin

export type FirstAdminOutcome =
  | { created: false }
  | { created: true; email: string; source: 'env' | 'generated'; generatedPassword: string | null };

export const DEFAULT_ADMIN_EMAIL = 'admin@localhost';

/**
 * At start: when there is no user at all, creates an admin from ADMIN_EMAIL/ADMIN_PASSWORD, or
 * `admin@localhost` (or ADMIN_EMAIL) with a random password logged once. Does nothing once any
 * user exists (it never resets a password). Safe when several instances start together: only
 * the one whose insert wins logs a password.
 */
export async function ensureFirstAdmin(deps: AuthDeps): Promise<FirstAdminOutcome> {
  if ((await countUsers(deps.db)) > 0) return { created: false };
  const { email: configured, password } = deps.config.auth.firstAdmin;
  const email = configured ?? DEFAULT_ADMIN_EMAIL;
  const generatedPassword = password ? null : generatePassword();
  const at = toDbTime(deps.now());
  const row = await insertUserIfAbsent(deps.db, {
    email,
    role: 'admin',
    password_hash: await hashPassword(password ?? generatedPassword!),
    disabled_at: null,
    last_sign_in_at: null,
    created_at: at,
    updated_at: at,
  });
  if (!row) return { created: false };
  const source = password ? 'env' : 'generated';
  await recordAudit(deps, {
    actor: 'system',
    action: 'user.create',
    target: { type: 'user', id: row.id },
    after: { ...snapshot(row), source },
  });
  if (generatedPassword) {
    deps.log.warn(
      { email, initialPassword: generatedPassword },
      `first admin created: sign in as ${email} with this password (shown once)`,
    );
  } else {
    deps.log.info({ email }, 'first admin created from ADMIN_EMAIL/ADMIN_PASSWORD');
  }
  return { created: true, email, source, generatedPassword };
}
