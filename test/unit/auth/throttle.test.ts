import { describe, expect, it } from 'vitest';
import { countedDecision, emailDelayMs, LOGIN_THROTTLE, secondsUntil } from '~/auth/throttle';

describe('sign-in throttle policy', () => {
  const now = new Date('2026-12-02T09:10:00.000Z');
  const windowStart = '2026-12-02T09:00:00.000Z';

  it.each([
    [1, true],
    [5, true],
    [6, false],
    [30, false],
  ])('pair attempt #%i allowed: %s (limit 5)', (count, allowed) => {
    const decision = countedDecision('pair', { count, windowStart }, LOGIN_THROTTLE.maxPerPair, now, 15 * 60_000);
    expect(decision.allowed).toBe(allowed);
    // The window began at 09:00 and ends at 09:15: five minutes from now.
    if (!decision.allowed) expect(decision).toEqual({ allowed: false, scope: 'pair', retryAfterSeconds: 300 });
  });

  it('slows an email down progressively after 10 failures, capped at a minute, never a lock', () => {
    expect([0, 9, 10, 11, 12, 15, 16, 40, 10_000].map((n) => emailDelayMs(n))).toEqual([
      0, 0, 1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('answers at least one second of Retry-After', () => {
    expect(secondsUntil('2026-12-02T09:09:00.000Z', now)).toBe(1);
    expect(secondsUntil('2026-12-02T09:10:01.200Z', now)).toBe(2);
  });
});
