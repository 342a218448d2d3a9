import type { OrderRow } from '../../../db/monitor-schema';
import { findOrderById, openReasonRowsOf } from '../../../db/orders';
import {
  listDueOrders,
  listRedirectReasonsAnswered,
  listRedirectsWithoutWebhook,
  listStalePending,
  openReasonsByOrder,
} from '../../../db/job-candidates';
import { lastWindowEnd } from '../../../db/runs';
import { recordAudit, type AuditActor } from '../../auth/audit.server';
import { defaultLanes, inChunkTransaction, splitIntoLanes } from './chunk.server';
import { forEachLimited } from '../concurrency';
import {
  crossedWindow,
  isVbankOverdue,
  openTimedReason,
  resolveTimedReason,
  WEBHOOK_EXPECTED_STATUSES,
} from '../verify/timed-reasons.server';
import {
  executeRun,
  FIRST_WINDOW_MS,
  WINDOW_OVERLAP_MS,
  type JobDeps,
  type RunItemInput,
  type RunOptions,
  type RunSummary,
  type StoreRun,
} from './run-frame.server';
import type { AttentionReason, RunKind } from '../status';
import { getStore } from '../stores/stores.server';
import { runSweep } from './sweep.server';
import { verifyQueuedEvidence } from './unverified-evidence.server';
import { fromDbTime, toDbTime } from '../time';
import type { MonitorDeps } from '../deps';
import { batchAnswers, observe, type Prefetched } from '../verify/gateway.server';
import { openFacts, planChange } from '../verify/plan';
import { observationChange, verifyPayment } from '../verify/verify.server';

/** `GET /payments?imp_uid[]=` takes at most 100 identifiers (iamport-facts §3.2). */
export const BATCH_SIZE = 100;
/** At most this many due orders per store in one run; the rest wait for the next run. */
export const DEFAULT_LIMIT_PER_STORE = 20_000;

export type ReconcileOptions = RunOptions & {
  /** Every ambiguous order (an open reason or a planned check), whatever its next_check_at. */
  all?: boolean;
  limitPerStore?: number;
};

/**
 * The re-query job. For each store (one run at a time across processes, under the `reconcile`
 * lease):
 * 1. opens the reasons time alone reveals, from the database only: `redirect_without_webhook`
 *    (a redirect older than the store's webhook grace, a status Iamport sends a webhook for, and
 *    no accepted webhook) and `stale_pending` (registered, still pending, no evidence at all after
 *    the store's stale window); it resolves `redirect_without_webhook` whose webhook has come since;
 * 2. re-queries the orders whose `next_check_at` is due (every ambiguous order with `all`): 100
 *    imp_uids per `GET /payments`, `find` by merchant_uid when no imp_uid is known, and hands each
 *    answer to `verifyPayment` (trigger `schedule`), which applies the state machine and plans the
 *    next check on the backoff; a vbank still unpaid after its due date gets `vbank_overdue`;
 * 3. verifies evidence for unregistered orders that arrived past the store's unknown-order budget
 *    (queued, coalesced per id), from the same budget (unverified-evidence.server.ts).
 *
 * Guarantees: a dead gateway or bad credentials cost a few calls per store and give one error per
 * store (the circuit breaker); orders it did not reach keep their next_check_at; nothing is marked
 * failed because the gateway was down. With `dryRun` it asks the gateway and reports, per order,
 * what verification would decide, writing nothing but the run record (no lease, no gateway check,
 * no order or reason change). Never sleeps for scheduling: "due" is `next_check_at <= now()`.
 */
export async function runReconcile(deps: JobDeps, options: ReconcileOptions): Promise<RunSummary> {
  return executeRun(deps, { kind: 'reconcile', options, allOrders: options.all === true }, (run) =>
    reconcileStore(run, { all: options.all === true, limit: options.limitPerStore ?? DEFAULT_LIMIT_PER_STORE }),
  );
}

async function reconcileStore(run: StoreRun, options: { all: boolean; limit: number }): Promise<void> {
  await openTimeReasons(run);
  await requery(run, options);
  await verifyQueuedEvidence(run);
}

/** Step 1: reasons that only need the clock and the database. */
async function openTimeReasons(run: StoreRun): Promise<void> {
  const { store, deps } = run;
  const now = deps.now();
  const previous = await lastWindowEnd(deps.db, store.id, 'reconcile');
  const previousEnd = previous ? (fromDbTime(previous) as Date) : new Date(now.getTime() - FIRST_WINDOW_MS);
  run.setWindow(toDbTime(new Date(previousEnd.getTime() - WINDOW_OVERLAP_MS)), toDbTime(now));

  for (const order of await listRedirectReasonsAnswered(deps.db, store.id)) {
    if (run.dryRun) {
      await run.item(timeItem(order, 'reason_resolved', []));
      continue;
    }
    if (
      await resolveTimedReason(
        deps,
        order.id,
        'redirect_without_webhook',
        'webhook',
        'a webhook for this order has arrived since',
      )
    ) {
      await run.item(timeItem(order, 'reason_resolved', []));
    }
  }

  const hits = crossedWindow({ previousEnd, now, lagSeconds: store.webhookGraceSeconds, overlapMs: WINDOW_OVERLAP_MS });
  const silent = await listRedirectsWithoutWebhook(deps.db, {
    storeId: store.id,
    statuses: WEBHOOK_EXPECTED_STATUSES,
    cutoff: hits.to,
    hits,
    verified: { from: toDbTime(new Date(previousEnd.getTime() - WINDOW_OVERLAP_MS)), to: toDbTime(now) },
  });
  for (const order of silent) {
    const detail = `redirect received ${order.first_redirect_at}; no webhook within the store's ${store.webhookGraceSeconds} s grace (status ${order.status})`;
    await openAndRecord(run, order, 'redirect_without_webhook', detail);
  }

  const created = crossedWindow({
    previousEnd,
    now,
    lagSeconds: store.stalePendingSeconds,
    overlapMs: WINDOW_OVERLAP_MS,
  });
  for (const order of await listStalePending(deps.db, { storeId: store.id, created })) {
    const detail = `registered ${order.created_at}; no redirect, webhook or payment after ${store.stalePendingSeconds} s: the job will look it up by merchant_uid`;
    await openAndRecord(run, order, 'stale_pending', detail);
  }
  run.windowDone();
}

async function openAndRecord(run: StoreRun, order: OrderRow, reason: AttentionReason, detail: string): Promise<void> {
  if (run.dryRun || (await openTimedReason(run.deps, order.id, reason, detail))) {
    await run.item({ ...timeItem(order, 'reason_opened', [reason]), ...(run.dryRun ? { wouldStayOpen: true } : {}) });
  }
}

function timeItem(order: OrderRow, outcome: 'reason_opened' | 'reason_resolved', reasons: AttentionReason[]) {
  const status = order.status;
  return {
    orderId: order.id,
    merchantUid: order.merchant_uid,
    impUid: order.imp_uid,
    statusBefore: status,
    statusAfter: status,
    outcome,
    reasonsOpened: reasons,
  };
}

type Chunk = { kind: 'batch' | 'find'; orders: OrderRow[] };
/** The answers for a chunk (ok: the gateway answered, found or not), or null when not asked (breaker open). */
type Fetched = { ok: boolean; prefetched: Map<number, Prefetched> } | null;

/** Step 2: re-query what is due, batched, and verify each answer. */
async function requery(run: StoreRun, options: { all: boolean; limit: number }): Promise<void> {
  const { store, deps } = run;
  const due = await listDueOrders(deps.db, {
    storeId: store.id,
    now: toDbTime(deps.now()),
    all: options.all,
    limit: options.limit,
  });
  const withImpUid = due.filter((o) => o.imp_uid !== null);
  const chunks: Chunk[] = [];
  for (let i = 0; i < withImpUid.length; i += BATCH_SIZE)
    chunks.push({ kind: 'batch', orders: withImpUid.slice(i, i + BATCH_SIZE) });
  for (const order of due) if (order.imp_uid === null) chunks.push({ kind: 'find', orders: [order] });

  let done = 0;
  run.progress('requery', 0, due.length);
  const failedLookups: { orders: OrderRow[]; prefetched: Map<number, Prefetched> }[] = [];
  await forEachLimited(chunks, run.manners.storeConcurrency, async (chunk) => {
    if (run.breaker.isOpen) {
      run.notReached(chunk.orders.length);
      return;
    }
    await run.checkpoint();
    const fetched = await fetchChunk(run, chunk);
    if (fetched === null) {
      run.notReached(chunk.orders.length);
      return;
    }
    if (!fetched.ok) {
      failedLookups.push({ orders: chunk.orders, prefetched: fetched.prefetched });
      return;
    }
    await verifyChunk(run, chunk.orders, fetched.prefetched);
    done += chunk.orders.length;
    run.progress('requery', done, due.length);
  });

  // A look-up that failed while the store's gateway otherwise answered is about those orders:
  // verification records it as `unverified` and backs off. When the breaker opened or nothing
  // answered at all, the gateway itself is the problem: the orders keep their next_check_at and
  // nothing about them changes.
  for (const failed of failedLookups) {
    if (run.breaker.unavailable) run.notReached(failed.orders.length);
    else {
      await verifyChunk(run, failed.orders, failed.prefetched);
      done += failed.orders.length;
    }
  }
  // The last progress line says how many were actually looked at: during an outage that is
  // fewer than were due (it once said "26/26" over a table of 0 examined).
  run.progress('requery', done, due.length);
}

async function fetchChunk(run: StoreRun, chunk: Chunk): Promise<Fetched> {
  const prefetched = new Map<number, Prefetched>();
  if (chunk.kind === 'find') {
    const order = chunk.orders[0]!;
    const call = await run.call(
      {
        operation: 'findPayment',
        trigger: 'schedule',
        orderId: order.id,
        impUid: null,
        merchantUid: order.merchant_uid,
      },
      (client) => client.findPayment(order.merchant_uid),
    );
    if (!call) return null;
    prefetched.set(order.id, { ...observe(call.result), checkId: call.checkId });
    return { ok: call.result.ok || call.result.error.notFound, prefetched };
  }

  const impUids = [...new Set(chunk.orders.flatMap((o) => (o.imp_uid === null ? [] : [o.imp_uid])))];
  const call = await run.call(
    {
      operation: 'getPayments',
      trigger: 'schedule',
      orderId: chunk.orders.length === 1 ? chunk.orders[0]!.id : null,
      impUid: null,
      merchantUid: null,
    },
    (client) => client.getPayments(impUids),
  );
  if (!call) return null;
  const answers = batchAnswers(call.result, impUids, call.checkId);
  for (const order of chunk.orders) {
    const answer = order.imp_uid === null ? undefined : answers.get(order.imp_uid);
    if (answer) prefetched.set(order.id, answer);
  }
  return { ok: call.result.ok || call.result.error.notFound, prefetched };
}

type Verified =
  | { ok: true; item: RunItemInput; settled: boolean }
  | { ok: false; item: Omit<RunItemInput, 'outcome' | 'error'>; error: unknown };

/**
 * Verifies a chunk's answers. Each order goes through `verifyPayment`; a chunk shares one
 * transaction (a savepoint per order, so one failure undoes only its own order): the order
 * table's many indexes make every commit write dozens of pages, and one commit per chunk instead
 * of per order is most of the job's speed. Not for a store whose mismatch policy cancels at the
 * gateway: that would hold the write lock across an HTTP call.
 */
async function verifyChunk(run: StoreRun, orders: OrderRow[], prefetched: Map<number, Prefetched>): Promise<void> {
  const { deps } = run;
  const before = await openReasonsByOrder(
    deps.db,
    orders.map((o) => o.id),
  );
  const todo = orders.filter((o) => prefetched.has(o.id));
  const results: Verified[] = [];
  if (run.dryRun) {
    // The ledger reads each order's open reason rows (with when they opened) under its lock; the
    // dry run reads the same rows, so windows that depend on them (an unconfirmed failure's) count.
    const rows = await openReasonRowsOf(
      deps.db,
      todo.map((o) => o.id),
    );
    for (const order of todo)
      results.push(wouldVerify(run, order, prefetched.get(order.id)!, rows.get(order.id) ?? []));
  } else if (run.store.mismatchPolicy === 'auto_cancel') {
    for (const order of todo)
      results.push(await verifyOne(run, deps, order, prefetched.get(order.id)!, new Set(before.get(order.id) ?? [])));
  } else {
    // In lanes on PostgreSQL (see splitIntoLanes); results are reported in the chunk's order.
    const lanes = splitIntoLanes(todo, (o) => o.id, defaultLanes(deps.db));
    const byOrder = new Map<number, Verified>();
    const settled = await Promise.allSettled(
      lanes.map(async (lane) => {
        const outcomes = await inChunkTransaction(
          deps,
          lane,
          lane[0]!.id,
          (db, order) =>
            verifyOne(run, { ...deps, db }, order, prefetched.get(order.id)!, new Set(before.get(order.id) ?? [])),
          (result) => result.ok,
        );
        outcomes.forEach((outcome, i) => {
          if (!outcome.ok) throw outcome.error;
          byOrder.set(lane[i]!.id, outcome.value);
        });
      }),
    );
    // Every lane has finished (nothing writes behind the caller's back) before a failure is thrown.
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const order of todo) results.push(byOrder.get(order.id)!);
  }
  // Recorded after the commit: the run's own writes must not wait for the chunk's transaction.
  for (const result of results) {
    if (!result.ok) {
      await run.orderError(result.item, result.error);
      continue;
    }
    if (result.settled) run.settled();
    await run.item(result.item);
  }
}

async function verifyOne(
  run: StoreRun,
  deps: MonitorDeps,
  order: OrderRow,
  fetched: Prefetched,
  wasOpen: ReadonlySet<AttentionReason>,
): Promise<Verified> {
  const base = {
    orderId: order.id,
    merchantUid: order.merchant_uid,
    impUid: order.imp_uid,
    statusBefore: order.status,
  };
  try {
    const result = await verifyPayment(deps, {
      store: run.store,
      trigger: 'schedule',
      impUid: order.imp_uid,
      merchantUid: order.merchant_uid,
      prefetched: fetched,
      // Read with the chunk: no second look-up (a round trip per order on PostgreSQL).
      order,
    });
    const opened = result.openReasons.filter((r) => !wasOpen.has(r));
    if (result.status === 'vbank_issued' && result.orderId !== null) {
      const after = await findOrderById(deps.db, result.orderId);
      if (after && isVbankOverdue(after, deps.now())) {
        const detail = `deposit deadline ${after.vbank_due_at} passed and the gateway still says ready (no deposit)`;
        if (await openTimedReason(deps, after.id, 'vbank_overdue', detail)) opened.push('vbank_overdue');
      }
    }
    return {
      ok: true,
      settled: result.settled,
      item: {
        ...base,
        impUid: fetched.payment?.impUid ?? order.imp_uid,
        statusAfter: result.status,
        outcome: result.outcome,
        reasonsOpened: opened,
      },
    };
  } catch (error) {
    return { ok: false, item: { ...base, statusAfter: null, reasonsOpened: [] }, error };
  }
}

/**
 * A dry run: what the real run would do, planned by the order ledger's own planner from the same
 * facts (the order, its open reason rows with when they opened, the answer, the same ledger change
 * a real verification builds) and applied to nothing, so the report cannot drift from a real run:
 * the verification (including an unconfirmed failure's window passing: `abandoned`), then (as the
 * real run does) `vbank_overdue`.
 */
function wouldVerify(
  run: StoreRun,
  order: OrderRow,
  fetched: Prefetched,
  openRows: readonly { reason: AttentionReason; opened_at: string }[],
): Verified {
  const base = {
    orderId: order.id,
    merchantUid: order.merchant_uid,
    impUid: order.imp_uid,
    statusBefore: order.status,
  };
  const now = run.deps.now();
  const { open, openSince } = openFacts(openRows);
  const plan = planChange({
    order,
    open,
    openSince,
    change: observationChange({ store: run.store, trigger: 'schedule' }, fetched.observation, null),
    now,
  });
  const opened = [...plan.openedNow];
  let openAfter = plan.openAfter;
  const after: OrderRow = { ...order, ...plan.orderUpdate };
  if (plan.status === 'vbank_issued' && isVbankOverdue(after, now)) {
    const overdue = planChange({
      order: after,
      open: new Set(plan.openAfter),
      change: { kind: 'open', reason: 'vbank_overdue', detail: '' },
      now,
    });
    opened.push(...overdue.openedNow);
    openAfter = overdue.openAfter;
  }
  return {
    ok: true,
    settled: plan.decision!.settled,
    item: {
      ...base,
      impUid: fetched.payment?.impUid ?? order.imp_uid,
      statusAfter: plan.status,
      outcome: plan.decision!.outcome,
      reasonsOpened: opened,
      wouldStayOpen: openAfter.length > 0,
    },
  };
}

/** Why "Run now" did not start: a refusal the page shows, not a failure. */
export type StartRunRefusal = { ok: false; refusal: 'unknown_store'; message: string };

/**
 * The dashboard's "Run now": starts a reconcile or sweep run (trigger `button`) in the background
 * of this server process and resolves as soon as the run is recorded, with its id, so the page can
 * show the run while it works; the audit event (`run.start`) is written then, naming who asked.
 * When another process holds the job's lease the run is recorded as `skipped` at once. An unknown
 * store is refused (a result, not a throw) before anything is recorded. `done` settles with the
 * run's summary; failures are logged, never thrown into the request.
 */
export async function startRun(
  deps: JobDeps,
  input: { kind: RunKind; storeSlug?: string; all?: boolean; dryRun?: boolean },
  who: { actor: AuditActor; ip: string | null },
): Promise<{ ok: true; runId: number; done: Promise<RunSummary> } | StartRunRefusal> {
  if (input.storeSlug !== undefined && !(await getStore(deps, input.storeSlug)))
    return { ok: false, refusal: 'unknown_store', message: `unknown store ${input.storeSlug}` };
  let recorded!: (runId: number) => void;
  const created = new Promise<number>((resolve) => {
    recorded = resolve;
  });
  const options = {
    trigger: 'button' as const,
    storeSlug: input.storeSlug,
    startedBy: who.actor === 'system' ? 'system' : who.actor.email,
    dryRun: input.dryRun,
    onRunCreated: recorded,
  };
  const done =
    input.kind === 'reconcile' ? runReconcile(deps, { ...options, all: input.all }) : runSweep(deps, options);
  done.catch((error: unknown) =>
    deps.log.error({ err: error, kind: input.kind }, 'run started from the dashboard failed'),
  );
  const runId = await Promise.race([created, done.then((summary) => summary.runId)]);
  await recordAudit(deps, {
    actor: who.actor,
    action: 'run.start',
    target: { type: 'run', id: runId },
    after: { kind: input.kind, store: input.storeSlug ?? null },
    ip: who.ip,
  });
  return { ok: true, runId, done };
}
