import { REQUERY_REASONS, type AttentionReason, type OrderStatus } from '../status';

/** Default re-query backoff after each unsettled check: 1m, 5m, 15m, 1h, 6h, 24h, then a person. */
export const DEFAULT_BACKOFF_SECONDS = [60, 300, 900, 3600, 21600, 86400] as const;

/** How long after a vbank's due date we look again before calling it overdue. */
export const VBANK_DUE_MARGIN_SECONDS = 300;

/**
 * A buyer's browser reported a failure the gateway has not confirmed (`unconfirmed_failure`):
 * ask again soon, and never later than the moment the store's window ends, when a still-silent
 * gateway settles the order as abandoned (decision 0010).
 */
export const UNCONFIRMED_FAILURE_FIRST_CHECK_SECONDS = 15;

export type NextCheck = { nextCheckAt: Date | null; attempts: number };

/**
 * When the scheduled job should look at this order again. Pure: `attempts` counts the automatic
 * re-queries since the order was last settled; past the last backoff step it returns null and the
 * order waits in the attention queue for a person.
 */
export function nextCheck(input: {
  now: Date;
  status: OrderStatus;
  openReasons: ReadonlySet<AttentionReason>;
  attempts: number;
  vbankDueAt: Date | null;
  backoffSeconds?: readonly number[];
  /** When an open `unconfirmed_failure` turns into `abandoned` if the gateway stays silent. */
  abandonAt?: Date | null;
}): NextCheck {
  const backoff = input.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS;
  const needsRequery = [...input.openReasons].some((r) => REQUERY_REASONS.has(r));
  if (input.openReasons.has('unconfirmed_failure') && input.status === 'pending') {
    const step = input.attempts === 0 ? UNCONFIRMED_FAILURE_FIRST_CHECK_SECONDS : backoff[input.attempts];
    const planned = step === undefined ? null : input.now.getTime() + step * 1000;
    const deadline = input.abandonAt ? Math.max(input.abandonAt.getTime(), input.now.getTime()) : null;
    const at = planned === null ? deadline : deadline === null ? planned : Math.min(planned, deadline);
    if (at === null) return { nextCheckAt: null, attempts: input.attempts };
    return { nextCheckAt: new Date(at), attempts: input.attempts + 1 };
  }
  if (needsRequery) {
    const step = backoff[input.attempts];
    if (step === undefined) return { nextCheckAt: null, attempts: input.attempts };
    return { nextCheckAt: new Date(input.now.getTime() + step * 1000), attempts: input.attempts + 1 };
  }
  if (input.status === 'vbank_issued' && input.vbankDueAt && !input.openReasons.has('vbank_overdue')) {
    const due = new Date(input.vbankDueAt.getTime() + VBANK_DUE_MARGIN_SECONDS * 1000);
    return { nextCheckAt: due > input.now ? due : input.now, attempts: 0 };
  }
  return { nextCheckAt: null, attempts: 0 };
}
