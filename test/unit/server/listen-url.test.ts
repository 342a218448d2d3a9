import { describe, expect, it } from 'vitest';
import { listeningUrl } from '../../../server/listen-url';

describe('the "listening" line names the address HOST gives', () => {
  it.each([
    ['0.0.0.0', null, 'http://localhost:3000'],
    ['::', null, 'http://localhost:3000'],
    ['127.0.0.1', null, 'http://127.0.0.1:3000'],
    ['192.168.0.10', null, 'http://192.168.0.10:3000'],
    ['::1', null, 'http://[::1]:3000'],
    ['monitor.internal', null, 'http://monitor.internal:3000'],
    ['0.0.0.0', 'https://pay.example.com', 'https://pay.example.com'],
  ])('HOST=%s PUBLIC_URL=%s → %s', (host, publicUrl, expected) => {
    expect(listeningUrl(host, 3000, publicUrl)).toBe(expected);
  });
});
