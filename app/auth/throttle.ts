/**
 * Sign-in throttling policy, as pure functions over counters the database keeps atomically
 * (db/login-throttle.ts), so it holds under concurrency, across restarts and across app
 * instances (docs/decisions/0123-sign-in-throttle.md).
 *
 * - **pair** (email, address): every attempt is counted *before* the password is checked; past
 *   `maxPerPair` in the window the attempt is refused without running scrypt. A success clears it.
 * - **ip** (address, any email): attempts counted up front too, a success gives its count back;
 *   higher, because an office shares one address.
 * - **email** (any address): checked failures make further attempts from addresses that never
 *   signed in to this account progressively slower (one try per `delay`), never a lock: a
 *   stranger's guesses cannot keep the owner out, and an address the owner has signed in from
 *   recently is not slowed at all.
 */

export type ThrottlePolicy = {
  windowMs: number;
  maxPerPair: number;
  maxPerIp: number;
  /** Window over which an email's checked failures add up. */
  emailWindowMs: number;
  /** Failures of an email before unknown addresses are slowed down. */
  emailFreeFailures: number;
  /** The slow-down: 1 s after `emailFreeFailures`, doubling per failure, capped. */
  emailMaxDelayMs: number;
  /** An address with a successful sign-in to the email this recently is "known". */
  knownAddressMs: number;
};

export const LOGIN_THROTTLE: ThrottlePolicy = {
  windowMs: 15 * 60 * 1000,
  maxPerPair: 5,
  maxPerIp: 20,
  emailWindowMs: 60 * 60 * 1000,
  emailFreeFailures: 10,
  emailMaxDelayMs: 60 * 1000,
  knownAddressMs: 30 * 24 * 60 * 60 * 1000,
};

export type ThrottleScope = 'pair' | 'ip' | 'email' | 'busy';

export type ThrottleDecision = { allowed: true } | { allowed: false; scope: ThrottleScope; retryAfterSeconds: number };

/**
 * The decision for a counted attempt: `count` is this attempt's number in the window that began
 * at `windowStart` (ISO time). Refused past `max`, until the window ends.
 */
export function countedDecision(
  scope: 'pair' | 'ip',
  counted: { count: number; windowStart: string },
  max: number,
  now: Date,
  windowMs: number,
): ThrottleDecision {
  if (counted.count <= max) return { allowed: true };
  const liftsAt = Date.parse(counted.windowStart) + windowMs;
  return { allowed: false, scope, retryAfterSeconds: Math.max(1, Math.ceil((liftsAt - now.getTime()) / 1000)) };
}

/** How long an unknown address waits between attempts on an email with `failures` recent failures. */
export function emailDelayMs(failures: number, policy: ThrottlePolicy = LOGIN_THROTTLE): number {
  if (failures < policy.emailFreeFailures) return 0;
  const exponent = Math.min(30, failures - policy.emailFreeFailures);
  return Math.min(policy.emailMaxDelayMs, 1000 * 2 ** exponent);
}

/** Seconds until `until` (ISO time), at least 1: the `Retry-After` of a refusal. */
export function secondsUntil(until: string, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(until) - now.getTime()) / 1000));
}
