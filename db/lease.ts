import type { Kysely } from 'kysely';
import type { JobLeaseRow } from './reconcile-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

/**
 * One row per job name. Taking it is a single conditional upsert, so two processes (or two app
 * instances on one database) racing for it cannot both win: the row is inserted, or updated only
 * when it has expired or is already ours, and RETURNING tells us which happened. Portable SQL
 * (SQLite >= 3.35 and PostgreSQL): times are ISO strings that sort as text.
 */
export async function tryAcquireLease(
  db: Q,
  input: { name: string; holder: string; now: string; expiresAt: string },
): Promise<JobLeaseRow | null> {
  const row = await db
    .insertInto('job_lease')
    .values({
      name: input.name,
      holder: input.holder,
      acquired_at: input.now,
      expires_at: input.expiresAt,
      heartbeat_at: input.now,
    })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({
          holder: input.holder,
          acquired_at: input.now,
          expires_at: input.expiresAt,
          heartbeat_at: input.now,
        })
        .where((eb) => eb.or([eb('job_lease.expires_at', '<=', input.now), eb('job_lease.holder', '=', input.holder)])),
    )
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** Extends our lease; false when it is no longer ours (it expired and another process took it). */
export async function renewLease(
  db: Q,
  input: { name: string; holder: string; now: string; expiresAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('job_lease')
    .set({ heartbeat_at: input.now, expires_at: input.expiresAt })
    .where('name', '=', input.name)
    .where('holder', '=', input.holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ends our lease now; the row stays so the dashboard can show who ran last. */
export async function releaseLease(db: Q, input: { name: string; holder: string; now: string }): Promise<void> {
  await db
    .updateTable('job_lease')
    .set({ expires_at: input.now, heartbeat_at: input.now })
    .where('name', '=', input.name)
    .where('holder', '=', input.holder)
    .execute();
}

export function findLease(db: Q, name: string): Promise<JobLeaseRow | undefined> {
  return db.selectFrom('job_lease').selectAll().where('name', '=', name).executeTakeFirst();
}

/**
 * Claims one scheduled tick of a job for this instance: true for the first instance to claim
 * `tick` (or a later one), false for every other instance whose scheduler fired at the same
 * time. One conditional upsert on the job's row in app_setting, so a run that finished within
 * the tick (its lease already released) is not run again by a slower instance.
 */
export async function claimScheduledTick(db: Q, input: { name: string; tick: string; at: string }): Promise<boolean> {
  const key = `schedule.${input.name}.last_tick`;
  const row = await db
    .insertInto('app_setting')
    .values({ key, value: input.tick, updated_at: input.at })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ value: input.tick, updated_at: input.at })
        .where('app_setting.value', '<', input.tick),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}
