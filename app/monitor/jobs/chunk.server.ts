import type { ControlledTransaction } from 'kysely';
import type { Db } from '../../../db/connection';
import type { Database } from '../../../db/schema';
import { dialectOf, lockOrderRow } from '../../../db/dialect';
import type { MonitorDeps } from '../deps';

export type ChunkOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `each` for every item inside ONE transaction, so one failing item undoes only itself.
 * One commit for a whole batch writes far less (WAL) than one per order.
 * Never call the gateway from `each`: the transaction holds SQLite's write lock.
 *
 * The chunk is first run without savepoints: a savepoint and its release are two round trips per
 * item on PostgreSQL, as many as the verification itself. If any item throws (or fails `keep`),
 * that attempt is rolled back whole and the chunk runs again with a savepoint per item, so each
 * item's outcome is exactly as if it had had its own savepoint from the start. `each` must
 * therefore be safe to run twice (it only writes through `db`; a metric may count twice), and
 * must not swallow a database error (on PostgreSQL the transaction is then aborted, and only the
 * next statement would say so): report it through `keep` instead, as the reconcile does.
 */
export async function inChunkTransaction<T, R>(
  deps: Pick<MonitorDeps, 'db'>,
  items: T[],
  firstOrderId: number | null,
  each: (db: Db, item: T) => Promise<R>,
  /** An item whose result fails this is undone (its savepoint rolled back) but still reported. */
  keep: (value: R) => boolean = () => true,
): Promise<ChunkOutcome<R>[]> {
  const whole = await attempt(deps, firstOrderId, true, async (trx) => {
    const outcomes: ChunkOutcome<R>[] = [];
    for (const item of items) {
      const value = await each(trx, item);
      if (!keep(value)) throw new ItemUndone();
      outcomes.push({ ok: true, value });
    }
    return outcomes;
  });
  if (whole !== null) return whole;
  return (await attempt(deps, firstOrderId, false, async (trx) => {
    const outcomes: ChunkOutcome<R>[] = [];
    for (const item of items) {
      const savepoint = await trx.savepoint('item').execute();
      try {
        const value = await each(savepoint, item);
        if (keep(value)) await savepoint.releaseSavepoint('item').execute();
        else await savepoint.rollbackToSavepoint('item').execute();
        outcomes.push({ ok: true, value });
      } catch (error) {
        await savepoint.rollbackToSavepoint('item').execute();
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }))!;
}

/** Thrown inside the first attempt when an item must be undone: the attempt rolls back whole. */
class ItemUndone extends Error {}

/**
 * One transaction around `work`. With `undoWhole` (the attempt without savepoints), an item's
 * throw rolls everything back and resolves null, for the caller to run the chunk again per item.
 */
async function attempt<R>(
  deps: Pick<MonitorDeps, 'db'>,
  firstOrderId: number | null,
  undoWhole: boolean,
  work: (trx: ControlledTransaction<Database>) => Promise<ChunkOutcome<R>[]>,
): Promise<ChunkOutcome<R>[] | null> {
  const trx = await deps.db.startTransaction().execute();
  let outcomes: ChunkOutcome<R>[] | null;
  try {
    // Write first: on SQLite a read would pin a snapshot, and another process's commit before
    // our first write would then fail it at once (SQLITE_BUSY) instead of waiting.
    if (firstOrderId !== null) await lockOrderRow(trx, dialectOf(trx), firstOrderId);
    try {
      outcomes = await work(trx);
    } catch (error) {
      if (!undoWhole) throw error;
      outcomes = null;
    }
    if (outcomes === null) await trx.rollback().execute();
    else await trx.commit().execute();
  } catch (error) {
    await trx
      .rollback()
      .execute()
      .catch(() => {});
    throw error;
  }
  return outcomes;
}

/**
 * Transactions a batch of orders is verified in side by side: four on PostgreSQL (one pool
 * connection each; a round trip there is the cost, so waiting on four at once is the speed-up),
 * one on SQLite (one writer at a time holds the database anyway).
 */
export function defaultLanes(db: Db): number {
  return dialectOf(db) === 'postgres' ? 4 : 1;
}

/**
 * Splits items into at most `lanes` chunks to verify side by side. All items of one order go to
 * one lane, and each lane takes its orders' locks in id order, so two lanes never wait on each
 * other. Small batches stay whole (a lane costs a transaction).
 */
export function splitIntoLanes<T>(items: T[], orderIdOf: (item: T) => number, lanes: number): T[][] {
  if (items.length === 0) return [];
  const count = Math.max(1, Math.min(lanes, Math.ceil(items.length / 8)));
  const orderIds = [...new Set(items.map(orderIdOf))].sort((a, b) => a - b);
  const laneOf = new Map(orderIds.map((id, i) => [id, i % count] as const));
  const result: T[][] = Array.from({ length: count }, () => []);
  for (const item of items) result[laneOf.get(orderIdOf(item))!]!.push(item);
  // Stable: a lane keeps the items of one order in their given order.
  return result.filter((lane) => lane.length > 0).map((lane) => lane.sort((a, b) => orderIdOf(a) - orderIdOf(b)));
}
