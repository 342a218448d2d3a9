import { describe, expect, it } from 'vitest';
import { safeRedirectTo } from '~/auth/guard.server';
import { applyDocumentSecurityHeaders, contentSecurityPolicy, createNonce } from '~/auth/security-headers.server';

describe('post-sign-in redirect targets stay on this site', () => {
  it.each([
    ['/orders?status=paid', '/orders?status=paid'],
    ['/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['orders', '/'],
    ['/orders\r\nSet-Cookie: x=1', '/'],
    ['/a\tb', '/'],
    [null, '/'],
    [42, '/'],
  ])('%j → %s', (input, expected) => {
    expect(safeRedirectTo(input)).toBe(expected);
  });
});

describe('security headers', () => {
  it('builds a CSP with the nonce and the fixed directives', () => {
    const nonce = createNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(createNonce()).not.toBe(nonce);
    const csp = contentSecurityPolicy(nonce);
    const directives = Object.fromEntries(
      csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives).toMatchObject({
      'default-src': "'self'",
      'script-src': `'self' 'nonce-${nonce}'`,
      'style-src': "'self' 'unsafe-inline'",
      'frame-ancestors': "'none'",
      'form-action': "'self'",
      'base-uri': "'self'",
      'object-src': "'none'",
    });
    expect(csp).not.toContain('unsafe-eval');
  });

  it('sets every document header', () => {
    const headers = new Headers();
    applyDocumentSecurityHeaders(headers, 'n0nce');
    expect(headers.get('content-security-policy')).toContain("'nonce-n0nce'");
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('same-origin');
    expect(headers.get('x-frame-options')).toBe('DENY');
  });
});
