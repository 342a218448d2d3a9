import { emitJobEvents } from './job-events';
import type { NewReconcileRunItemRow, ReconcileRunRow, ReconcileRunStoreRow } from '../../../db/reconcile-schema';
import { clearCooldown, findCooldown, saveCooldown } from '../../../db/gateway-cooldown';
import { openReasonsByOrder } from '../../../db/job-candidates';
import {
  failAbandonedRuns,
  insertRun,
  insertRunItems,
  insertRunStore,
  updateRun,
  updateRunStore,
} from '../../../db/runs';
import type { IamportClient } from '../../iamport/types';
import { recordGatewayCheck, type GatewayRegistry } from '../verify/gateway.server';
import {
  cooldownMs,
  createBreaker,
  DEFAULT_MANNERS,
  httpCallsOf,
  realSleep,
  withRetry,
  type Breaker,
  type CallOutcome,
  type Manners,
} from './gateway-manners';
import { acquireLease, processHolderId, type Lease } from './lease.server';
import { toSummary, type RunSummary } from './run-summary';
import {
  type AttentionReason,
  type OrderStatus,
  type RunItemOutcome,
  type RunKind,
  type RunStoreStatus,
  type RunTrigger,
  type Trigger,
} from '../status';
import { listAllStores, requireStore, type Store } from '../stores/stores.server';
import { toDbTime } from '../time';
import type { CaptureDeps, JobDeps } from '../deps';
import { forEachLimited } from '../concurrency';

/**
 * The frame every reconciliation run shares (the re-query job and the reverse sweep): the lease,
 * the run row and its per-store rows, per-order items, the gateway manners per store (bounded
 * concurrency, bounded retries, a circuit breaker and a cooldown shared through the database).
 * The runs screen reads what it records through dashboard/runs.server.ts.
 */

export type { RunSummary };
export type { JobDeps } from '../deps';

export type RunProgress = { store: string; phase: 'requery' | 'sweep'; done: number; total: number };

export type RunOptions = {
  trigger: RunTrigger;
  /** Only this store (its slug); every store when absent. */
  storeSlug?: string;
  /** Ask the gateway and report what would change; write nothing but the run record. */
  dryRun?: boolean;
  /** A user's name, `cli:<user>` or `scheduler`. */
  startedBy?: string;
  onProgress?: (progress: RunProgress) => void;
  /** Called once the run row exists (also for a skipped run), before any work. */
  onRunCreated?: (runId: number) => void;
};

/** How far back the first run of a store looks, and how much each run re-reads of the last one. */
export const FIRST_WINDOW_MS = 24 * 3600_000;
export const WINDOW_OVERLAP_MS = 10 * 60_000;

const PROCESS_HOLDER = processHolderId();
const ITEM_FLUSH = 500;
const MAX_ERROR_TEXT = 1000;

/** One store's part of a run, handed to the job's per-store work. */
export type StoreRun = {
  store: Store;
  runId: number;
  kind: RunKind;
  trigger: RunTrigger;
  dryRun: boolean;
  /** The monitor's dependencies with this run's counting gateway registry: pass them to verifyPayment. */
  deps: CaptureDeps;
  manners: Manners;
  breaker: Breaker;
  /** A client whose calls are counted for this run. */
  client: () => IamportClient;
  /**
   * One gateway operation with the run's manners: skipped (null) once the breaker is open,
   * retried while transient, every attempt recorded as a gateway check (not in a dry run).
   */
  call: <R extends CallOutcome>(
    what: {
      operation: string;
      trigger: Trigger;
      orderId: number | null;
      impUid: string | null;
      merchantUid: string | null;
    },
    op: (client: IamportClient) => Promise<R>,
  ) => Promise<{ result: R; checkId: number } | null>;
  /** Records what happened to one order (or one gateway payment). */
  item: (item: RunItemInput) => Promise<void>;
  /** A failure about one order: recorded on its item, counted, logged a few times per store. */
  orderError: (item: Omit<RunItemInput, 'outcome' | 'error'>, error: unknown) => Promise<void>;
  settled: () => void;
  /** Something examined that needed no item (a listed payment that agrees with us). */
  countExamined: (n: number) => void;
  notReached: (n: number) => void;
  setWindow: (from: string, to: string) => void;
  /** The window was covered completely: the next run of this kind may start after it. */
  windowDone: () => void;
  /** Renews the lease; throws when another process took it over. */
  checkpoint: () => Promise<void>;
  progress: (phase: RunProgress['phase'], done: number, total: number) => void;
  /** A store-level problem (the one error of this store in this run). */
  fail: (message: string) => void;
};

export type RunItemInput = {
  orderId: number | null;
  merchantUid: string | null;
  impUid: string | null;
  statusBefore: OrderStatus | null;
  statusAfter: OrderStatus | null;
  outcome: RunItemOutcome;
  reasonsOpened: AttentionReason[];
  error?: string | null;
  /**
   * Dry runs only: whether the order would still have a reason open once the planned change were
   * applied (nothing is written, so the database cannot say); the run's `still open` counts it.
   */
  wouldStayOpen?: boolean;
};

class LeaseLostError extends Error {}

function clip(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}

export function errorText(error: unknown): string {
  return clip(error instanceof Error ? error.message : String(error));
}

/** Wraps a registry so every operation's HTTP requests (token requests included) are counted. */
export function countingRegistry(registry: GatewayRegistry, count: (calls: number) => void): GatewayRegistry {
  const seenTokens = new WeakSet<object>();
  return {
    forStore(store, options) {
      const client = registry.forStore(store, options);
      return new Proxy(client, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const out = (value as (...a: unknown[]) => unknown).apply(target, args);
            if (out instanceof Promise) {
              return out.then((result: unknown) => {
                if (result && typeof result === 'object' && 'meta' in result)
                  count(httpCallsOf(result as CallOutcome, seenTokens));
                return result;
              });
            }
            return out;
          };
        },
      });
    },
  };
}

/**
 * Runs `perStore` for each store under the job's lease and records it all. Never throws for a
 * gateway or per-store failure: those end up in the run (status `failed`, one error per store);
 * only an unknown `storeSlug` throws (an AppError) before anything is written.
 */
export async function executeRun(
  deps: JobDeps,
  spec: { kind: RunKind; options: RunOptions; allOrders?: boolean; window?: { from: string; to: string } | null },
  perStore: (run: StoreRun) => Promise<void>,
): Promise<RunSummary> {
  const { options, kind } = spec;
  const dryRun = options.dryRun === true;
  const named = options.storeSlug ? [await requireStore(deps, options.storeSlug)] : await listAllStores(deps);
  // An archived store's jobs skip it (decision 0155); only the retention purge still covers its data.
  const stores = kind === 'purge' ? named : named.filter((s) => s.archivedAt === null);
  const manners: Manners = { ...DEFAULT_MANNERS, ...deps.manners };
  const holder = deps.holder ?? PROCESS_HOLDER;
  const startedAt = deps.now();
  const base = {
    kind,
    trigger: options.trigger,
    store_slug: options.storeSlug ?? null,
    dry_run: dryRun ? 1 : 0,
    all_orders: spec.allOrders ? 1 : 0,
    window_from: spec.window?.from ?? null,
    window_to: spec.window?.to ?? null,
    started_at: toDbTime(startedAt),
    examined: 0,
    settled: 0,
    still_open: 0,
    errors: 0,
    gateway_calls: 0,
    started_by: options.startedBy ?? null,
  };

  // A dry run changes no order, so it needs no lease and may run beside the real one.
  let lease: Lease | null = null;
  if (!dryRun) {
    const attempt = await acquireLease(deps, kind, holder);
    if (!attempt.ok) {
      const held = attempt.heldBy;
      const run = await insertRun(deps.db, {
        ...base,
        status: 'skipped',
        finished_at: base.started_at,
        duration_ms: 0,
        lease_holder: held.holder,
        error: `another process is running ${kind}: ${held.holder} (since ${held.acquiredAt}, lease until ${held.expiresAt})`,
      });
      options.onRunCreated?.(run.id);
      deps.log.info({ run: run.id, kind, holder: held.holder }, 'run skipped: the lease is held elsewhere');
      return toSummary(run, []);
    }
    lease = attempt.lease;
  }

  let run: ReconcileRunRow;
  try {
    run = await insertRun(deps.db, {
      ...base,
      status: 'running',
      finished_at: null,
      duration_ms: null,
      lease_holder: dryRun ? null : holder,
      error: null,
    });
  } catch (error) {
    await lease?.release().catch(() => {});
    throw error;
  }
  options.onRunCreated?.(run.id);
  let runError: string | null = null;
  const storeRows: ReconcileRunStoreRow[] = [];
  try {
    if (lease) await failAbandonedRuns(deps.db, { kind, exceptHolder: holder, at: toDbTime(deps.now()) });
    await forEachLimited(stores, manners.storeParallelism, async (store) => {
      if (runError) return;
      try {
        storeRows.push(await runStore(deps, { run, store, manners, lease, dryRun, kind, options }, perStore));
      } catch (error) {
        if (error instanceof LeaseLostError) runError = error.message;
        else throw error;
      }
    });
  } catch (error) {
    deps.log.error({ err: error, run: run.id, kind }, 'run failed');
    runError = errorText(error);
  } finally {
    await lease?.release().catch((error: unknown) => deps.log.warn({ err: error }, 'could not release the lease'));
  }

  const finishedAt = deps.now();
  const sum = (f: (r: ReconcileRunStoreRow) => number) => storeRows.reduce((n, r) => n + f(r), 0);
  const froms = storeRows
    .map((r) => r.window_from)
    .filter((v): v is string => v !== null)
    .sort();
  const tos = storeRows
    .map((r) => r.window_to)
    .filter((v): v is string => v !== null)
    .sort();
  const errors = sum((r) => r.errors) + (runError ? 1 : 0);
  const storeErrors = storeRows.filter((r) => r.error).map((r) => `${r.store_slug}: ${r.error}`);
  const finished = await updateRun(deps.db, run.id, {
    status: errors > 0 ? 'failed' : 'ok',
    finished_at: toDbTime(finishedAt),
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
    window_from: spec.window?.from ?? froms[0] ?? null,
    window_to: spec.window?.to ?? tos[tos.length - 1] ?? null,
    examined: sum((r) => r.examined),
    settled: sum((r) => r.settled),
    still_open: sum((r) => r.still_open),
    errors,
    gateway_calls: sum((r) => r.gateway_calls),
    error: runError ?? (storeErrors.length ? clip(storeErrors.join('; ')) : null),
  });
  deps.log.info(
    {
      run: run.id,
      kind,
      status: finished.status,
      examined: finished.examined,
      settled: finished.settled,
      errors: finished.errors,
      gatewayCalls: finished.gateway_calls,
    },
    'run finished',
  );
  return toSummary(finished, storeRows);
}

async function runStore(
  deps: JobDeps,
  ctx: {
    run: ReconcileRunRow;
    store: Store;
    manners: Manners;
    lease: Lease | null;
    dryRun: boolean;
    kind: RunKind;
    options: RunOptions;
  },
  perStore: (run: StoreRun) => Promise<void>,
): Promise<ReconcileRunStoreRow> {
  const { store, manners, dryRun } = ctx;
  const startedAt = toDbTime(deps.now());
  const row = await insertRunStore(deps.db, {
    run_id: ctx.run.id,
    store_id: store.id,
    store_slug: store.slug,
    status: 'ok',
    window_from: null,
    window_to: null,
    window_done: 0,
    examined: 0,
    settled: 0,
    still_open: 0,
    not_reached: 0,
    reasons_opened: 0,
    errors: 0,
    gateway_calls: 0,
    error: null,
    started_at: startedAt,
    finished_at: null,
  });

  let gatewayCalls = 0;
  const gateways = countingRegistry(deps.gateways, (n) => {
    gatewayCalls += n;
  });
  const runDeps: CaptureDeps = {
    db: deps.db,
    log: deps.log,
    now: deps.now,
    metrics: deps.metrics,
    gateways,
    ledgerListeners: deps.ledgerListeners,
    config: deps.config,
  };
  const breaker = createBreaker(manners.breakerThreshold);
  const sleep = deps.sleep ?? realSleep;
  const examined = new Set<number>();
  /** Dry runs: the planned open-or-not of the orders an item said something about. */
  const plannedOpen = new Map<number, boolean>();
  let examinedWithoutOrder = 0;
  let settled = 0;
  let notReached = 0;
  let reasonsOpened = 0;
  let orderErrors = 0;
  let storeError: string | null = null;
  let firstOrderError: string | null = null;
  let window: { from: string | null; to: string | null; done: boolean } = { from: null, to: null, done: false };
  let items: NewReconcileRunItemRow[] = [];
  const flush = async () => {
    if (items.length === 0) return;
    const batch = items;
    items = [];
    await insertRunItems(deps.db, batch);
  };

  const item = async (input: RunItemInput) => {
    if (input.orderId !== null) examined.add(input.orderId);
    else examinedWithoutOrder++;
    if (dryRun && input.orderId !== null && input.wouldStayOpen !== undefined)
      plannedOpen.set(input.orderId, input.wouldStayOpen);
    reasonsOpened += input.reasonsOpened.length;
    items.push({
      run_id: ctx.run.id,
      store_id: store.id,
      order_id: input.orderId,
      merchant_uid: input.merchantUid,
      imp_uid: input.impUid,
      status_before: input.statusBefore,
      status_after: input.statusAfter,
      outcome: input.outcome,
      reasons_opened: JSON.stringify(input.reasonsOpened),
      error: input.error ? clip(input.error) : null,
      at: toDbTime(deps.now()),
    });
    if (items.length >= ITEM_FLUSH) await flush();
  };

  const storeRun: StoreRun = {
    store,
    runId: ctx.run.id,
    kind: ctx.kind,
    trigger: ctx.options.trigger,
    dryRun,
    deps: runDeps,
    manners,
    breaker,
    client: () => gateways.forStore(store),
    async call(what, op) {
      if (breaker.isOpen) return null;
      let checkId = -1;
      const { result } = await withRetry(() => op(gateways.forStore(store)), {
        retryDelaysMs: manners.retryDelaysMs,
        sleep,
        onAttempt: async (attempt) => {
          if (!dryRun) {
            checkId = await recordGatewayCheck(runDeps, { store, ...what, result: attempt as never });
          }
        },
      });
      breaker.record(result);
      return { result, checkId };
    },
    item,
    async orderError(input, error) {
      orderErrors++;
      const message = errorText(error);
      firstOrderError ??= message;
      if (orderErrors <= 3)
        deps.log.error(
          { err: error, store: store.slug, order: input.orderId, run: ctx.run.id },
          'reconciliation of one order failed',
        );
      await item({ ...input, outcome: 'error', error: message });
    },
    settled: () => {
      settled++;
    },
    countExamined: (n) => {
      examinedWithoutOrder += n;
    },
    notReached: (n) => {
      notReached += n;
    },
    setWindow: (from, to) => {
      window = { from, to, done: false };
    },
    windowDone: () => {
      window.done = true;
    },
    async checkpoint() {
      if (ctx.lease && !(await ctx.lease.beat()))
        throw new LeaseLostError(`lost the ${ctx.kind} lease to another process mid-run; stopped`);
    },
    progress: (phase, done, total) => ctx.options.onProgress?.({ store: store.slug, phase, done, total }),
    fail: (message) => {
      storeError ??= clip(message);
    },
  };

  // A store whose gateway kept failing is left alone by scheduled runs until its cooldown ends;
  // a person (CLI, button) asking now always gets a try.
  const cooldown = await findCooldown(deps.db, store.id);
  const cooling = cooldown !== undefined && cooldown.until > toDbTime(deps.now()) && ctx.options.trigger === 'schedule';
  let skipped = false;
  let lost: LeaseLostError | null = null;
  try {
    if (cooling) {
      skipped = true;
      storeRun.fail(
        `not contacted: the gateway kept failing, cooling down until ${cooldown.until} (last error: ${cooldown.last_error})`,
      );
    } else {
      await perStore(storeRun);
    }
  } catch (error) {
    if (error instanceof LeaseLostError) lost = error;
    else {
      deps.log.error({ err: error, store: store.slug, run: ctx.run.id }, 'store failed during the run');
      storeRun.fail(errorText(error));
    }
  }
  await flush();

  if (breaker.unavailable) {
    const level = (cooldown?.level ?? 0) + 1;
    const until = new Date(deps.now().getTime() + cooldownMs(level, manners));
    const message = `gateway unavailable: ${breaker.lastError} (${breaker.failuresInARow} failed calls in a row; ${notReached} orders left for the next run${dryRun ? '' : `; scheduled runs pause until ${toDbTime(until)}`})`;
    storeError = clip(message);
    if (!dryRun)
      await saveCooldown(deps.db, {
        store_id: store.id,
        level,
        until: toDbTime(until),
        last_error: clip(breaker.lastError ?? 'unknown'),
        updated_at: toDbTime(deps.now()),
      });
  } else if (cooldown && !skipped && !dryRun && !storeError) {
    await clearCooldown(deps.db, store.id);
  }
  if (!storeError && orderErrors > 0) storeError = clip(`${orderErrors} order(s) failed: ${firstOrderError}`);

  const openNow = await openReasonsByOrder(deps.db, [...examined]);
  const stillOpen = [...examined].filter((id) => plannedOpen.get(id) ?? (openNow.get(id)?.length ?? 0) > 0).length;
  const status: RunStoreStatus = skipped ? 'skipped' : storeError ? 'failed' : 'ok';
  const done = window.done && !storeError;
  const finished: ReconcileRunStoreRow = {
    ...row,
    status,
    window_from: window.from,
    window_to: window.to,
    window_done: done ? 1 : 0,
    examined: examined.size + examinedWithoutOrder,
    settled,
    still_open: stillOpen,
    not_reached: notReached,
    reasons_opened: reasonsOpened,
    // One error per store per run, however many orders it touched; per-order errors are counted.
    errors: Math.max(orderErrors, storeError ? 1 : 0),
    gateway_calls: gatewayCalls,
    error: storeError,
    finished_at: toDbTime(deps.now()),
  };
  await updateRunStore(deps.db, row.id, finished);
  if (!dryRun && !skipped) {
    // What the alert rules hear: the run's result for this store, its breaker, its credentials.
    const at = toDbTime(deps.now());
    const refused = breaker.unavailable && /HTTP 401\b/.test(breaker.lastError ?? '');
    await emitJobEvents(deps, [
      {
        type: 'run_finished',
        kind: ctx.kind,
        storeId: store.id,
        ok: status === 'ok',
        error: storeError,
        runId: ctx.run.id,
        at,
      },
      { type: 'breaker', storeId: store.id, open: breaker.unavailable, error: breaker.lastError, at },
      { type: 'credentials', storeId: store.id, refused, error: refused ? breaker.lastError : null, at },
    ]);
  }
  if (lost) throw lost;
  return finished;
}
