import type { Locale } from './locale';

/**
 * Formatting of everything a person reads: times, amounts, counts. The one home for it
 * (docs/decisions/0153-what-people-see.md): pages and the CSV call these, never `toLocaleString`
 * or a hand-written `${amount} ${currency}`.
 *
 * Times are shown in one display zone for every operator, on the server and in the browser alike
 * (so server rendering and hydration agree). The zone is the `DISPLAY_TIME_ZONE` setting, default
 * Asia/Seoul; the root layout sets it from the root loader before anything renders.
 */
export const DEFAULT_DISPLAY_TIME_ZONE = 'Asia/Seoul';

let displayTimeZone = DEFAULT_DISPLAY_TIME_ZONE;

/** True when `Intl` knows the IANA zone name (`Asia/Seoul`, `UTC`, `Europe/Berlin`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Sets the zone every later `formatDateTime` uses (unknown names are ignored). */
export function setDisplayTimeZone(zone: string): void {
  if (zone !== displayTimeZone && isTimeZone(zone)) displayTimeZone = zone;
}

export function getDisplayTimeZone(): string {
  return displayTimeZone;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(zone: string): Intl.DateTimeFormat {
  let format = partsFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    partsFormats.set(zone, format);
  }
  return format;
}

type Parts = { year: string; month: string; day: string; hour: string; minute: string; second: string; offset: string };

function partsOf(date: Date, zone: string): Parts {
  const out: Record<string, string> = {};
  for (const part of partsFormat(zone).formatToParts(date)) out[part.type] = part.value;
  return {
    year: out.year ?? '',
    month: out.month ?? '',
    day: out.day ?? '',
    hour: out.hour ?? '',
    minute: out.minute ?? '',
    second: out.second ?? '',
    // `GMT+9`, `GMT`, `GMT+5:30`
    offset: out.timeZoneName ?? 'GMT',
  };
}

/** `+09:00` from `GMT+9`, `+05:30` from `GMT+5:30`, `+00:00` from `GMT`. */
function isoOffset(gmt: string): string {
  const match = /^GMT([+-])(\d{1,2})(?::(\d{2}))?$/.exec(gmt);
  if (!match) return '+00:00';
  return `${match[1]}${match[2]!.padStart(2, '0')}:${match[3] ?? '00'}`;
}

/** The zone as people name it: `KST` for Asia/Seoul, `UTC`, otherwise the offset (`GMT+1`). */
export function zoneLabel(date: Date = new Date(), zone = displayTimeZone): string {
  if (zone === 'Asia/Seoul') return 'KST';
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC';
  return partsOf(date, zone).offset;
}

function toDate(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * `2026-11-24 16:30 KST` in the display zone, the same shape in both languages (an operator
 * compares times across the two); `2026-11-24 16:30:05 KST` with `seconds` (the timeline needs
 * them: a webhook 2 s after a redirect); without the zone label where a column header names it
 * (`zone: false`). `—` for null or an unreadable time.
 */
export function formatDateTime(
  _locale: Locale,
  value: string | Date | null | undefined,
  options: { seconds?: boolean; zone?: boolean } = {},
): string {
  const date = toDate(value);
  if (!date) return '—';
  const p = partsOf(date, displayTimeZone);
  const time = options.seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
  const text = `${p.year}-${p.month}-${p.day} ${time}`;
  return options.zone === false ? text : `${text} ${zoneLabel(date)}`;
}

/** `2026-11-24T16:30:05+09:00`: a machine-readable time in the display zone (CSV, CLI windows). */
export function formatIsoWithOffset(value: string | Date | null | undefined): string {
  const date = toDate(value);
  if (!date) return '';
  const p = partsOf(date, displayTimeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${isoOffset(p.offset)}`;
}

const numberFormats = new Map<Locale, Intl.NumberFormat>();

export function formatNumber(locale: Locale, value: number): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US');
    numberFormats.set(locale, format);
  }
  return format.format(value);
}

/**
 * An amount as a person writes it: `8,000원` in Korean, `KRW 8,000` in English (other currencies:
 * `USD 12` in both). Amounts are integers in the currency's unit (KRW has no minor unit);
 * `—` when unknown.
 */
export function formatAmount(
  locale: Locale,
  amount: number | null | undefined,
  currency: string | null = 'KRW',
): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  const code = (currency ?? 'KRW').toUpperCase();
  const digits = formatNumber(locale, amount);
  if (locale === 'ko' && code === 'KRW') return `${digits}원`;
  return `${code} ${digits}`;
}
