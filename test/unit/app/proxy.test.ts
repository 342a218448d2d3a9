import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  clientHost,
  clientScheme,
  isCrossSiteOrigin,
  isTrusted,
  parseTrustList,
  validHost,
} from '~/proxy.server';

const trust = (text: string) => parseTrustList(text)!;

describe('TRUST_PROXY parsing and matching', () => {
  it.each(['', '127.0.0.1', '10.0.0.0/8, 192.168.1.1', '::1 fd00::/8', '0.0.0.0/0'])('accepts %j', (text) => {
    expect(parseTrustList(text)).not.toBeNull();
  });
  it.each(['localhost', '10.0.0.0/33', '1.2.3', '::1/129', '10.0.0.0/x', 'a,b'])('refuses %j', (text) => {
    expect(parseTrustList(text)).toBeNull();
  });
  it.each([
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.1.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['::1', '::1', true],
    ['', '127.0.0.1', false],
  ])('%s trusts %s: %s', (list, address, expected) => {
    expect(isTrusted(address, trust(list))).toBe(expected);
  });
});

describe('client address through trusted hops', () => {
  it('ignores X-Forwarded-For when nobody is trusted (TRUST_PROXY off)', () => {
    expect(clientAddress('::ffff:203.0.113.5', '1.2.3.4', [])).toBe('203.0.113.5');
  });
  it('takes the entry the trusted proxy added', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.7', trust('127.0.0.1'))).toBe('198.51.100.7');
  });
  it('walks from the right through trusted hops and never reads a forged entry further left', () => {
    const list = trust('127.0.0.1, 10.0.0.0/8');
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', list)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', ['6.6.6.6', '198.51.100.7, 10.1.2.3'], list)).toBe('198.51.100.7');
  });
  it('an untrusted peer’s header is ignored whatever it says', () => {
    expect(clientAddress('203.0.113.9', '127.0.0.1', trust('127.0.0.1'))).toBe('203.0.113.9');
  });
  it('stops at a hop that is not an address; all-trusted chains end at the leftmost', () => {
    expect(clientAddress('127.0.0.1', 'garbage', trust('127.0.0.1'))).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '10.0.0.2, 10.0.0.1', trust('127.0.0.1,10.0.0.0/8'))).toBe('10.0.0.2');
    expect(clientAddress('127.0.0.1', '[2001:db8::1]:4711', trust('127.0.0.1'))).toBe('2001:db8::1');
  });
  it('the scheme from X-Forwarded-Proto only through a trusted peer', () => {
    expect(clientScheme('127.0.0.1', false, 'https', trust('127.0.0.1'))).toBe('https');
    expect(clientScheme('203.0.113.9', false, 'https', trust('127.0.0.1'))).toBe('http');
    expect(clientScheme('127.0.0.1', false, 'gopher', trust('127.0.0.1'))).toBe('http');
    expect(clientScheme('127.0.0.1', true, undefined, [])).toBe('https');
  });
  it('X-Forwarded-Host only through a trusted peer, and only a valid one', () => {
    expect(clientHost('127.0.0.1', 'internal:3000', 'pay.example.com', trust('127.0.0.1'))).toBe('pay.example.com');
    expect(clientHost('203.0.113.9', 'internal:3000', 'evil.example', trust('127.0.0.1'))).toBe('internal:3000');
    expect(clientHost('127.0.0.1', 'internal:3000', 'a b', trust('127.0.0.1'))).toBe('internal:3000');
  });
});

describe('Host validation', () => {
  it.each(['localhost', 'localhost:3000', 'pay.example.com', '127.0.0.1:80', '[::1]', '[::1]:3000', 'EXAMPLE.com.'])(
    'accepts %j',
    (host) => expect(validHost(host)).toBe(host.toLowerCase()),
  );
  it.each([
    undefined,
    '',
    'a b',
    '[::1',
    'x:99999',
    'x:0',
    'x:',
    ':80',
    'a/b',
    'a@b',
    '[zz]',
    'a..b',
    '-a',
    'x'.repeat(300),
  ])('refuses %j', (host) => expect(validHost(host)).toBeNull());
});

describe('cross-site Origin', () => {
  it.each([
    ['POST', undefined, false],
    ['POST', 'http://monitor.test', false],
    ['POST', 'https://evil.example', true],
    ['POST', 'null', true],
    ['POST', 'not a url', true],
    ['GET', 'https://evil.example', false],
  ])('%s with Origin %j → cross-site %s', (method, origin, expected) => {
    expect(isCrossSiteOrigin(method, origin, 'monitor.test')).toBe(expected);
  });
});
