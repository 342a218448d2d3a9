import type { Db } from '../../../db/connection';
import { dialectOf, lockOrderRow } from '../../../db/dialect';
import type { MonitorDeps } from '../deps';

export type ChunkOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `each` for every item inside ONE transaction, with a savepoint per item so a failing item
 * undoes only itself. One commit for a whole batch writes far less (WAL) than one per order.
 * Never call the gateway from `each`: the transaction holds SQLite's write lock.
 */
export async function inChunkTransaction<T, R>(
  deps: Pick<MonitorDeps, 'db'>,
  items: T[],
  firstOrderId: number | null,
  each: (db: Db, item: T) => Promise<R>,
  /** An item whose result fails this is undone (its savepoint rolled back) but still reported. */
  keep: (value: R) => boolean = () => true,
): Promise<ChunkOutcome<R>[]> {
  const outcomes: ChunkOutcome<R>[] = [];
  const trx = await deps.db.startTransaction().execute();
  try {
    // Write first: on SQLite a read would pin a snapshot, and another process's commit before
    // our first write would then fail it at once (SQLITE_BUSY) instead of waiting.
    if (firstOrderId !== null) await lockOrderRow(trx, dialectOf(trx), firstOrderId);
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
    await trx.commit().execute();
  } catch (error) {
    await trx
      .rollback()
      .execute()
      .catch(() => {});
    throw error;
  }
  return outcomes;
}
