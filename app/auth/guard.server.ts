import { redirect } from '@remix-run/node';
import type { RequestContext } from '../context.server';
import { AppError, errorResponse } from '../errors';
import { readBodyLimited } from '../http.server';
import { appCookies, readStringCookie } from './cookies.server';
import { requireCsrf } from './csrf.server';
import { hasRole, type Role } from './roles';
import { clearSessionCookie, getSessionUser, type SessionUser } from './session.server';

/**
 * Authorization for loaders and actions. Every dashboard loader calls `requireUser` or
 * `requireRole`; every action calls `authorizeAction` (role + CSRF + form). All of them run on
 * the server; hiding a button is a courtesy, not a control.
 */

type GuardContext = Pick<RequestContext, 'db' | 'now' | 'config'>;

/** Form bodies larger than this are refused (413) before parsing. */
const FORM_LIMIT_BYTES = 64 * 1024;

/**
 * Keeps a post-sign-in destination on this site: a path starting with a single `/`, else `/`.
 * (`//evil.example` and `/\evil.example` are other sites to a browser.)
 */
export function safeRedirectTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\'))
    return fallback;
  // Control characters (a smuggled CR/LF or tab) never belong in a path we redirect to.
  if ([...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return fallback;
  // Re-serialised through the URL parser: non-ASCII is percent-encoded (a Location header must be
  // Latin-1), and anything that resolves off this site falls back.
  const base = 'http://same-site.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.length > 2048 ? fallback : path;
}

/** The signed-in user, or null. For pages that change with the visitor but do not require sign-in. */
export function getOptionalUser(request: Request, context: GuardContext): Promise<SessionUser | null> {
  return getSessionUser(request, context);
}

/**
 * The signed-in user; otherwise throws a redirect to `/login?redirectTo=<this page>` (and clears a
 * stale session cookie so the sign-in form binds its CSRF token to a fresh pre-session value).
 */
export async function requireUser(request: Request, context: GuardContext): Promise<SessionUser> {
  const user = await getSessionUser(request, context);
  if (user) return user;
  const url = new URL(request.url);
  const here = request.method === 'GET' || request.method === 'HEAD' ? `${url.pathname}${url.search}` : url.pathname;
  const target = here === '/' ? '/login' : `/login?${new URLSearchParams({ redirectTo: here })}`;
  const headers = new Headers();
  if (await readStringCookie(appCookies(context.config).session, request))
    headers.append('Set-Cookie', await clearSessionCookie(context.config));
  throw redirect(target, { headers });
}

/** The signed-in user when their role is `role` or stronger; otherwise 403 (or the sign-in redirect). */
export async function requireRole(request: Request, context: GuardContext, role: Role): Promise<SessionUser> {
  const user = await requireUser(request, context);
  if (!hasRole(user.role, role)) {
    throw errorResponse(new AppError('forbidden', `This needs the ${role} role`, { reason: 'role', required: role }));
  }
  return user;
}

/** Reads a urlencoded or multipart form of at most 64 KiB (413 beyond). */
export async function readForm(request: Request): Promise<FormData> {
  const { bytes, tooLarge } = await readBodyLimited(request, FORM_LIMIT_BYTES);
  if (tooLarge) throw errorResponse(new AppError('payload_too_large', 'The form is too large'));
  const contentType = request.headers.get('content-type') ?? 'application/x-www-form-urlencoded';
  try {
    return await new Response(Buffer.from(bytes), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw errorResponse(new AppError('bad_request', 'The form could not be read'));
  }
}

/**
 * The one call at the top of every dashboard action: the user (with at least `role`), the form,
 * and the CSRF check, in that order. Throws the sign-in redirect, a 403 (role or CSRF), or a 413.
 */
export async function authorizeAction(
  request: Request,
  context: GuardContext,
  role: Role,
): Promise<{ user: SessionUser; form: FormData }> {
  const user = await requireRole(request, context, role);
  const form = await readForm(request);
  await requireCsrf(request, context, form);
  return { user, form };
}

/** For forms that work without a session (sign-in, language): the form after its CSRF check. */
export async function readProtectedForm(request: Request, context: GuardContext): Promise<FormData> {
  const form = await readForm(request);
  await requireCsrf(request, context, form);
  return form;
}
