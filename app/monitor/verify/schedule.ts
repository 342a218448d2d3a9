import { REQUERY_REASONS, type AttentionReason, type OrderStatus } from '../status';

/** Default re-query backoff after each unsettled check: 1m, 5m, 15m, 1h, 6h, 24h, then a person. */
export const DEFAULT_BACKOFF_SECONDS = [60, 300, 900, 3600, 21600, 86400] as const;

/** How long after a vbank's due date we look again before calling it overdue. */
export const VBANK_DUE_MARGIN_SECONDS = 300;

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
}): NextCheck {
  const backoff = input.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS;
  const needsRequery = [...input.openReasons].some((r) => REQUERY_REASONS.has(r));
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
