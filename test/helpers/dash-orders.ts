import { appCookies } from '~/auth/cookies.server';
import { csrfTokenFor } from '~/auth/csrf.server';
import { sha256Hex } from '~/auth/crypto.server';
import type { Flash } from '~/auth/flash';
import type { Role } from '~/auth/roles';
import { startSession } from '~/auth/session.server';
import type { AppContext, RequestContext } from '~/context.server';
import { insertUserIfAbsent } from '../../db/users';
import { cookieHeader, ORIGIN } from './auth';

/** Signed-in users and form posts for the payment log / attention tests (any AppContext, e.g. a MonitorStack's). */

export type DashUser = { id: number; email: string; role: Role; cookie: string; csrf: string };

/** Inserts a user (no usable password: these tests never sign in through the form) with a live session. */
export async function dashUser(ctx: AppContext, email: string, role: Role): Promise<DashUser> {
  const at = ctx.now().toISOString();
  const row = await insertUserIfAbsent(ctx.db, {
    email,
    role,
    password_hash: 'unused',
    disabled_at: null,
    last_sign_in_at: null,
    created_at: at,
    updated_at: at,
  });
  if (!row) throw new Error(`user ${email} exists`);
  const { setCookie } = await startSession(ctx, row.id, { ip: '198.51.100.7', userAgent: 'vitest' });
  const cookie = cookieHeader([setCookie]);
  const token = (await appCookies(ctx.config).session.parse(cookie)) as string;
  return { id: row.id, email, role, cookie, csrf: csrfTokenFor(ctx.config.appSecret, `session:${sha256Hex(token)}`) };
}

/** A urlencoded POST (repeated keys allowed) with the user's cookie; `_csrf` added unless `csrf: null`. */
export function postForm(
  path: string,
  user: Pick<DashUser, 'cookie' | 'csrf'> | null,
  fields: [string, string][],
  options: { csrf?: string | null } = {},
): Request {
  const body = new URLSearchParams(fields);
  const csrf = options.csrf === undefined ? user?.csrf : options.csrf;
  if (csrf) body.set('_csrf', csrf);
  const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded' });
  if (user) headers.set('Cookie', user.cookie);
  return new Request(`${ORIGIN}${path}`, { method: 'POST', headers, body: body.toString() });
}

export function getAs(path: string, user: Pick<DashUser, 'cookie'> | null): Request {
  return new Request(`${ORIGIN}${path}`, { headers: user ? { Cookie: user.cookie } : {} });
}

export function contextFor(ctx: AppContext, request: Request): RequestContext {
  const url = new URL(request.url);
  return { ...ctx, clientIp: '198.51.100.7', rawUrl: `${url.pathname}${url.search}` };
}

/** The flash a redirect carries (its signed cookie), or null. */
export async function flashOf(ctx: AppContext, response: Response): Promise<Flash | null> {
  const cookie = appCookies(ctx.config).flash;
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${cookie.name}=`));
  if (!setCookie) return null;
  return ((await cookie.parse(setCookie.split(';')[0]!)) as Flash | null) ?? null;
}
