import { useRouteLoaderData } from '@remix-run/react';
import type { Flash } from '../auth/flash';
import { DEFAULT_DISPLAY_TIME_ZONE } from '../i18n/format';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locale';

/** What the root loader gives every page: language, this visitor's CSRF token, a pending flash. */
export type ShellData = {
  locale: Locale;
  csrfToken: string;
  flash: Flash | null;
  /** DISPLAY_TIME_ZONE: the zone of every time on every page. */
  timeZone: string;
};

const fallback: ShellData = { locale: DEFAULT_LOCALE, csrfToken: '', flash: null, timeZone: DEFAULT_DISPLAY_TIME_ZONE };

/** Root loader data; defaults while the root loader itself failed (error pages). */
export function useShellData(): ShellData {
  return (useRouteLoaderData('root') as ShellData | undefined) ?? fallback;
}
