import { describe, expect, it } from 'vitest';
import { checkCsrfToken, csrfTokenFor } from '~/auth/csrf.server';

const SECRET = 'a'.repeat(40);

describe('CSRF tokens', () => {
  it('are deterministic per secret and binding, and differ otherwise', () => {
    const token = csrfTokenFor(SECRET, 'session:abc');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(csrfTokenFor(SECRET, 'session:abc')).toBe(token);
    expect(csrfTokenFor(SECRET, 'session:abd')).not.toBe(token);
    expect(csrfTokenFor('b'.repeat(40), 'session:abc')).not.toBe(token);
    // A pre-session value equal to a session id still yields another token.
    expect(csrfTokenFor(SECRET, 'pre:abc')).not.toBe(token);
  });

  it.each([
    ['the right token', 'session:abc', () => csrfTokenFor(SECRET, 'session:abc'), { ok: true }],
    ['no token', 'session:abc', () => null, { ok: false, reason: 'csrf_missing' }],
    ['an empty token', 'session:abc', () => '', { ok: false, reason: 'csrf_missing' }],
    ['a File instead of a string', 'session:abc', () => new File(['x'], 'x'), { ok: false, reason: 'csrf_missing' }],
    [
      'another session’s token',
      'session:abc',
      () => csrfTokenFor(SECRET, 'session:xyz'),
      { ok: false, reason: 'csrf_invalid' },
    ],
    [
      'a token signed with another secret',
      'session:abc',
      () => csrfTokenFor('c'.repeat(40), 'session:abc'),
      { ok: false, reason: 'csrf_invalid' },
    ],
    [
      'a truncated token',
      'session:abc',
      () => csrfTokenFor(SECRET, 'session:abc').slice(0, 20),
      { ok: false, reason: 'csrf_invalid' },
    ],
    [
      'a token but no binding (no cookie)',
      null,
      () => csrfTokenFor(SECRET, 'session:abc'),
      { ok: false, reason: 'csrf_invalid' },
    ],
  ])('check: %s', (_name, binding, submitted, expected) => {
    expect(checkCsrfToken(SECRET, binding, submitted())).toEqual(expected);
  });
});
