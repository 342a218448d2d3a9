import type { Selectable } from 'kysely';

/** The overview's maintained rollup (migration 0035, docs/decisions/0150-overview-rollup.md). */

export interface OverviewRollupTable {
  /** `h`: a UTC hour, bucket `YYYY-MM-DDTHH`; `d`: a day in the display time zone, bucket `YYYY-MM-DD`. */
  grain: string;
  /** What is counted: see OVERVIEW_METRICS in db/overview-rollup.ts. */
  metric: string;
  bucket: string;
  /** 0 for evidence that named no known store. */
  store_id: number;
  /** The breakdown within the metric: an order status, a verification outcome, a flag kind, a delay bucket, or ''. */
  dim: string;
  /** The order's currency for `order`, else ''. */
  currency: string;
  n: number;
  /** Integer minor units of `currency` (orders only; 0 elsewhere). */
  amount: number;
}
export type OverviewRollupRow = Selectable<OverviewRollupTable>;

export interface OverviewTables {
  overview_rollup: OverviewRollupTable;
}
