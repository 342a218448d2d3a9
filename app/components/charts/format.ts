import type { Locale } from '../../i18n/locale';

const compact = new Map<Locale, Intl.NumberFormat>();
const full = new Map<Locale, Intl.NumberFormat>();

function intlLocale(locale: Locale): string {
  return locale === 'ko' ? 'ko-KR' : 'en-US';
}

/** Axis ticks: `1.2K`, `3.4M` / `1.2천`, `340만`. */
export function formatCompact(locale: Locale, value: number): string {
  let format = compact.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(intlLocale(locale), { notation: 'compact', maximumFractionDigits: 1 });
    compact.set(locale, format);
  }
  return format.format(value);
}

export function formatCount(locale: Locale, value: number): string {
  let format = full.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(intlLocale(locale));
    full.set(locale, format);
  }
  return format.format(value);
}

/** A bucket key as an axis label: `11-24` for a day, `11-24 18:00` for an hour (already in KST). */
export function formatBucket(bucket: string): string {
  const day = bucket.slice(5, 10);
  return bucket.length > 10 ? `${day} ${bucket.slice(11, 13)}:00` : day;
}
