import { findWebhookDeliveries } from '../../../db/evidence';
import type { OrderRow, WebhookDeliveryRow, WebhookJobRow } from '../../../db/monitor-schema';
import { findOrdersByMerchantUids } from '../../../db/job-candidates';
import { findStoreById } from '../../../db/stores';
import { claimWebhookJobs, completeWebhookJob, completeWebhookJobs, retryWebhookJob } from '../../../db/webhook-jobs';
import { forEachLimited } from '../concurrency';
import type { CaptureDeps as MonitorDeps } from '../deps';
import { defaultLanes, inChunkTransaction, splitIntoLanes } from '../jobs/chunk.server';
import { batchAnswers, recordGatewayCheck, type Prefetched } from '../verify/gateway.server';
import { toStore, type Store } from '../stores/stores.server';
import { admitEvidence } from './unknown-evidence.server';
import { toDbTime } from '../time';
import { verifyPayment } from '../verify/verify.server';
import { attributeStore } from '../stores/shared-merchant.server';

// Short, so jobs held by a process that died are picked up again soon; a job run twice is harmless.
export const WEBHOOK_JOB_LEASE_MS = 15_000;
const RETRY_DELAYS_S = [5, 30, 120, 600, 1800];

export type WorkerOptions = {
  batchSize?: number;
  storeConcurrency?: number;
  pollMs?: number;
  /** Transactions verifying one store's batch side by side (default: 4 on PostgreSQL, 1 on SQLite). */
  lanes?: number;
};

/**
 * Verifies queued webhook deliveries: claims a batch, groups it by store, fetches the payments
 * of each store in one `GET /payments?imp_uid[]=` call when there are several, and runs the one
 * verification for each. Returns how many jobs it finished.
 */
export async function processWebhookBatch(deps: MonitorDeps, options: WorkerOptions = {}): Promise<number> {
  const now = deps.now();
  const jobs = await claimWebhookJobs(deps.db, {
    now: toDbTime(now),
    leaseUntil: toDbTime(new Date(now.getTime() + WEBHOOK_JOB_LEASE_MS)),
    limit: options.batchSize ?? 100,
  });
  if (jobs.length === 0) return 0;

  const byStore = new Map<number, WebhookJobRow[]>();
  for (const job of jobs) byStore.set(job.store_id, [...(byStore.get(job.store_id) ?? []), job]);
  await forEachLimited([...byStore.entries()], options.storeConcurrency ?? 4, ([storeId, storeJobs]) =>
    processStoreJobs(deps, storeId, storeJobs, options),
  );
  return jobs.length;
}

async function processStoreJobs(
  deps: MonitorDeps,
  storeId: number,
  jobs: WebhookJobRow[],
  options: WorkerOptions,
): Promise<void> {
  const storeRow = await findStoreById(deps.db, storeId);
  if (!storeRow) {
    for (const job of jobs) await fail(deps, job, 'store no longer exists', true);
    return;
  }
  const store = toStore(storeRow);
  // The batch's deliveries and orders are read in one query each: on PostgreSQL every statement
  // is a round trip, and per-job reads used to be most of a batch's time.
  const byId = await findWebhookDeliveries(
    deps.db,
    jobs.map((j) => j.delivery_id),
  );
  const deliveries = new Map<number, WebhookDeliveryRow>();
  for (const job of jobs) {
    const delivery = byId.get(job.delivery_id);
    if (delivery) deliveries.set(job.id, delivery);
  }
  const prefetched = await prefetch(deps, store, [
    ...new Set([...deliveries.values()].map((d) => d.imp_uid).filter((id): id is string => id !== null)),
  ]);
  const merchantUidOf = (delivery: WebhookDeliveryRow) =>
    prefetched.get(delivery.imp_uid!)?.payment?.merchantUid ?? delivery.merchant_uid;
  const orders = await findOrdersByMerchantUids(deps.db, store.id, [
    ...new Set(
      [...deliveries.values()]
        .filter((d) => d.imp_uid !== null)
        .map(merchantUidOf)
        .filter((uid): uid is string => uid !== null),
    ),
  ]);

  // Jobs whose payment is already fetched and whose order exists need no further gateway call:
  // they are verified in one transaction per lane (see inChunkTransaction), which writes far less
  // than one commit per job. The rest (unknown orders, auto-cancel stores) go one by one, never
  // holding a transaction across an HTTP call.
  const batched: BatchedJob[] = [];
  const single: WebhookJobRow[] = [];
  for (const job of jobs) {
    const delivery = deliveries.get(job.id);
    if (!delivery?.imp_uid) {
      await fail(deps, job, 'delivery has no imp_uid', true);
      continue;
    }
    const merchantUid = merchantUidOf(delivery);
    const order = merchantUid === null ? undefined : orders.get(merchantUid);
    if (prefetched.has(delivery.imp_uid) && order && store.mismatchPolicy !== 'auto_cancel')
      batched.push({ job, order });
    else single.push(job);
  }

  const retry: WebhookJobRow[] = [];
  const done: number[] = [];
  const lanes = splitIntoLanes(batched, (b) => b.order.id, options.lanes ?? defaultLanes(deps.db));
  const settled = await Promise.allSettled(
    lanes.map(async (lane) => {
      const outcomes = await inChunkTransaction(deps, lane, lane[0]!.order.id, (db, { job, order }) =>
        verifyJob({ ...deps, db }, store, deliveries.get(job.id)!, prefetched, { order }),
      );
      outcomes.forEach((outcome, i) => {
        const { job } = lane[i]!;
        if (outcome.ok && outcome.value.done) return void done.push(job.id);
        if (!outcome.ok) deps.log.error({ err: outcome.error, job: job.id }, 'webhook verification failed');
        retry.push(job);
      });
    }),
  );
  await completeWebhookJobs(deps.db, done, toDbTime(deps.now()));
  for (const job of retry) await fail(deps, job, 'verification failed inside a batch', false);
  // A lane whose transaction failed as a whole (the connection lost): its jobs stay leased and
  // are claimed again when the lease expires.
  const lost = settled.find((s) => s.status === 'rejected');
  if (lost) throw lost.reason;
  for (const job of single) {
    try {
      const outcome = await verifyJob(deps, store, deliveries.get(job.id)!, prefetched, { attribute: true });
      if (outcome.done) await completeWebhookJob(deps.db, job.id, toDbTime(deps.now()));
      else await fail(deps, job, outcome.error, false);
    } catch (error) {
      deps.log.error({ err: error, job: job.id }, 'webhook verification failed');
      await fail(deps, job, error instanceof Error ? error.message : String(error), false);
    }
  }
}

type BatchedJob = { job: WebhookJobRow; order: OrderRow };

type JobOutcome = { done: true } | { done: false; error: string };

async function verifyJob(
  deps: MonitorDeps,
  store: Store,
  delivery: WebhookDeliveryRow,
  prefetched: Map<string, Prefetched>,
  options: { attribute?: boolean; order?: OrderRow } = {},
): Promise<JobOutcome> {
  // Several stores may share one merchant account (and so one notification URL at Iamport): the
  // payment belongs to the store that registered its merchant_uid.
  const hinted = prefetched.get(delivery.imp_uid!)?.payment?.merchantUid ?? delivery.merchant_uid;
  // (Batched jobs already have their order at this store.)
  const owner = options.attribute ? await attributeStore(deps, store, hinted) : store;
  // An unregistered order costs gateway calls: within the store's budget, or later by the job.
  // (A batched job's order exists: nothing to admit.)
  if (!options.order) {
    const admission = await admitEvidence(deps, owner, {
      impUid: delivery.imp_uid,
      merchantUid: hinted,
      webhookDeliveryId: delivery.id,
    });
    if (admission === 'deferred') return { done: true };
  }
  const result = await verifyPayment(deps, {
    store: owner,
    trigger: 'webhook',
    impUid: delivery.imp_uid,
    merchantUid: delivery.merchant_uid,
    webhookDeliveryId: delivery.id,
    webhookStatus: delivery.status,
    prefetched: prefetched.get(delivery.imp_uid!),
    order: options.order,
  });
  // Without an order to hang `unverified` on, the job itself must try again later.
  if (result.orderId === null && !result.settled) return { done: false, error: `gateway answer: ${result.outcome}` };
  return { done: true };
}

/** One batched look-up for several imp_uids; a single one is left to verifyPayment itself. */
async function prefetch(deps: MonitorDeps, store: Store, impUids: string[]): Promise<Map<string, Prefetched>> {
  const found = new Map<string, Prefetched>();
  if (impUids.length < 2) return found;
  const result = await deps.gateways.forStore(store).getPayments(impUids);
  const checkId = await recordGatewayCheck(deps, {
    store,
    orderId: null,
    trigger: 'webhook',
    operation: 'getPayments',
    impUid: null,
    merchantUid: null,
    result,
  });
  return batchAnswers(result, impUids, checkId);
}

async function fail(deps: MonitorDeps, job: WebhookJobRow, error: string, permanent: boolean): Promise<void> {
  const delay = RETRY_DELAYS_S[job.attempts - 1];
  const giveUp = permanent || delay === undefined;
  await retryWebhookJob(deps.db, job.id, {
    availableAt: toDbTime(new Date(deps.now().getTime() + (delay ?? 0) * 1000)),
    error,
    give_up: giveUp,
    at: toDbTime(deps.now()),
  });
}

export type WebhookWorker = { wake: () => void; stop: () => Promise<void> };

export type WorkerTiming = {
  /** Wait this long after the last new delivery before verifying, so a burst forms one batch. */
  gatherMs?: number;
  /** But never hold a queued delivery longer than this while deliveries keep coming. */
  maxDeferMs?: number;
  /** Look at the queue at least this often (retries, jobs left by a process that died). */
  pollMs?: number;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs `processWebhookBatch` in the background. Answering Iamport comes first: while deliveries
 * keep arriving, verification waits for a quiet moment (at most `maxDeferMs`) and then takes one
 * batch at a time, so a burst is answered at full speed and verified in batched gateway calls
 * right behind it. Wall-clock pacing only; business time comes from `deps.now`.
 */
export function startWebhookWorker(deps: MonitorDeps, options: WorkerOptions & WorkerTiming = {}): WebhookWorker {
  const gatherMs = options.gatherMs ?? 50;
  const maxDeferMs = options.maxDeferMs ?? 1000;
  const pollMs = options.pollMs ?? 1000;
  let stopped = false;
  let lastWakeAt = 0;
  let signal: (() => void) | null = null;
  const wake = () => {
    lastWakeAt = Date.now();
    signal?.();
  };
  const waitForWork = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        signal = null;
        resolve();
      }
      signal = done;
    });

  const loop = (async () => {
    let more = true;
    while (!stopped) {
      if (!more) await waitForWork();
      const deferredSince = Date.now();
      while (!stopped && Date.now() - lastWakeAt < gatherMs && Date.now() - deferredSince < maxDeferMs)
        await sleep(gatherMs);
      if (stopped) break;
      try {
        more = (await processWebhookBatch(deps, options)) > 0;
      } catch (error) {
        more = false;
        deps.log.error({ err: error }, 'webhook worker batch failed');
      }
    }
  })();

  return {
    wake,
    stop: async () => {
      stopped = true;
      signal?.();
      await loop;
    },
  };
}
