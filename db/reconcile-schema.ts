import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  OrderStatus,
  RunItemOutcome,
  RunKind,
  RunStatus,
  RunStoreStatus,
  RunTrigger,
} from '../app/monitor/status';

/** Tables of reconciliation runs and job leases (migration 0020). Conventions: see db/schema.ts. */

export interface ReconcileRunTable {
  id: Generated<number>;
  /** `reconcile` (re-query ambiguous orders) or `sweep` (list the gateway's payments). */
  kind: RunKind;
  /** `schedule`, `cli` or `button`. */
  trigger: RunTrigger;
  /** The `--store` filter; null for every store. */
  store_slug: string | null;
  dry_run: number;
  /** `--all`: every ambiguous order, whatever its next_check_at. */
  all_orders: number;
  window_from: string | null;
  window_to: string | null;
  started_at: string;
  finished_at: string | null;
  /** `running`, `ok`, `failed` or `skipped`. */
  status: RunStatus;
  examined: number;
  settled: number;
  still_open: number;
  errors: number;
  gateway_calls: number;
  duration_ms: number | null;
  /** A user's name, `cli:<user>` or `scheduler`. */
  started_by: string | null;
  /** The process that ran it (or, for a skipped run, the one that held the lease). */
  lease_holder: string | null;
  error: string | null;
}
export type ReconcileRunRow = Selectable<ReconcileRunTable>;
export type NewReconcileRunRow = Insertable<ReconcileRunTable>;
export type ReconcileRunUpdate = Updateable<ReconcileRunTable>;

/** One store's share of a run: its window, its counts and its one error. */
export interface ReconcileRunStoreTable {
  id: Generated<number>;
  run_id: number;
  store_id: number;
  store_slug: string;
  /** `ok`, `failed` or `skipped`. */
  status: RunStoreStatus;
  window_from: string | null;
  window_to: string | null;
  /** 1 when the window was covered completely, so the next run may start after it. */
  window_done: number;
  examined: number;
  settled: number;
  still_open: number;
  /** Due orders left for the next run because the gateway was unavailable. */
  not_reached: number;
  reasons_opened: number;
  errors: number;
  gateway_calls: number;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}
export type ReconcileRunStoreRow = Selectable<ReconcileRunStoreTable>;
export type NewReconcileRunStoreRow = Insertable<ReconcileRunStoreTable>;

export interface ReconcileRunItemTable {
  id: Generated<number>;
  run_id: number;
  store_id: number;
  order_id: number | null;
  merchant_uid: string | null;
  imp_uid: string | null;
  status_before: OrderStatus | null;
  status_after: OrderStatus | null;
  /** A verification outcome, `reason_opened`, `reason_resolved` or `error`. */
  outcome: RunItemOutcome;
  /** JSON array of reason names. */
  reasons_opened: string;
  error: string | null;
  at: string;
}
export type ReconcileRunItemRow = Selectable<ReconcileRunItemTable>;
export type NewReconcileRunItemRow = Insertable<ReconcileRunItemTable>;

/** One row per job name: who may run it until when (app/monitor/jobs/lease.server.ts). */
export interface JobLeaseTable {
  name: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
  heartbeat_at: string;
}
export type JobLeaseRow = Selectable<JobLeaseTable>;

/** A store whose gateway kept failing is left alone until `until` (shared by every process). */
export interface GatewayCooldownTable {
  store_id: number;
  /** How many times in a row the breaker opened; the cooldown doubles with each. */
  level: number;
  until: string;
  last_error: string;
  updated_at: string;
}
export type GatewayCooldownRow = Selectable<GatewayCooldownTable>;

export interface ReconcileTables {
  reconcile_run: ReconcileRunTable;
  reconcile_run_store: ReconcileRunStoreTable;
  reconcile_run_item: ReconcileRunItemTable;
  job_lease: JobLeaseTable;
  gateway_cooldown: GatewayCooldownTable;
}
