import { createCookie, type Cookie } from '@remix-run/node';
import type { Config } from '../config.server';

/**
 * Every cookie the app sets, in one place. All are HttpOnly, SameSite=Lax, Path=/ and `Secure`
 * when the config says so (docs/decisions/0120-sessions-and-csrf.md).
 */
export type AppCookies = {
  /** The random session token; the database keeps only its SHA-256. */
  session: Cookie;
  /** A random value that binds the CSRF token of a visitor without a session (the sign-in form). */
  preSession: Cookie;
  /** One message for the next page, signed with APP_SECRET. */
  flash: Cookie;
  /** `ko` or `en`, chosen with the language switch. */
  locale: Cookie;
};

const cache = new WeakMap<Config, AppCookies>();

export function appCookies(config: Config): AppCookies {
  let cookies = cache.get(config);
  if (!cookies) {
    const base = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: config.auth.cookieSecure };
    cookies = {
      // The cookie lives as long as the session may (SESSION_MAX_HOURS); idleness ends it server-side.
      session: createCookie('monitor_session', { ...base, maxAge: Math.round(config.auth.sessionMaxMs / 1000) }),
      preSession: createCookie('monitor_csrf', base),
      flash: createCookie('monitor_flash', { ...base, maxAge: 60, secrets: [config.appSecret] }),
      locale: createCookie('monitor_lang', { ...base, maxAge: 365 * 24 * 60 * 60 }),
    };
    cache.set(config, cookies);
  }
  return cookies;
}

/** The cookie's parsed value when it is a non-empty string, else null. */
export async function readStringCookie(cookie: Cookie, request: Request): Promise<string | null> {
  let value: unknown;
  try {
    value = await cookie.parse(request.headers.get('Cookie'));
  } catch {
    return null;
  }
  return typeof value === 'string' && value.length > 0 && value.length <= 512 ? value : null;
}

/** A Set-Cookie value that deletes the cookie. */
export function clearCookie(cookie: Cookie): Promise<string> {
  return cookie.serialize('', { maxAge: 0 });
}
