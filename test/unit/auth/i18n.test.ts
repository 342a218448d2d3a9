import { describe, expect, it } from 'vitest';
import {
  formatAmount,
  formatDateTime,
  formatIsoWithOffset,
  getDisplayTimeZone,
  setDisplayTimeZone,
} from '~/i18n/format';
import { negotiateLocale } from '~/i18n/locale';
import { messages, translate, type MessageKey } from '~/i18n/messages';

describe('language negotiation', () => {
  it.each([
    [null, 'en'],
    ['', 'en'],
    ['ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7', 'ko'],
    ['en-US,en;q=0.9,ko;q=0.8', 'en'],
    ['ja-JP,ko;q=0.5', 'ko'],
    ['en;q=0.4, ko;q=0.6', 'ko'],
    ['ko;q=0, en;q=0.1', 'en'],
    ['fr-FR,de', 'en'],
    ['*', 'en'],
    ['ko;q=abc', 'en'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });
});

describe('message catalog', () => {
  const params = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it('has a non-empty Korean message with the same parameters for every English key', () => {
    for (const key of Object.keys(messages.en) as MessageKey[]) {
      expect(messages.ko[key], key).toBeTruthy();
      expect(params(messages.ko[key]), key).toEqual(params(messages.en[key]));
    }
    expect(Object.keys(messages.ko).sort()).toEqual(Object.keys(messages.en).sort());
  });

  it('fills parameters and leaves unknown ones visible', () => {
    expect(translate('en', 'login.throttled', { minutes: 7 })).toBe('Too many failed sign-ins. Try again in 7 min.');
    expect(translate('ko', 'login.throttled', { minutes: 7 })).toBe(
      '로그인 실패가 너무 많습니다. 7분 후에 다시 시도하세요.',
    );
    expect(translate('en', 'login.throttled')).toContain('{minutes}');
    expect(translate('en', 'users.created', { email: '<b>x</b>' })).toBe('User <b>x</b> added.');
  });

  it('formats times in the display zone (Korea Standard Time by default), naming the zone', () => {
    expect(formatDateTime('en', '2026-11-24T16:30:00.000Z')).toBe('2026-11-25 01:30 KST');
    expect(formatDateTime('ko', '2026-11-24T16:30:05.000Z', { seconds: true })).toBe('2026-11-25 01:30:05 KST');
    expect(formatDateTime('ko', '2026-11-24T16:30:05.000Z', { zone: false })).toBe('2026-11-25 01:30');
    expect(formatDateTime('en', null)).toBe('—');
    expect(formatDateTime('en', 'not a time')).toBe('—');
    expect(formatIsoWithOffset('2026-11-24T16:30:05.000Z')).toBe('2026-11-25T01:30:05+09:00');
    expect(translate('en', 'audit.caption')).toBe('Times in KST, newest first.');
  });

  it('shows another display zone when DISPLAY_TIME_ZONE names one', () => {
    try {
      setDisplayTimeZone('UTC');
      expect(formatDateTime('en', '2026-11-24T16:30:00.000Z')).toBe('2026-11-24 16:30 UTC');
      expect(formatIsoWithOffset('2026-11-24T16:30:05.000Z')).toBe('2026-11-24T16:30:05+00:00');
      expect(translate('ko', 'audit.caption')).toContain('UTC');
      setDisplayTimeZone('Asia/Kolkata');
      expect(formatDateTime('en', '2026-11-24T16:30:00.000Z')).toBe('2026-11-24 22:00 GMT+5:30');
      expect(formatIsoWithOffset('2026-11-24T16:30:05.000Z')).toBe('2026-11-24T22:00:05+05:30');
      setDisplayTimeZone('Not/AZone');
      expect(getDisplayTimeZone()).toBe('Asia/Kolkata');
    } finally {
      setDisplayTimeZone('Asia/Seoul');
    }
  });

  it.each([
    ['ko', 8000, 'KRW', '8,000원'],
    ['en', 8000, 'KRW', 'KRW 8,000'],
    ['ko', 1234567, 'KRW', '1,234,567원'],
    ['en', 0, 'KRW', 'KRW 0'],
    ['ko', 1999, 'USD', 'USD 1,999'],
    ['en', null, 'KRW', '—'],
  ] as const)('amount %s %j %s → %s', (locale, amount, currency, expected) => {
    expect(formatAmount(locale, amount, currency)).toBe(expected);
  });
});
