/**
 * Sign-in throttling, as a pure decision over the recent failures the database holds
 * (db/login-attempts.ts), so it survives restarts and holds across app instances.
 */

export type ThrottlePolicy = {
  windowMs: number;
  /** Failures for one email (since its last success) that block further tries. */
  maxPerEmail: number;
  /** Failures from one IP, any email. Higher: an office shares one address. */
  maxPerIp: number;
};

export const LOGIN_THROTTLE: ThrottlePolicy = { windowMs: 15 * 60 * 1000, maxPerEmail: 5, maxPerIp: 20 };

export type ThrottleDecision = { allowed: true } | { allowed: false; scope: 'email' | 'ip'; retryAfterSeconds: number };

/**
 * Blocked while `max` or more failures lie inside the window; the block lifts when enough of the
 * oldest ones leave it. `failures` are ISO times, oldest first.
 */
export function throttleDecision(
  failures: { email: readonly string[]; ip: readonly string[] },
  now: Date,
  policy: ThrottlePolicy = LOGIN_THROTTLE,
): ThrottleDecision {
  const check = (times: readonly string[], max: number): number | null => {
    const from = now.getTime() - policy.windowMs;
    const inWindow = times.map((t) => Date.parse(t)).filter((t) => t > from);
    if (inWindow.length < max) return null;
    const liftsAt = inWindow[inWindow.length - max]! + policy.windowMs;
    return Math.max(1, Math.ceil((liftsAt - now.getTime()) / 1000));
  };
  const byEmail = check(failures.email, policy.maxPerEmail);
  const byIp = check(failures.ip, policy.maxPerIp);
  if (byEmail === null && byIp === null) return { allowed: true };
  if (byIp !== null && (byEmail === null || byIp > byEmail))
    return { allowed: false, scope: 'ip', retryAfterSeconds: byIp };
  return { allowed: false, scope: 'email', retryAfterSeconds: byEmail! };
}
