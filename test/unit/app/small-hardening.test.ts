import { describe, expect, it } from 'vitest';
import { safeRedirectTo } from '~/auth/guard.server';
import { RESULT_LINK_TTL_MS, signResultLocation, verifyResultLink } from '~/auth/result-link.server';
import { csvField } from '~/monitor/dashboard/csv-export.server';

const SECRET = 'a'.repeat(40);
const now = new Date('2026-12-02T09:00:00.000Z');

describe('signed buyer result links', () => {
  const signed = signResultLocation(SECRET, 'demo', '/payments/demo/result?merchant_uid=o-1&status=paid', now);
  const params = new URL(signed, 'http://x').searchParams;

  it('signs our own result page and shows its order until it expires', () => {
    expect(params.get('exp')).toMatch(/^\d+$/);
    expect(verifyResultLink(SECRET, 'demo', params, now)).toEqual({ merchantUid: 'o-1', status: 'paid' });
    expect(verifyResultLink(SECRET, 'demo', params, new Date(now.getTime() + RESULT_LINK_TTL_MS - 1000))).toEqual({
      merchantUid: 'o-1',
      status: 'paid',
    });
    expect(verifyResultLink(SECRET, 'demo', params, new Date(now.getTime() + RESULT_LINK_TTL_MS))).toBeNull();
  });

  it('shows nothing for an unsigned, edited, other-store or other-secret link', () => {
    const edited = new URLSearchParams(params);
    edited.set('merchant_uid', 'o-2');
    const otherOutcome = new URLSearchParams(params);
    otherOutcome.set('status', 'failed');
    const noOutcome = new URLSearchParams(params);
    noOutcome.delete('status');
    const later = new URLSearchParams(params);
    later.set('exp', String(Number(params.get('exp')) + 3600));
    expect(verifyResultLink(SECRET, 'demo', new URLSearchParams('merchant_uid=o-1'), now)).toBeNull();
    expect(verifyResultLink(SECRET, 'demo', edited, now)).toBeNull();
    expect(verifyResultLink(SECRET, 'demo', later, now)).toBeNull();
    // The outcome the route sent the buyer for is signed too: the page may word a reported failure from it.
    expect(verifyResultLink(SECRET, 'demo', otherOutcome, now)).toBeNull();
    expect(verifyResultLink(SECRET, 'demo', noOutcome, now)).toBeNull();
    expect(verifyResultLink(SECRET, 'other', params, now)).toBeNull();
    expect(verifyResultLink('b'.repeat(40), 'demo', params, now)).toBeNull();
  });

  it('leaves a store’s own landing URL alone', () => {
    const own = 'https://shop.example/done?merchant_uid=o-1&status=paid';
    expect(signResultLocation(SECRET, 'demo', own, now)).toBe(own);
  });
});

describe('redirectTo', () => {
  it.each([
    ['/orders?x=1', '/orders?x=1'],
    ['/가나', '/%EA%B0%80%EB%82%98'],
    ['/\u0100\uffff', '/%C4%80%EF%BF%BF'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/a\r\nSet-Cookie: x', '/'],
    [`/${'a'.repeat(3000)}`, '/'],
  ])('%j → %j (always Latin-1, always this site)', (value, expected) => {
    const safe = safeRedirectTo(value);
    expect(safe).toBe(expected);
    expect(() => new Headers({ Location: safe })).not.toThrow();
  });
});

describe('CSV formula starts', () => {
  it.each([
    '=1+1',
    '+1',
    '-1',
    '@SUM(A1)',
    '＝1+1',
    '＋1',
    '－1',
    '＠SUM(A1)',
    ' =1',
    '\u3000＝1',
    '\t=1',
    '\rx',
    '  @x',
  ])('%j is prefixed with a quote', (value) => expect(csvField(value).replace(/^"/, '').startsWith("'")).toBe(true));
  it.each(['plain', '1-2', 'a=b', '가나'])('%j is left alone', (value) => expect(csvField(value)).toBe(value));
});
