import type { AttentionReason } from '../status';
import { fromDbTime } from '../time';

/**
 * Decision 0010 (only the gateway settles): an `unconfirmed_failure` waits for the gateway for
 * the store's window (the same stale-pending window the reconciler uses), counted from when the
 * buyer's browser reported the failure. Pure.
 */
export function unconfirmedFailureState(input: {
  openReasons: readonly { reason: string; opened_at: string }[];
  windowSeconds: number;
  now: Date;
}): { state: { silentPastWindow: boolean } | null; abandonAt: Date | null } {
  const row = input.openReasons.find((r) => r.reason === ('unconfirmed_failure' satisfies AttentionReason));
  const since = row ? fromDbTime(row.opened_at) : null;
  if (!since) return { state: null, abandonAt: null };
  const abandonAt = new Date(since.getTime() + input.windowSeconds * 1000);
  return { state: { silentPastWindow: abandonAt.getTime() <= input.now.getTime() }, abandonAt };
}

/** When a failure reported now would be abandoned, for planning the order's next check. */
export function abandonAtFrom(now: Date, windowSeconds: number): Date {
  return new Date(now.getTime() + windowSeconds * 1000);
}
