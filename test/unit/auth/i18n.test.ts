import { describe, expect, it } from 'vitest';
import { formatDateTime } from '~/i18n/format';
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

  it('formats times in Korea Standard Time for both languages', () => {
    expect(formatDateTime('en', '2026-11-24T16:30:00.000Z')).toBe('2026-11-25 01:30');
    expect(formatDateTime('ko', '2026-11-24T16:30:00.000Z')).toMatch(/^2026\. 11\. 25\.? 01:30$/);
    expect(formatDateTime('en', null)).toBe('—');
  });
});
