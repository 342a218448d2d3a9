import type { Kysely } from 'kysely';
import type { Database } from './schema';
import type {
  NewReconcileRunItemRow,
  NewReconcileRunRow,
  NewReconcileRunStoreRow,
  ReconcileRunItemRow,
  ReconcileRunRow,
  ReconcileRunStoreRow,
  ReconcileRunUpdate,
} from './reconcile-schema';
import type { RunItemOutcome, RunKind, RunStatus } from '../app/monitor/status';

/** The run history of the scheduled jobs: runs, their per-store windows and their items. */

type Q = Kysely<Database>;

export function insertRun(db: Q, row: NewReconcileRunRow): Promise<ReconcileRunRow> {
  return db.insertInto('reconcile_run').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updateRun(db: Q, id: number, changes: ReconcileRunUpdate): Promise<ReconcileRunRow> {
  return db.updateTable('reconcile_run').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export function findRun(db: Q, id: number): Promise<ReconcileRunRow | undefined> {
  return db.selectFrom('reconcile_run').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Newest first, keyset-paged on id. */
export function listRunRows(
  db: Q,
  filter: { kind?: RunKind; status?: RunStatus; storeSlug?: string; beforeId?: number; limit: number },
): Promise<ReconcileRunRow[]> {
  let query = db.selectFrom('reconcile_run').selectAll();
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.storeSlug) {
    const slug = filter.storeSlug;
    query = query.where((eb) =>
      eb.or([
        eb('store_slug', '=', slug),
        eb.exists(
          eb
            .selectFrom('reconcile_run_store as rs')
            .select('rs.id')
            .whereRef('rs.run_id', '=', 'reconcile_run.id')
            .where('rs.store_slug', '=', slug),
        ),
      ]),
    );
  }
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

/** Runs left `running` by a process that died: its lease expired and someone else took it. */
export async function failAbandonedRuns(
  db: Q,
  input: { kind: RunKind; exceptHolder: string; at: string },
): Promise<number> {
  const result = await db
    .updateTable('reconcile_run')
    .set({
      status: 'failed',
      finished_at: input.at,
      error: 'the process running it stopped before it finished (its lease expired)',
    })
    .where('kind', '=', input.kind)
    .where('status', '=', 'running')
    .where('dry_run', '=', 0)
    .where((eb) => eb.or([eb('lease_holder', 'is', null), eb('lease_holder', '!=', input.exceptHolder)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function insertRunStore(db: Q, row: NewReconcileRunStoreRow): Promise<ReconcileRunStoreRow> {
  return db.insertInto('reconcile_run_store').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateRunStore(db: Q, id: number, changes: Partial<NewReconcileRunStoreRow>): Promise<void> {
  await db.updateTable('reconcile_run_store').set(changes).where('id', '=', id).execute();
}

export function listRunStores(db: Q, runId: number): Promise<ReconcileRunStoreRow[]> {
  return db.selectFrom('reconcile_run_store').selectAll().where('run_id', '=', runId).orderBy('store_slug').execute();
}

/** Inserts in chunks (SQLite caps the number of bound parameters per statement). */
export async function insertRunItems(db: Q, rows: NewReconcileRunItemRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('reconcile_run_item')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

export function listRunItems(
  db: Q,
  runId: number,
  filter: { outcome?: RunItemOutcome; afterId?: number; limit: number },
): Promise<(ReconcileRunItemRow & { store_slug: string })[]> {
  let query = db
    .selectFrom('reconcile_run_item as i')
    .innerJoin('store as s', 's.id', 'i.store_id')
    .selectAll('i')
    .select('s.slug as store_slug')
    .where('i.run_id', '=', runId);
  if (filter.outcome) query = query.where('i.outcome', '=', filter.outcome);
  if (filter.afterId !== undefined) query = query.where('i.id', '>', filter.afterId);
  return query.orderBy('i.id').limit(filter.limit).execute();
}

/** What runs did to one order, oldest first, with each run's kind and trigger (for the order timeline). */
export function listRunItemsForOrder(
  db: Q,
  orderId: number,
): Promise<(ReconcileRunItemRow & { kind: string; trigger: string; dry_run: number })[]> {
  return db
    .selectFrom('reconcile_run_item as i')
    .innerJoin('reconcile_run as r', 'r.id', 'i.run_id')
    .selectAll('i')
    .select(['r.kind', 'r.trigger', 'r.dry_run'])
    .where('i.order_id', '=', orderId)
    .orderBy('i.at')
    .orderBy('i.id')
    .execute();
}

export async function countRunItems(db: Q, runId: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('reconcile_run_item')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('outcome')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
}

/** Where the last completely covered window of this store and run kind ended (not dry runs). */
export async function lastWindowEnd(db: Q, storeId: number, kind: RunKind): Promise<string | null> {
  const row = await db
    .selectFrom('reconcile_run_store as rs')
    .innerJoin('reconcile_run as r', 'r.id', 'rs.run_id')
    .select('rs.window_to')
    .where('rs.store_id', '=', storeId)
    .where('rs.window_done', '=', 1)
    .where('r.kind', '=', kind)
    .where('r.dry_run', '=', 0)
    .orderBy('rs.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.window_to ?? null;
}
