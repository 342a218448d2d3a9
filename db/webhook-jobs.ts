import { sql, type Kysely } from 'kysely';
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

/** Claims up to `limit` runnable jobs (queued and due, or running with an expired lease). */
export async function claimWebhookJobs(
  db: Q,
  input: { now: string; leaseUntil: string; limit: number },
): Promise<WebhookJobRow[]> {
  return db.transaction().execute(async (trx) => {
    const ids = await trx
      .selectFrom('webhook_job')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'queued'), eb('available_at', '<=', input.now)]),
          eb.and([eb('state', '=', 'running'), eb('locked_until', '<', input.now)]),
        ]),
      )
      .orderBy('id')
      .limit(input.limit)
      .execute();
    if (ids.length === 0) return [];
    return trx
      .updateTable('webhook_job')
      .set({ state: 'running', locked_until: input.leaseUntil, attempts: sql<number>`attempts + 1` })
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .returningAll()
      .execute();
  });
}

export async function completeWebhookJob(db: Q, id: number, at: string): Promise<void> {
  await db
    .updateTable('webhook_job')
    .set({ state: 'done', finished_at: at, locked_until: null })
    .where('id', '=', id)
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
