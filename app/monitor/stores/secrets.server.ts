import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Store secrets at rest: AES-256-GCM with a key derived from APP_SECRET (HKDF-SHA256), stored
 * as `v1.<iv>.<tag>.<ciphertext>` in base64url. Store API keys are only ever stored hashed.
 */

function storeSecretKey(appSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', appSecret, 'iamport-monitor', 'store-secret-v1', 32));
}

export function encryptSecret(plain: string, appSecret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', storeSecretKey(appSecret), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(
    '.',
  );
}

export function decryptSecret(sealed: string, appSecret: string): string {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised secret format');
  const decipher = createDecipheriv('aes-256-gcm', storeSecretKey(appSecret), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

/** A new store API key: `sk_` + 40 hex characters; the prefix (first 11 chars) is kept for display. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `sk_${randomBytes(20).toString('hex')}`;
  return { key, prefix: key.slice(0, 11), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function apiKeyMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
