import { z } from 'zod';
import type { Db } from '../../db/connection';
import { hasSucceededFrom, insertLoginAttempt, pruneLoginAttempts } from '../../db/login-attempts';
import {
  claimEmailSlot,
  clearThrottleKey,
  clearThrottlesOfEmail,
  countAttempt,
  findThrottle,
  pruneThrottles,
  refundAttempt,
  throttledEmails,
  type ThrottleKey,
} from '../../db/login-throttle';
import { revokeOtherSessions, revokeSession, revokeUserSessions } from '../../db/sessions';
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
  PasswordBusyError,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from './password.server';
import { isRole, ROLES, type Role } from './roles';
import { startSession, type SessionUser } from './session.server';
import {
  countedDecision,
  emailDelayMs,
  LOGIN_THROTTLE,
  secondsUntil,
  type ThrottleDecision,
  type ThrottleScope,
} from './throttle';
import { AppError } from '../errors';

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
export type UserErrorReason =
  | 'invalid_email'
  | 'weak_password'
  | 'email_taken'
  | 'not_found'
  | 'last_admin'
  | 'self'
  | 'wrong_password'
  | 'throttled'
  | 'self_reset';

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
  /** Sign-in from some address is being refused or slowed right now (an admin can clear it). */
  throttled: boolean;
};

function snapshot(row: UserRow) {
  return { email: row.email, role: row.role, disabled: row.disabled_at !== null };
}

// ---------------------------------------------------------------------------------------------
// Sign-in and sign-out

export type SignInResult =
  | { kind: 'signed_in'; user: SessionUser; setCookie: string }
  | { kind: 'invalid' }
  | { kind: 'throttled'; retryAfterSeconds: number; scope: ThrottleScope };

const ATTEMPT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The throttle gate in front of a password check: counts the attempt first (pair, then address),
 * then applies the email's slow-down to addresses that never signed in to it. Every step is one
 * atomic statement, so concurrent attempts cannot all slip under a limit.
 */
async function gateAttempt(
  deps: Pick<AuthDeps, 'db'>,
  email: string,
  ip: string,
  now: Date,
): Promise<{ decision: ThrottleDecision; pair: ThrottleKey; address: ThrottleKey }> {
  const policy = LOGIN_THROTTLE;
  const at = toDbTime(now);
  const cutoff = toDbTime(new Date(now.getTime() - policy.windowMs));
  const pair: ThrottleKey = { scope: 'pair', email, ip };
  const address: ThrottleKey = { scope: 'ip', email: '', ip };
  const pairCount = await countAttempt(deps.db, pair, at, cutoff);
  const ipCount = await countAttempt(deps.db, address, at, cutoff);
  let decision = countedDecision('pair', pairCount, policy.maxPerPair, now, policy.windowMs);
  if (decision.allowed) decision = countedDecision('ip', ipCount, policy.maxPerIp, now, policy.windowMs);
  if (!decision.allowed) return { decision, pair, address };

  const emailKey: ThrottleKey = { scope: 'email', email, ip: '' };
  const state = await findThrottle(deps.db, emailKey);
  const emailCutoff = toDbTime(new Date(now.getTime() - policy.emailWindowMs));
  const delay = state && state.window_start > emailCutoff ? emailDelayMs(state.attempts, policy) : 0;
  if (delay === 0) return { decision, pair, address };
  const known = await hasSucceededFrom(deps.db, email, ip, toDbTime(new Date(now.getTime() - policy.knownAddressMs)));
  if (known) return { decision, pair, address };
  if (await claimEmailSlot(deps.db, email, at, toDbTime(new Date(now.getTime() + delay))))
    return { decision, pair, address };
  const holder = await findThrottle(deps.db, emailKey);
  const retryAfterSeconds = holder?.next_at ? secondsUntil(holder.next_at, now) : 1;
  return { decision: { allowed: false, scope: 'email', retryAfterSeconds }, pair, address };
}

/** A checked wrong password: one more failure for the email's slow-down. */
async function recordEmailFailure(deps: Pick<AuthDeps, 'db'>, email: string, now: Date): Promise<void> {
  const cutoff = toDbTime(new Date(now.getTime() - LOGIN_THROTTLE.emailWindowMs));
  await countAttempt(deps.db, { scope: 'email', email, ip: '' }, toDbTime(now), cutoff);
}

/**
 * Checks the password and starts a session. The attempt is counted before the password is
 * looked at (LOGIN_THROTTLE, docs/decisions/0123-sign-in-throttle.md): past the limit of its
 * (email, address) pair or its address, or inside the email's slow-down, it is refused without
 * running scrypt, so a correct guess during a block is useless and a burst gets no extra checks.
 * Unknown and disabled accounts cost the same time as real ones and answer the same `invalid`.
 */
export async function signIn(
  deps: AuthDeps,
  input: { email: string; password: string; ip: string; userAgent: string | null; previousSessionId: string | null },
): Promise<SignInResult> {
  const now = deps.now();
  const at = toDbTime(now);
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const ip = input.ip.slice(0, 100);
  const gate = await gateAttempt(deps, email, ip, now);
  if (!gate.decision.allowed) {
    await insertLoginAttempt(deps.db, { at, email, ip, outcome: 'throttled' });
    deps.log.warn({ email, ip, scope: gate.decision.scope }, 'sign-in throttled');
    return { kind: 'throttled', retryAfterSeconds: gate.decision.retryAfterSeconds, scope: gate.decision.scope };
  }

  const user = await findUserByEmail(deps.db, email);
  const password = input.password.slice(0, PASSWORD_MAX_LENGTH);
  let ok: boolean;
  try {
    ok =
      user && user.disabled_at === null && isRole(user.role)
        ? await verifyPassword(password, user.password_hash)
        : await verifyAgainstDummy(password);
  } catch (error) {
    if (!(error instanceof PasswordBusyError)) throw error;
    // Never checked: give the attempt back and ask the client to come back in a moment.
    await refundAttempt(deps.db, gate.pair);
    await refundAttempt(deps.db, gate.address);
    deps.log.warn({ email, ip }, 'sign-in refused: too many password checks waiting');
    return { kind: 'throttled', retryAfterSeconds: 1, scope: 'busy' };
  }
  if (!ok || !user) {
    await insertLoginAttempt(deps.db, { at, email, ip, outcome: 'failure' });
    await recordEmailFailure(deps, email, now);
    return { kind: 'invalid' };
  }

  await insertLoginAttempt(deps.db, { at, email, ip, outcome: 'success' });
  await clearThrottleKey(deps.db, gate.pair);
  await refundAttempt(deps.db, gate.address);
  await pruneLoginAttempts(deps.db, toDbTime(new Date(now.getTime() - ATTEMPT_RETENTION_MS)));
  await pruneThrottles(deps.db, toDbTime(new Date(now.getTime() - 2 * LOGIN_THROTTLE.emailWindowMs)));
  const changes: { last_sign_in_at: string; password_hash?: string } = { last_sign_in_at: at };
  if (needsRehash(user.password_hash)) changes.password_hash = await hashPassword(password);
  await updateUser(deps.db, user.id, changes);
  // A new token on every sign-in: a token planted before sign-in is never promoted.
  if (input.previousSessionId) await revokeSession(deps.db, input.previousSessionId, at);
  const session = await startSession(deps, user.id, { ip, userAgent: input.userAgent });
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
    ip,
  });
  return { kind: 'signed_in', user: sessionUser, setCookie: session.setCookie };
}

/** For the own-password change, which its route still answers from an AppError (see _dash.account). */
function userError(code: 'bad_request' | 'conflict' | 'not_found', reason: UserErrorReason, message: string): AppError {
  return new AppError(code, message, { reason });
}

function weakPassword(): AppError {
  return userError(
    'bad_request',
    'weak_password',
    `Passwords need ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
  );
}

/**
 * A signed-in user changes their own password: the current one is checked first (counted by
 * the same throttle as a sign-in, so a stolen session cannot guess it), every other session of
 * theirs ends, and the change is audited (never the password).
 */
export async function changeOwnPassword(
  deps: AuthDeps,
  actor: SessionUser,
  input: { current: string; next: string },
  ip: string,
): Promise<void> {
  if (!passwordSchema.safeParse(input.next).success) throw weakPassword();
  const now = deps.now();
  const gate = await gateAttempt(deps, actor.email, ip, now);
  if (!gate.decision.allowed) {
    throw new AppError('rate_limited', 'Too many attempts; try again later', {
      reason: 'throttled',
      retryAfterSeconds: gate.decision.retryAfterSeconds,
    });
  }
  const user = await existingUser(deps.db, actor.id);
  let ok: boolean;
  try {
    ok = await verifyPassword(input.current.slice(0, PASSWORD_MAX_LENGTH), user.password_hash);
  } catch (error) {
    if (!(error instanceof PasswordBusyError)) throw error;
    await refundAttempt(deps.db, gate.pair);
    await refundAttempt(deps.db, gate.address);
    throw new AppError('rate_limited', 'The server is busy; try again in a moment', {
      reason: 'throttled',
      retryAfterSeconds: 1,
    });
  }
  if (!ok) {
    await insertLoginAttempt(deps.db, { at: toDbTime(now), email: actor.email, ip, outcome: 'failure' });
    await recordEmailFailure(deps, actor.email, now);
    throw userError('bad_request', 'wrong_password', 'The current password is not correct');
  }
  await clearThrottleKey(deps.db, gate.pair);
  await refundAttempt(deps.db, gate.address);
  const hash = await hashPassword(input.next);
  await deps.db.transaction().execute(async (trx) => {
    const at = toDbTime(deps.now());
    await updateUser(trx, actor.id, { password_hash: hash, updated_at: at });
    const revoked = await revokeOtherSessions(trx, actor.id, actor.sessionId, at);
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: 'user.password_change',
        target: { type: 'user', id: actor.id },
        after: { revokedOtherSessions: revoked },
        ip,
      },
    );
  });
}

/**
 * An admin gives another user a new random password, answered once (only its hash is kept):
 * their sessions end, their sign-in limits are cleared, and the reset is audited.
 */
export async function resetUserPassword(
  deps: AuthDeps,
  actor: SessionUser,
  userId: number,
  ip: string,
): Promise<({ ok: true } & { email: string; password: string }) | UserRefusal> {
  if (userId === actor.id) return refusal(400, 'self_reset', 'Use “Change password” for your own account');
  const password = generatePassword();
  const hash = await hashPassword(password);
  return refusable(deps.db, async (trx) => {
    const user = await existingUser(trx, userId);
    const at = toDbTime(deps.now());
    await updateUser(trx, userId, { password_hash: hash, updated_at: at });
    const revoked = await revokeUserSessions(trx, userId, at);
    await clearThrottlesOfEmail(trx, user.email);
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor,
        action: 'user.password_reset',
        target: { type: 'user', id: userId },
        after: { password: 'generated', revokedSessions: revoked },
        ip,
      },
    );
    return { email: user.email, password };
  });
}

/**
 * Clears every sign-in limit naming the user's email (all addresses and the slow-down), for
 * the owner locked out by their own typos or by someone else's guesses. Audited.
 */
export async function unlockUser(
  deps: AuthDeps,
  actor: SessionUser,
  userId: number,
  ip: string,
): Promise<({ ok: true } & { email: string; cleared: number }) | UserRefusal> {
  return refusable(deps.db, async (trx) => {
    const user = await existingUser(trx, userId);
    const cleared = await clearThrottlesOfEmail(trx, user.email);
    await recordAudit(
      { db: trx, now: deps.now },
      { actor, action: 'user.unlock', target: { type: 'user', id: userId }, after: { clearedCounters: cleared }, ip },
    );
    return { email: user.email, cleared };
  });
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
  const now = deps.now();
  const rows = await listUsersWithSessions(deps.db, toDbTime(now));
  const throttled = await throttledEmails(
    deps.db,
    toDbTime(new Date(now.getTime() - LOGIN_THROTTLE.windowMs)),
    toDbTime(now),
  );
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    role: isRole(row.role) ? row.role : 'viewer',
    disabled: row.disabled_at !== null,
    createdAt: row.created_at,
    lastSignInAt: row.last_sign_in_at,
    activeSessions: row.active_sessions,
    throttled: throttled.has(row.email),
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
      throttled: false,
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
