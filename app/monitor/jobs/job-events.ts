import type { Db } from '../../../db/connection';

/**
 * What scheduled jobs tell the alert rules: a run of a kind ended (per store), a store's circuit
 * breaker opened, its credentials were refused, a retention purge ended. `ok: true` results close
 * the incident the failure opened. Listeners only write (they run beside the job's own writes).
 */
export type JobEvent =
  | {
      type: 'run_finished';
      kind: string;
      storeId: number;
      ok: boolean;
      error: string | null;
      runId: number;
      at: string;
    }
  | { type: 'breaker'; storeId: number; open: boolean; error: string | null; at: string }
  | { type: 'credentials'; storeId: number; refused: boolean; error: string | null; at: string }
  | { type: 'retention_finished'; ok: boolean; error: string | null; at: string };

export type JobListener = (db: Db, events: readonly JobEvent[]) => Promise<void>;

/** Calls every listener; a listener's failure is logged, never fails the job that reported. */
export async function emitJobEvents(
  deps: { db: Db; jobListeners?: readonly JobListener[]; log: { error: (obj: object, msg: string) => void } },
  events: readonly JobEvent[],
): Promise<void> {
  if (!events.length) return;
  for (const listener of deps.jobListeners ?? []) {
    try {
      await listener(deps.db, events);
    } catch (error) {
      deps.log.error({ err: error }, 'alert job listener failed');
    }
  }
}
