import type { Config } from '../config.server';
import { AppError, errorResponse } from '../errors';
import { appCookies, readStringCookie } from './cookies.server';
import { hmacBase64Url, randomToken, safeEqual, sha256Hex } from './crypto.server';

/**
 * CSRF protection: a synchronizer token derived, not stored. The token is
 * HMAC(APP_SECRET, binding), where the binding is the session id (the SHA-256 of the session
 * cookie's token) for a signed-in visitor, or a random pre-session cookie value before sign-in.
 * Every state-changing form carries it in a hidden `_csrf` input (<CsrfInput />); every action
 * checks it (requireCsrf / authorizeAction). A form from another site cannot know it.
 */

export const CSRF_FIELD = '_csrf';

/** The token for one binding. Pure: same secret and binding, same token. */
export function csrfTokenFor(secret: string, binding: string): string {
  return hmacBase64Url(secret, `csrf:v1:${binding}`);
}

export type CsrfCheck = { ok: true } | { ok: false; reason: 'csrf_missing' | 'csrf_invalid' };

/** Pure check of a submitted token against the binding (constant-time compare). */
export function checkCsrfToken(secret: string, binding: string | null, submitted: unknown): CsrfCheck {
  if (typeof submitted !== 'string' || submitted === '') return { ok: false, reason: 'csrf_missing' };
  if (!binding) return { ok: false, reason: 'csrf_invalid' };
  return safeEqual(submitted, csrfTokenFor(secret, binding)) ? { ok: true } : { ok: false, reason: 'csrf_invalid' };
}

/**
 * What the CSRF token of this request is bound to: the session when a session cookie is present,
 * else the pre-session cookie. Reads cookies only (no database), so a page and the action it
 * posts to always agree.
 */
export async function csrfBinding(request: Request, config: Config): Promise<string | null> {
  const cookies = appCookies(config);
  const sessionToken = await readStringCookie(cookies.session, request);
  if (sessionToken) return `session:${sha256Hex(sessionToken)}`;
  const pre = await readStringCookie(cookies.preSession, request);
  return pre ? `pre:${pre}` : null;
}

/**
 * The token to render into this request's forms. When the visitor has neither a session nor a
 * pre-session cookie yet, a pre-session value is created and `setCookie` must be sent back.
 */
export async function csrfTokenForRequest(
  request: Request,
  config: Config,
): Promise<{ token: string; setCookie: string | null }> {
  const binding = await csrfBinding(request, config);
  if (binding) return { token: csrfTokenFor(config.appSecret, binding), setCookie: null };
  const value = randomToken(24);
  return {
    token: csrfTokenFor(config.appSecret, `pre:${value}`),
    setCookie: await appCookies(config).preSession.serialize(value),
  };
}

const REASONS = {
  csrf_missing: 'The form is missing its security token. Reload the page and try again.',
  csrf_invalid:
    'The form’s security token is not valid for this session (expired, or sent from another site). Reload the page and try again.',
} as const;

/** Throws a 403 (with `reason`) unless the form carries this request's CSRF token. */
export async function requireCsrf(request: Request, context: { config: Config }, form: FormData): Promise<void> {
  const result = checkCsrfToken(
    context.config.appSecret,
    await csrfBinding(request, context.config),
    form.get(CSRF_FIELD),
  );
  if (!result.ok) throw errorResponse(new AppError('forbidden', REASONS[result.reason], { reason: result.reason }));
}
