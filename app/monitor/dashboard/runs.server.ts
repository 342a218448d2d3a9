import cron from 'node-cron';
import type { ReconcileRunItemRow } from '../../../db/reconcile-schema';
import { countRunItems, findRun, listRunItems, listRunRows, listRunStores } from '../../../db/runs';
import { getLeaseStatus, type LeaseStatus } from '../jobs/lease.server';
import { toSummary, type RunSummary } from '../jobs/run-summary';
import type { AttentionReason, OrderStatus, RunItemOutcome, RunKind, RunStatus } from '../status';
import { toDbTime } from '../time';
import type { MonitorDeps } from '../verify/verify.server';

/**
 * The runs screen (`/runs`, `/runs/:runId`) and the CLI's report: runs newest first, one run with
 * its stores and items, and each job's schedule, next run, lease holder and latest run.
 */

export type { RunSummary };

export type RunListFilter = {
  kind?: RunKind;
  status?: RunStatus;
  storeSlug?: string;
  beforeId?: number;
  limit?: number;
};

/** Runs, newest first (without their stores and items); page with `beforeId` = the last runId seen. */
export async function listRuns(
  deps: Pick<MonitorDeps, 'db'>,
  filter: RunListFilter = {},
): Promise<{ runs: RunSummary[]; nextBeforeId: number | null }> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  const rows = await listRunRows(deps.db, { ...filter, limit: limit + 1 });
  const page = rows.slice(0, limit);
  return {
    runs: page.map((r) => toSummary(r, [])),
    nextBeforeId: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export type RunItemView = {
  id: number;
  storeSlug: string;
  orderId: number | null;
  merchantUid: string | null;
  impUid: string | null;
  statusBefore: OrderStatus | null;
  statusAfter: OrderStatus | null;
  outcome: RunItemOutcome;
  reasonsOpened: AttentionReason[];
  error: string | null;
  at: string;
};

export type RunDetail = RunSummary & {
  /** How many items of each outcome the run recorded. */
  itemCounts: Partial<Record<RunItemOutcome, number>>;
  items: RunItemView[];
  /** Pass as `afterItemId` for the next page of items; null at the end. */
  nextAfterItemId: number | null;
};

function toItemView(row: ReconcileRunItemRow & { store_slug: string }): RunItemView {
  return {
    id: row.id,
    storeSlug: row.store_slug,
    orderId: row.order_id,
    merchantUid: row.merchant_uid,
    impUid: row.imp_uid,
    statusBefore: row.status_before as OrderStatus | null,
    statusAfter: row.status_after as OrderStatus | null,
    outcome: row.outcome as RunItemOutcome,
    reasonsOpened: JSON.parse(row.reasons_opened) as AttentionReason[],
    error: row.error,
    at: row.at,
  };
}

/** One run with its stores and a page of its items (optionally of one outcome). Null when unknown. */
export async function getRun(
  deps: Pick<MonitorDeps, 'db'>,
  runId: number,
  options: { outcome?: RunItemOutcome; afterItemId?: number; itemLimit?: number } = {},
): Promise<RunDetail | null> {
  const row = await findRun(deps.db, runId);
  if (!row) return null;
  const limit = Math.min(Math.max(options.itemLimit ?? 100, 1), 1000);
  const [stores, counts, items] = await Promise.all([
    listRunStores(deps.db, runId),
    countRunItems(deps.db, runId),
    listRunItems(deps.db, runId, { outcome: options.outcome, afterId: options.afterItemId, limit: limit + 1 }),
  ]);
  const page = items.slice(0, limit);
  return {
    ...toSummary(row, stores),
    itemCounts: counts as RunDetail['itemCounts'],
    items: page.map(toItemView),
    nextAfterItemId: items.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export type JobStatus = {
  kind: RunKind;
  /** The cron expression from the configuration. */
  schedule: string;
  /** When the scheduler fires next (in this server's time zone, like node-cron), or null. */
  nextRunAt: string | null;
  /** Whether this process runs the schedule (JOBS=on); another instance may. */
  scheduledHere: boolean;
  /** Who holds (or last held) the job's lease. */
  lease: LeaseStatus | null;
  lastRun: RunSummary | null;
};

/** For the dashboard: each job's schedule, next run, lease holder and latest run. */
export async function getJobStatuses(deps: Pick<MonitorDeps, 'db' | 'now' | 'config'>): Promise<JobStatus[]> {
  const jobs: { kind: RunKind; schedule: string }[] = [
    { kind: 'reconcile', schedule: deps.config.reconcileCron },
    { kind: 'sweep', schedule: deps.config.sweepCron },
  ];
  return Promise.all(
    jobs.map(async ({ kind, schedule }) => {
      const [lease, last] = await Promise.all([getLeaseStatus(deps, kind), listRunRows(deps.db, { kind, limit: 1 })]);
      const next = nextCronRun(schedule, deps.now());
      return {
        kind,
        schedule,
        nextRunAt: next ? toDbTime(next) : null,
        scheduledHere: deps.config.jobs,
        lease,
        lastRun: last[0] ? toSummary(last[0], []) : null,
      };
    }),
  );
}

/**
 * The first time after `after` that a node-cron expression fires, judged with node-cron's own
 * matcher (local time zone, like the scheduler). Looks up to 400 days ahead; null past that.
 */
export function nextCronRun(expression: string, after: Date): Date | null {
  if (!cron.validate(expression)) return null;
  const task = cron.createTask(expression, () => {});
  const fields = cron.parse(expression);
  const seconds = [...fields.second].sort((a, b) => a - b);
  const minutes = [...fields.minute].sort((a, b) => a - b);
  const hours = [...fields.hour].sort((a, b) => a - b);
  const day = new Date(after.getFullYear(), after.getMonth(), after.getDate());
  try {
    for (let d = 0; d < 400; d++) {
      const y = day.getFullYear();
      const m = day.getMonth();
      const dd = day.getDate() + d;
      // A day that does not match for its first allowed time does not match at all.
      if (!task.match(new Date(y, m, dd, hours[0], minutes[0], seconds[0]))) continue;
      for (const h of hours) {
        for (const mi of minutes) {
          for (const s of seconds) {
            const candidate = new Date(y, m, dd, h, mi, s);
            if (candidate.getTime() > after.getTime() && task.match(candidate)) return candidate;
          }
        }
      }
    }
    return null;
  } finally {
    void task.destroy();
  }
}
