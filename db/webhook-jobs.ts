import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { dialectOf, lockSkipLocked } from './dialect';
import type { WebhookJobRow } from './monitor-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

/**
 * The durable queue between answering a webhook and verifying it. A job is claimed by setting a
 * lease (`locked_until`); a process that dies mid-job leaves a lease that expires, and the job is
 * claimed again. Verification is idempotent, so a job run twice changes nothing twice.
 */

export async function enqueueWebhookJob(
  db: Q,
  job: { deliveryId: number; storeId: number; at: string },
): Promise<void> {
  await db
    .insertInto('webhook_job')
    .values({
      delivery_id: job.deliveryId,
      store_id: job.storeId,
      state: 'queued',
      available_at: job.at,
      created_at: job.at,
      locked_until: null,
      last_error: null,
      finished_at: null,
    })
    .execute();
}

/**
 * Claims up to `limit` runnable jobs (queued and due, or running with an expired lease) in one
 * statement, so two workers (two instances) never claim one job: on PostgreSQL the candidates
 * are locked `for update skip locked` (a worker passes over rows another is claiming, and the
 * condition is checked again on the locked row); on SQLite the update runs under the database
 * write lock, so the condition it re-reads is the committed state.
 */
export async function claimWebhookJobs(
  db: Q,
  input: { now: string; leaseUntil: string; limit: number },
): Promise<WebhookJobRow[]> {
  const runnable = (eb: ExpressionBuilder<Database, 'webhook_job'>) =>
    eb.or([
      eb.and([eb('state', '=', 'queued'), eb('available_at', '<=', input.now)]),
      eb.and([eb('state', '=', 'running'), eb('locked_until', '<', input.now)]),
    ]);
  const candidates = lockSkipLocked(
    db.selectFrom('webhook_job').select('id').where(runnable).orderBy('id').limit(input.limit),
    dialectOf(db),
  );
  const rows = await db
    .updateTable('webhook_job')
    .set({ state: 'running', locked_until: input.leaseUntil, attempts: sql<number>`attempts + 1` })
    .where('id', 'in', candidates)
    .where(runnable)
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

export async function completeWebhookJob(db: Q, id: number, at: string): Promise<void> {
  await db
    .updateTable('webhook_job')
    .set({ state: 'done', finished_at: at, locked_until: null })
    .where('id', '=', id)
    .execute();
}

/** Marks several jobs done in one statement (a batch verified in one transaction). */
export async function completeWebhookJobs(db: Q, ids: number[], at: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 500)
    await db
      .updateTable('webhook_job')
      .set({ state: 'done', finished_at: at, locked_until: null })
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
}

export async function retryWebhookJob(
  db: Q,
  id: number,
  input: { availableAt: string; error: string; give_up: boolean; at: string },
): Promise<void> {
  await db
    .updateTable('webhook_job')
    .set(
      input.give_up
        ? { state: 'failed', last_error: input.error, locked_until: null, finished_at: input.at }
        : { state: 'queued', available_at: input.availableAt, last_error: input.error, locked_until: null },
    )
    .where('id', '=', id)
    .execute();
}

export async function webhookQueueDepth(db: Q): Promise<number> {
  const row = await db
    .selectFrom('webhook_job')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
