import type { Config } from '../config.server';
import { appCookies, readStringCookie } from '../auth/cookies.server';
import { isLocale, negotiateLocale, type Locale } from './locale';

/** The visitor's language: the switch's cookie when set, else the browser's Accept-Language. */
export async function resolveLocale(request: Request, config: Config): Promise<Locale> {
  const chosen = await readStringCookie(appCookies(config).locale, request);
  return isLocale(chosen) ? chosen : negotiateLocale(request.headers.get('Accept-Language'));
}

/** The Set-Cookie value that remembers a language choice for a year. */
export function localeCookie(config: Config, locale: Locale): Promise<string> {
  return appCookies(config).locale.serialize(locale);
}
