import { describe, expect, it } from 'vitest';
import { parseRedirectQuery } from '~/monitor/capture/redirect.server';
import { parseWebhookBody } from '~/monitor/capture/webhook.server';
import { apiKeyMatches, decryptSecret, encryptSecret, generateApiKey } from '~/monitor/stores/secrets.server';

describe('parseRedirectQuery', () => {
  it.each([
    [
      'imp_uid=imp_123456789012&merchant_uid=o1&imp_success=true',
      { impUid: 'imp_123456789012', merchantUid: 'o1', flag: { kind: 'imp_success', value: true } },
    ],
    [
      'imp_uid=imp_123456789012&merchant_uid=o1&success=false&error_code=F400&error_msg=%EC%B7%A8%EC%86%8C',
      { flag: { kind: 'success', value: false }, errorCode: 'F400', errorMsg: '취소' },
    ],
    ['imp_uid=imp_123456789012&merchant_uid=o1', { flag: { kind: 'none', value: null }, parseError: null }],
    ['merchant_uid=o1', { impUid: null, merchantUid: 'o1' }],
    [
      'imp_success=maybe&merchant_uid=o1',
      { flag: { kind: 'imp_success', value: null }, parseError: 'imp_success is neither true nor false' },
    ],
    ['imp_uid=%3Cscript%3E&merchant_uid=o1', { impUid: null, parseError: 'imp_uid is malformed' }],
    ['merchant_uid=a%00b', { merchantUid: null, parseError: 'merchant_uid is malformed' }],
    // A blank id cannot be asked of the gateway (the hostile corpus once logged the client's refusal).
    ['merchant_uid=%20%20&imp_success=false', { merchantUid: null, parseError: 'merchant_uid is malformed' }],
    ['merchant_uid=+', { merchantUid: null, parseError: 'merchant_uid is malformed' }],
    ['%E0%A4%A&merchant_uid=%ZZ', { merchantUid: '%ZZ' }],
    [
      'imp_uid=imp_1&imp_uid=imp_2',
      { impUid: 'imp_1', parseError: 'imp_uid given 2 times with different values; the first was used' },
    ],
    ['', { impUid: null, merchantUid: null, flag: { kind: 'none', value: null } }],
  ])('%s', (query, expected) => {
    expect(parseRedirectQuery(query)).toMatchObject(expected);
  });
});

describe('parseWebhookBody', () => {
  it.each([
    [
      'application/json',
      '{"imp_uid":"imp_1","merchant_uid":"o1","status":"paid"}',
      { ok: true, body: { imp_uid: 'imp_1', merchant_uid: 'o1', status: 'paid' } },
    ],
    ['application/json; charset=utf-8', '{"imp_uid":"imp_1"}', { ok: true }],
    [
      'application/x-www-form-urlencoded',
      'imp_uid=imp_1&merchant_uid=o1&status=cancelled&cancellation_id=c1',
      { ok: true, body: { cancellation_id: 'c1' } },
    ],
    ['application/json', '{"imp_uid":', { ok: false, status: 400 }],
    ['application/json', '[1,2]', { ok: false, status: 400, message: 'body must be a JSON object' }],
    ['application/json', '{"merchant_uid":"o1"}', { ok: false, status: 400, message: 'imp_uid is required' }],
    [
      'application/json',
      '{"imp_uid":"<script>alert(1)</script>"}',
      { ok: false, status: 400, message: 'imp_uid is malformed' },
    ],
    [
      'application/json',
      '{"imp_uid":"imp_1","merchant_uid":"   "}',
      { ok: false, status: 400, message: 'merchant_uid is malformed' },
    ],
    [
      'application/x-www-form-urlencoded',
      'imp_uid=imp_1&merchant_uid=a%01b',
      { ok: false, status: 400, message: 'merchant_uid is malformed' },
    ],
    ['text/plain', 'imp_uid=imp_1', { ok: false, status: 415 }],
    [null, '{}', { ok: false, status: 415 }],
  ])('%s %s', (type, body, expected) => {
    expect(parseWebhookBody(type, body)).toMatchObject(expected);
  });
});

describe('secrets', () => {
  it('round-trips a store secret and refuses another APP_SECRET', () => {
    const sealed = encryptSecret('imp-secret-값', 'a'.repeat(32));
    expect(sealed).not.toContain('imp-secret');
    expect(decryptSecret(sealed, 'a'.repeat(32))).toBe('imp-secret-값');
    expect(() => decryptSecret(sealed, 'b'.repeat(32))).toThrow();
  });

  it('matches API keys only by their hash', () => {
    const { key, hash, prefix } = generateApiKey();
    expect(key.startsWith(prefix)).toBe(true);
    expect(apiKeyMatches(key, hash)).toBe(true);
    expect(apiKeyMatches(`${key}x`, hash)).toBe(false);
  });
});
