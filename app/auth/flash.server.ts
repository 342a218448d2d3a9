import { redirect } from '@remix-run/node';
import { z } from 'zod';
import type { Config } from '../config.server';
import { isMessageKey } from '../i18n/messages';
import { appCookies, clearCookie } from './cookies.server';
import type { Flash } from './flash';

/**
 * Flash messages: one message from an action to the next page, in a short-lived cookie signed
 * with APP_SECRET. It carries a message key and parameters, not text, so it is shown in the
 * reader's language. The root loader reads it once and clears it.
 */

export type { Flash, FlashKind } from './flash';

const flashSchema = z.object({
  kind: z.enum(['success', 'error', 'info']),
  key: z.string().refine(isMessageKey),
  params: z.record(z.string(), z.union([z.string().max(300), z.number()])).optional(),
});

export function flashCookie(config: Config, flash: Flash): Promise<string> {
  return appCookies(config).flash.serialize(flash);
}

/** A 303 redirect to `to` that shows `flash` on the next page (the usual end of an action). */
export async function redirectWithFlash(
  to: string,
  context: { config: Config },
  flash: Flash,
  init?: { headers?: HeadersInit },
): Promise<Response> {
  const headers = new Headers(init?.headers);
  headers.append('Set-Cookie', await flashCookie(context.config, flash));
  return redirect(to, { status: 303, headers });
}

/** The pending flash, if any, and the Set-Cookie value that clears it. */
export async function consumeFlash(
  request: Request,
  config: Config,
): Promise<{ flash: Flash | null; setCookie: string | null }> {
  const cookie = appCookies(config).flash;
  const header = request.headers.get('Cookie');
  if (!header?.includes(`${cookie.name}=`)) return { flash: null, setCookie: null };
  let value: unknown = null;
  try {
    value = await cookie.parse(header);
  } catch {
    value = null;
  }
  const parsed = flashSchema.safeParse(value);
  return { flash: parsed.success ? (parsed.data as Flash) : null, setCookie: await clearCookie(cookie) };
}
