import type { Locale } from './locale';

/**
 * Times are shown in Korea Standard Time on the server and in the browser alike (a fixed zone,
 * so server rendering and hydration agree and every operator reads the same clock).
 */
export const DISPLAY_TIME_ZONE = 'Asia/Seoul';

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * `2026-11-24 16:30` style in DISPLAY_TIME_ZONE (`2026-11-24 16:30:05` with `seconds`: the timeline
 * needs them, a webhook 2 s after a redirect); `—` for null.
 */
export function formatDateTime(locale: Locale, iso: string | null, options: { seconds?: boolean } = {}): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const key = `${locale}|${options.seconds === true}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-CA', {
      timeZone: DISPLAY_TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(options.seconds ? { second: '2-digit' as const } : {}),
      hourCycle: 'h23',
    });
    dateTimeFormats.set(key, format);
  }
  return format.format(date).replace(', ', ' ');
}

export function formatNumber(locale: Locale, value: number): string {
  return new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US').format(value);
}
