import { describe, expect, it } from 'vitest';
import { LOGIN_THROTTLE, throttleDecision, type ThrottlePolicy } from '~/auth/throttle';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const POLICY: ThrottlePolicy = { windowMs: 15 * 60_000, maxPerEmail: 5, maxPerIp: 20 };
/** Failure times `minutesAgo` before NOW, oldest first. */
const ago = (...minutesAgo: number[]) => minutesAgo.map((m) => new Date(NOW.getTime() - m * 60_000).toISOString());

describe('sign-in throttle decision', () => {
  it('uses 5 failures per email and 20 per IP in 15 minutes', () => {
    expect(LOGIN_THROTTLE).toEqual(POLICY);
  });

  it.each([
    ['no failures', { email: [], ip: [] }, { allowed: true }],
    ['4 email failures', { email: ago(10, 8, 6, 4), ip: ago(10, 8, 6, 4) }, { allowed: true }],
    [
      '5 email failures: blocked until the oldest leaves the window',
      { email: ago(10, 8, 6, 4, 2), ip: ago(10, 8, 6, 4, 2) },
      { allowed: false, scope: 'email', retryAfterSeconds: 5 * 60 },
    ],
    [
      '7 email failures: blocked until the 3rd oldest leaves',
      { email: ago(14, 12, 10, 8, 6, 4, 2), ip: [] },
      { allowed: false, scope: 'email', retryAfterSeconds: 5 * 60 },
    ],
    ['5 failures, the oldest just outside the window', { email: ago(15, 8, 6, 4, 2), ip: [] }, { allowed: true }],
    [
      '19 IP failures',
      { email: [], ip: ago(...Array.from({ length: 19 }, (_, i) => 14 - i * 0.5)) },
      { allowed: true },
    ],
    [
      '20 IP failures across emails',
      { email: ago(1), ip: ago(...Array.from({ length: 20 }, (_, i) => 14 - i * 0.5)) },
      { allowed: false, scope: 'ip', retryAfterSeconds: 60 },
    ],
    [
      'a failure a moment ago still rounds up to one second',
      { email: ago(14.99, 1, 1, 1, 1), ip: [] },
      { allowed: false, scope: 'email', retryAfterSeconds: 1 },
    ],
  ] as const)('%s', (_name, failures, expected) => {
    expect(throttleDecision(failures, NOW, POLICY)).toEqual(expected);
  });

  it('reports the longer block when both email and IP are blocked', () => {
    const decision = throttleDecision(
      { email: ago(3, 3, 3, 3, 3), ip: ago(...Array.from({ length: 20 }, () => 1)) },
      NOW,
      POLICY,
    );
    expect(decision).toEqual({ allowed: false, scope: 'ip', retryAfterSeconds: 14 * 60 });
  });
});
