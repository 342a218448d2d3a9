import type { ReconcileRunRow, ReconcileRunStoreRow } from '../../../db/reconcile-schema';
import type { RunKind, RunStatus, RunStoreStatus, RunTrigger } from '../status';

/**
 * What a reconciliation run reports when it ends (the run frame returns it, the CLI prints it,
 * the runs screen lists it): the run row and its per-store rows as plain values.
 */

export type StoreRunSummary = {
  storeSlug: string;
  status: RunStoreStatus;
  windowFrom: string | null;
  windowTo: string | null;
  examined: number;
  settled: number;
  stillOpen: number;
  notReached: number;
  reasonsOpened: number;
  errors: number;
  gatewayCalls: number;
  error: string | null;
};

export type RunSummary = {
  runId: number;
  kind: RunKind;
  trigger: RunTrigger;
  status: RunStatus;
  dryRun: boolean;
  allOrders: boolean;
  storeSlug: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  examined: number;
  settled: number;
  stillOpen: number;
  errors: number;
  gatewayCalls: number;
  startedBy: string | null;
  leaseHolder: string | null;
  error: string | null;
  stores: StoreRunSummary[];
};

function toStoreSummary(row: ReconcileRunStoreRow): StoreRunSummary {
  return {
    storeSlug: row.store_slug,
    status: row.status as RunStoreStatus,
    windowFrom: row.window_from,
    windowTo: row.window_to,
    examined: row.examined,
    settled: row.settled,
    stillOpen: row.still_open,
    notReached: row.not_reached,
    reasonsOpened: row.reasons_opened,
    errors: row.errors,
    gatewayCalls: row.gateway_calls,
    error: row.error,
  };
}

export function toSummary(row: ReconcileRunRow, stores: ReconcileRunStoreRow[]): RunSummary {
  return {
    runId: row.id,
    kind: row.kind as RunKind,
    trigger: row.trigger as RunTrigger,
    status: row.status as RunStatus,
    dryRun: row.dry_run === 1,
    allOrders: row.all_orders === 1,
    storeSlug: row.store_slug,
    windowFrom: row.window_from,
    windowTo: row.window_to,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    examined: row.examined,
    settled: row.settled,
    stillOpen: row.still_open,
    errors: row.errors,
    gatewayCalls: row.gateway_calls,
    startedBy: row.started_by,
    leaseHolder: row.lease_holder,
    error: row.error,
    stores: [...stores].sort((a, b) => a.store_slug.localeCompare(b.store_slug)).map(toStoreSummary),
  };
}
