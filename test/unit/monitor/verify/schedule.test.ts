import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF_SECONDS, nextCheck } from '~/monitor/verify/schedule';
import type { AttentionReason } from '~/monitor/status';

const now = new Date('2026-11-24T00:00:00.000Z');
const reasons = (...r: AttentionReason[]) => new Set(r);

describe('nextCheck', () => {
  it.each(DEFAULT_BACKOFF_SECONDS.map((s, i) => [i, s] as const))(
    'attempt %i waits %i seconds',
    (attempts, seconds) => {
      const next = nextCheck({
        now,
        status: 'pending',
        openReasons: reasons('unverified'),
        attempts,
        vbankDueAt: null,
      });
      expect(next).toEqual({ nextCheckAt: new Date(now.getTime() + seconds * 1000), attempts: attempts + 1 });
    },
  );

  it('stops after the last step and leaves the order to a person', () => {
    expect(
      nextCheck({
        now,
        status: 'pending',
        openReasons: reasons('unverified'),
        attempts: DEFAULT_BACKOFF_SECONDS.length,
        vbankDueAt: null,
      }),
    ).toEqual({
      nextCheckAt: null,
      attempts: DEFAULT_BACKOFF_SECONDS.length,
    });
  });

  it('does not re-query for reasons only a person can resolve', () => {
    expect(
      nextCheck({
        now,
        status: 'mismatch',
        openReasons: reasons('amount_mismatch', 'late_change'),
        attempts: 2,
        vbankDueAt: null,
      }),
    ).toEqual({ nextCheckAt: null, attempts: 0 });
  });

  it('looks at an issued vbank just after its due date', () => {
    const due = new Date('2026-11-27T00:00:00.000Z');
    expect(
      nextCheck({ now, status: 'vbank_issued', openReasons: reasons(), attempts: 0, vbankDueAt: due }).nextCheckAt,
    ).toEqual(new Date(due.getTime() + 300_000));
  });

  it('accepts a custom backoff', () => {
    expect(
      nextCheck({
        now,
        status: 'pending',
        openReasons: reasons('missing_flag'),
        attempts: 0,
        vbankDueAt: null,
        backoffSeconds: [7],
      }).nextCheckAt,
    ).toEqual(new Date(now.getTime() + 7000));
  });
});

describe('nextCheck: a failure the gateway has not confirmed (decision 0010)', () => {
  const now = new Date('2026-12-02T00:00:00.000Z');
  const open = new Set<AttentionReason>(['unconfirmed_failure']);

  it('asks early, then follows the backoff, never past the end of the window', () => {
    const abandonAt = new Date(now.getTime() + 1800_000);
    const first = nextCheck({ now, status: 'pending', openReasons: open, attempts: 0, vbankDueAt: null, abandonAt });
    expect(first).toEqual({ nextCheckAt: new Date(now.getTime() + 15_000), attempts: 1 });
    const later = nextCheck({ now, status: 'pending', openReasons: open, attempts: 3, vbankDueAt: null, abandonAt });
    expect(later.nextCheckAt).toEqual(abandonAt);
  });

  it('past the backoff the check lands on the end of the window', () => {
    const abandonAt = new Date(now.getTime() + 7 * 86_400_000);
    const past = nextCheck({ now, status: 'pending', openReasons: open, attempts: 6, vbankDueAt: null, abandonAt });
    expect(past.nextCheckAt).toEqual(abandonAt);
  });
});
