import { deleteOldWindows } from '../../../db/integrity';
import { purgeableIds, purgeRows, type EvidenceTable } from '../../../db/retention';
import { toDbTime } from '../time';
import { executeRun, type JobDeps, type RunOptions, type RunSummary, type StoreRun } from './run-frame.server';

/** Rows changed per statement (one short transaction each, so requests never wait long). */
export const PURGE_BATCH_SIZE = 500;
/** At most this many batches per table, store and run; the rest waits for the next run. */
export const PURGE_MAX_BATCHES = 200;
/** Budget windows (rate_window) older than this are dropped by the purge. */
const RATE_WINDOW_KEEP_MS = 24 * 3600_000;

const TABLES: EvidenceTable[] = ['redirect_hit', 'webhook_delivery', 'gateway_check'];

export type PurgeOptions = RunOptions & { batchSize?: number; maxBatches?: number };

/**
 * The retention purge (decision 0011). For each store (one run at a time across processes, under
 * the `purge` lease, recorded like every run): raw evidence older than the store's
 * `evidence_retention_days` whose orders are settled loses its raw part (query strings, bodies,
 * headers, raw gateway answers) in bounded batches; the parsed columns, the orders, their
 * verifications and reasons, and the audit trail are kept. `examined` counts the rows purged.
 * A dry run counts what the same batches would purge and changes nothing.
 */
export async function runPurge(deps: JobDeps, options: PurgeOptions): Promise<RunSummary> {
  const summary = await executeRun(deps, { kind: 'purge', options }, (run) =>
    purgeStore(run, {
      batchSize: options.batchSize ?? PURGE_BATCH_SIZE,
      maxBatches: options.maxBatches ?? PURGE_MAX_BATCHES,
    }),
  );
  if (!options.dryRun && summary.status !== 'skipped')
    await deleteOldWindows(deps.db, toDbTime(new Date(deps.now().getTime() - RATE_WINDOW_KEEP_MS)));
  return summary;
}

async function purgeStore(run: StoreRun, options: { batchSize: number; maxBatches: number }): Promise<void> {
  const { deps, store } = run;
  const now = deps.now();
  const cutoff = toDbTime(new Date(now.getTime() - store.evidenceRetentionDays * 86_400_000));
  for (const table of TABLES) {
    let afterId = 0;
    for (let batch = 0; batch < options.maxBatches; batch++) {
      await run.checkpoint();
      const ids = await purgeableIds(deps.db, table, {
        storeId: store.id,
        cutoff,
        afterId,
        limit: options.batchSize,
      });
      if (ids.length === 0) break;
      // A dry run pages through the same batches and counts them, so it reports what the run would purge.
      run.countExamined(run.dryRun ? ids.length : await purgeRows(deps.db, table, ids, toDbTime(deps.now())));
      afterId = ids[ids.length - 1]!;
      if (ids.length < options.batchSize) break;
    }
  }
}
