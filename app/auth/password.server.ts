import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';

/**
 * Password hashing with scrypt (node:crypto). The stored form carries its own parameters and
 * salt, `scrypt$N$r$p$salt$hash` (base64url), so the cost can be raised later without breaking
 * existing hashes.
 */

export type ScryptParams = { N: number; r: number; p: number; keyLength: number };

/** One of OWASP's recommended scrypt settings (N=2^15, r=8, p=3): 32 MiB per hash. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3, keyLength: 32 };

/** Upper bounds on parameters read back from the database, so a tampered row cannot exhaust memory. */
const MAX_N = 2 ** 20;
const MAX_R = 16;
const MAX_P = 16;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * scrypt runs on libuv's thread pool (4 threads by default), which every file `stat`, DNS
 * look-up and zlib call also needs: unbounded, a burst of sign-ins would starve every other
 * request, and on a small machine the CPU the event loop needs. At most `SCRYPT_CONCURRENCY`
 * run at once (one per core beyond the first, at most two); up to `SCRYPT_QUEUE` more wait their turn,
 * and past that the caller gets `PasswordBusyError` at once (the sign-in answers 429).
 */
export const SCRYPT_CONCURRENCY = Math.max(1, Math.min(2, availableParallelism() - 1));
export const SCRYPT_QUEUE = 64;

export class PasswordBusyError extends Error {
  override name = 'PasswordBusyError';
}

/** A counting semaphore with a bounded queue (FIFO). */
export function createLimiter(concurrency: number, queueLimit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= concurrency) {
        if (waiting.length >= queueLimit) throw new PasswordBusyError('Too many password checks waiting');
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running++;
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}

const scryptLimiter = createLimiter(SCRYPT_CONCURRENCY, SCRYPT_QUEUE);

/** How many scrypt runs are going and waiting (metrics, tests). */
export function scryptStats(): { running: number; waiting: number } {
  return scryptLimiter.stats();
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return scryptLimiter.run(() => deriveNow(password, salt, params));
}

function deriveNow(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, params.keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

type Parsed = { params: ScryptParams; salt: Buffer; key: Buffer };

function parseHash(stored: string): Parsed | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((v) => Number(v));
  if (![N, r, p].every((v) => Number.isInteger(v) && v! > 0)) return null;
  if (N! > MAX_N || (N! & (N! - 1)) !== 0 || r! > MAX_R || p! > MAX_P) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16) return null;
  return { params: { N: N!, r: r!, p: p!, keyLength: key.length }, salt, key };
}

/** True when `password` matches `stored`; a malformed stored hash answers false, never throws. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with weaker parameters than `params` (rehash on next sign-in). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed ||
    parsed.params.N < params.N ||
    parsed.params.r < params.r ||
    parsed.params.p < params.p ||
    parsed.params.keyLength < params.keyLength
  );
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password of `length` characters from an unambiguous alphabet (~5.8 bits each). */
export function generatePassword(length = 20): string {
  const out: string[] = [];
  // Rejection sampling keeps the distribution uniform.
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 256 - (256 % ALPHABET.length)) out.push(ALPHABET[byte % ALPHABET.length]!);
      if (out.length === length) break;
    }
  }
  return out.join('');
}

let dummyHash: Promise<string> | null = null;

/**
 * Spends the same time as a real verification, for unknown or disabled accounts, so response
 * times do not reveal which emails exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}
