import type { Locale } from './locale';

/**
 * Times are shown in Korea Standard Time on the server and in the browser alike (a fixed zone,
 * so server rendering and hydration agree and every operator reads the same clock).
 */
export const DISPLAY_TIME_ZONE = 'Asia/Seoul';

const dateTimeFormats = new Map<Locale, Intl.DateTimeFormat>();

/** `2026-11-24 16:30` style, in DISPLAY_TIME_ZONE; `—` for null. */
export function formatDateTime(locale: Locale, iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  let format = dateTimeFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-CA', {
      timeZone: DISPLAY_TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dateTimeFormats.set(locale, format);
  }
  return format.format(date).replace(', ', ' ');
}

export function formatNumber(locale: Locale, value: number): string {
  return new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US').format(value);
}
