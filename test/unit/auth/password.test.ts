import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, needsRehash, verifyPassword, type ScryptParams } from '~/auth/password.server';

// Cheap parameters keep the suite fast; the format and checks are the same as production's.
const FAST: ScryptParams = { N: 1024, r: 8, p: 1, keyLength: 32 };

describe('password hashing (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same password', FAST), hashPassword('same password', FAST)]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same password', b)).resolves.toBe(true);
  });

  it('treats composed and decomposed Unicode alike (NFKC)', async () => {
    const stored = await hashPassword('비밀번호\u00e9xyz1', FAST);
    await expect(verifyPassword('비밀번호e\u0301xyz1', stored)).resolves.toBe(true);
  });

  it.each([
    ['empty', ''],
    ['another scheme', 'bcrypt$2b$10$abcdefghijklmnopqrstuv'],
    ['missing part', 'scrypt$1024$8$1$c2FsdHNhbHQ'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'],
    ['N beyond the memory bound', 'scrypt$4194304$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'],
    ['r beyond the bound', 'scrypt$1024$64$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'],
    ['short salt', 'scrypt$1024$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA'],
  ])('answers false, never throws, for a malformed stored hash (%s)', async (_name, stored) => {
    await expect(verifyPassword('anything', stored)).resolves.toBe(false);
  });

  it('asks for a rehash when the stored parameters are weaker than the current ones', async () => {
    const weak = await hashPassword('pw-1234567890', FAST);
    expect(needsRehash(weak, FAST)).toBe(false);
    expect(needsRehash(weak, { ...FAST, N: 2048 })).toBe(true);
    expect(needsRehash(weak, { ...FAST, p: 2 })).toBe(true);
    expect(needsRehash('garbage', FAST)).toBe(true);
  });

  it('generates passwords of the asked length from an unambiguous alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(50);
    expect(generatePassword(32)).toHaveLength(32);
  });
});
