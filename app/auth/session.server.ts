import type { Db } from '../../db/connection';
import { findLiveSession, insertSession, revokeSession, touchSession } from '../../db/sessions';
import type { Config } from '../config.server';
import { toDbTime } from '../monitor/time';
import { appCookies, readStringCookie } from './cookies.server';
import { randomToken, sha256Hex } from './crypto.server';
import { isRole, type Role } from './roles';

/** The signed-in user as every loader and action sees it. */
export type SessionUser = {
  id: number;
  email: string;
  role: Role;
  /** The session's stored id (SHA-256 of the cookie token). */
  sessionId: string;
};

type SessionDeps = { db: Db; now: () => Date; config: Config };

/**
 * last_seen_at is written at most this often, so reads do not turn into writes; a sixth of the
 * idle timeout at most, so an active user is never taken for an idle one.
 */
function touchIntervalMs(config: Config): number {
  return Math.min(5 * 60 * 1000, Math.floor(config.auth.sessionIdleMs / 6));
}

/** Starts a session and answers the Set-Cookie value that carries its token. */
export async function startSession(
  deps: SessionDeps,
  userId: number,
  meta: { ip: string | null; userAgent: string | null },
): Promise<{ sessionId: string; setCookie: string }> {
  const token = randomToken(32);
  const id = sha256Hex(token);
  const now = deps.now();
  await insertSession(deps.db, {
    id,
    user_id: userId,
    created_at: toDbTime(now),
    expires_at: toDbTime(new Date(now.getTime() + deps.config.auth.sessionMaxMs)),
    last_seen_at: toDbTime(now),
    revoked_at: null,
    ip: meta.ip,
    user_agent: meta.userAgent?.slice(0, 300) ?? null,
  });
  return { sessionId: id, setCookie: await appCookies(deps.config).session.serialize(token) };
}

/** The session id named by the request's cookie (whether or not it is still live). */
export async function sessionIdOf(request: Request, config: Config): Promise<string | null> {
  const token = await readStringCookie(appCookies(config).session, request);
  return token ? sha256Hex(token) : null;
}

/**
 * The live session's user, or null (no cookie, unknown, revoked, past SESSION_MAX_HOURS since
 * sign-in, idle longer than SESSION_IDLE_MINUTES, or user disabled).
 */
export async function getSessionUser(request: Request, deps: SessionDeps): Promise<SessionUser | null> {
  const id = await sessionIdOf(request, deps.config);
  if (!id) return null;
  const now = deps.now();
  const idleCutoff = toDbTime(new Date(now.getTime() - deps.config.auth.sessionIdleMs));
  const live = await findLiveSession(deps.db, id, toDbTime(now), idleCutoff);
  if (!live || !isRole(live.user.role)) return null;
  if (now.getTime() - Date.parse(live.session.last_seen_at) > touchIntervalMs(deps.config)) {
    await touchSession(deps.db, id, toDbTime(now));
  }
  return { id: live.user.id, email: live.user.email, role: live.user.role, sessionId: id };
}

/** Revokes the session named by the request's cookie, if any; answers its id. */
export async function endSession(request: Request, deps: SessionDeps): Promise<string | null> {
  const id = await sessionIdOf(request, deps.config);
  if (id) await revokeSession(deps.db, id, toDbTime(deps.now()));
  return id;
}

export function clearSessionCookie(config: Config): Promise<string> {
  return appCookies(config).session.serialize('', { maxAge: 0 });
}
