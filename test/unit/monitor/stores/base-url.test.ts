import { describe, expect, it } from 'vitest';
import { isAllowedApiBaseUrl, sameApiBaseUrl } from '~/monitor/stores/base-url';

describe('where a store secret may be sent', () => {
  it.each([
    ['https://api.iamport.kr', true],
    ['https://example.com:8443/v1', true],
    ['http://127.0.0.1:3001', true],
    ['http://127.8.9.10', true],
    ['http://localhost:3001', true],
    ['http://sandbox.localhost:3001', true],
    ['http://[::1]:3001', true],
    ['http://api.iamport.kr', false],
    ['http://10.0.0.5', false],
    ['http://127.0.0.1.evil.example', false],
    ['http://localhost.evil.example', false],
    ['https://user:pass@api.iamport.kr', false],
    ['ftp://127.0.0.1', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedApiBaseUrl(url)).toBe(allowed);
  });

  it('a trailing slash is not a new destination', () => {
    expect(sameApiBaseUrl('https://api.iamport.kr/', 'https://api.iamport.kr')).toBe(true);
    expect(sameApiBaseUrl('https://api.iamport.kr', 'https://attacker.example')).toBe(false);
  });
});
