import { sql, type Kysely } from 'kysely';
import type { OrderRow } from './monitor-schema';
import type {
  GatewayCooldownRow,
  NewReconcileRunItemRow,
  NewReconcileRunRow,
  NewReconcileRunStoreRow,
  ReconcileRunItemRow,
  ReconcileRunRow,
  ReconcileRunStoreRow,
  ReconcileRunUpdate,
} from './reconcile-schema';
import type { Database } from './schema';
import type { AttentionReason, OrderStatus, RunItemOutcome, RunKind, RunStatus } from '../app/monitor/status';

type Q = Kysely<Database>;

// ---------------------------------------------------------------------------------------------
// Run history

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

// ---------------------------------------------------------------------------------------------
// Gateway cooldowns (one row per store, shared by every process)

export function findCooldown(db: Q, storeId: number): Promise<GatewayCooldownRow | undefined> {
  return db.selectFrom('gateway_cooldown').selectAll().where('store_id', '=', storeId).executeTakeFirst();
}

export async function saveCooldown(db: Q, row: GatewayCooldownRow): Promise<void> {
  await db
    .insertInto('gateway_cooldown')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('store_id')
        .doUpdateSet({ level: row.level, until: row.until, last_error: row.last_error, updated_at: row.updated_at }),
    )
    .execute();
}

export async function clearCooldown(db: Q, storeId: number): Promise<void> {
  await db.deleteFrom('gateway_cooldown').where('store_id', '=', storeId).execute();
}

// ---------------------------------------------------------------------------------------------
// What a reconcile run looks at

/** Orders whose next check is due (or, with `all`, every order with an open reason or a next check). */
export function listDueOrders(
  db: Q,
  input: { storeId: number; now: string; all: boolean; limit: number },
): Promise<OrderRow[]> {
  let query = db.selectFrom('order').selectAll().where('store_id', '=', input.storeId);
  query = input.all
    ? query.where((eb) => eb.or([eb('open_reason_count', '>', 0), eb('next_check_at', 'is not', null)])).orderBy('id')
    : query
        .where('next_check_at', 'is not', null)
        .where('next_check_at', '<=', input.now)
        .orderBy('next_check_at')
        .orderBy('id');
  return query.limit(input.limit).execute();
}

const WEBHOOK_ACCEPTED = 200;

/**
 * Orders in one of `statuses` with a redirect hit at or before `cutoff`, no accepted webhook
 * delivery (matched by order or imp_uid) and no `redirect_without_webhook` ever opened. Two ways in,
 * so a run only reads what changed since the last one: redirect hits that crossed the grace line
 * in `hits`, and orders verified in `verified` (they may have reached a webhook-worthy status late).
 */
export async function listRedirectsWithoutWebhook(
  db: Q,
  input: {
    storeId: number;
    statuses: readonly OrderStatus[];
    cutoff: string;
    hits: { from: string; to: string };
    verified: { from: string; to: string };
  },
): Promise<(OrderRow & { first_redirect_at: string })[]> {
  const base = (q: Q) =>
    q
      .selectFrom('order as o')
      .selectAll('o')
      .select((eb) =>
        eb
          .selectFrom('redirect_hit as first')
          .select((e) => e.fn.min<string>('first.received_at').as('m'))
          .whereRef('first.store_id', '=', 'o.store_id')
          .whereRef('first.merchant_uid', '=', 'o.merchant_uid')
          .as('first_redirect_at'),
      )
      .where('o.store_id', '=', input.storeId)
      .where('o.status', 'in', input.statuses)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_delivery as wd')
              .select('wd.id')
              .whereRef('wd.order_id', '=', 'o.id')
              .where('wd.answer_status', '=', WEBHOOK_ACCEPTED),
          ),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_delivery as wd')
              .select('wd.id')
              .whereRef('wd.store_id', '=', 'o.store_id')
              .whereRef('wd.imp_uid', '=', 'o.imp_uid')
              .where('wd.answer_status', '=', WEBHOOK_ACCEPTED),
          ),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('attention_reason as ar')
              .select('ar.id')
              .whereRef('ar.order_id', '=', 'o.id')
              .where('ar.reason', '=', 'redirect_without_webhook'),
          ),
        ),
      );

  const crossed = await base(db)
    .where('o.merchant_uid', 'in', (eb) =>
      eb
        .selectFrom('redirect_hit as rh')
        .select('rh.merchant_uid')
        .where('rh.store_id', '=', input.storeId)
        .where('rh.received_at', '>', input.hits.from)
        .where('rh.received_at', '<=', input.hits.to)
        .where('rh.merchant_uid', 'is not', null)
        .$castTo<string>(),
    )
    .execute();
  const late = await base(db)
    .where('o.id', 'in', (eb) =>
      eb
        .selectFrom('verification as v')
        .select('v.order_id')
        .where('v.decided_at', '>', input.verified.from)
        .where('v.decided_at', '<=', input.verified.to)
        .where('v.status_after', 'in', input.statuses),
    )
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('redirect_hit as rh')
          .select('rh.id')
          .whereRef('rh.store_id', '=', 'o.store_id')
          .whereRef('rh.merchant_uid', '=', 'o.merchant_uid')
          .where('rh.received_at', '<=', input.cutoff),
      ),
    )
    .execute();
  const byId = new Map<number, OrderRow & { first_redirect_at: string }>();
  for (const row of [...crossed, ...late]) byId.set(row.id, row as OrderRow & { first_redirect_at: string });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Open `redirect_without_webhook` reasons of a store whose webhook has arrived since. */
export async function listRedirectReasonsAnswered(db: Q, storeId: number): Promise<OrderRow[]> {
  return db
    .selectFrom('attention_reason as ar')
    .innerJoin('order as o', 'o.id', 'ar.order_id')
    .selectAll('o')
    .where('ar.reason', '=', 'redirect_without_webhook')
    .where('ar.resolved_at', 'is', null)
    .where('o.store_id', '=', storeId)
    .where(({ or, exists, selectFrom }) =>
      or([
        exists(
          selectFrom('webhook_delivery as wd')
            .select('wd.id')
            .whereRef('wd.order_id', '=', 'o.id')
            .where('wd.answer_status', '=', WEBHOOK_ACCEPTED),
        ),
        exists(
          selectFrom('webhook_delivery as wd')
            .select('wd.id')
            .whereRef('wd.store_id', '=', 'o.store_id')
            .whereRef('wd.imp_uid', '=', 'o.imp_uid')
            .where('wd.answer_status', '=', WEBHOOK_ACCEPTED),
        ),
      ]),
    )
    .orderBy('o.id')
    .execute();
}

/**
 * Orders the merchant registered (source `api`) that are still `pending` with no evidence at all
 * (no redirect hit, no webhook delivery, no imp_uid) and were created in `created` (the window
 * that crossed the store's stale line since the last run), with no `stale_pending` ever opened.
 */
export function listStalePending(
  db: Q,
  input: { storeId: number; created: { from: string; to: string } },
): Promise<OrderRow[]> {
  return db
    .selectFrom('order as o')
    .selectAll('o')
    .where('o.store_id', '=', input.storeId)
    .where('o.status', '=', 'pending')
    .where('o.created_at', '>', input.created.from)
    .where('o.created_at', '<=', input.created.to)
    .where('o.source', '=', 'api')
    .where('o.imp_uid', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('redirect_hit as rh')
            .select('rh.id')
            .whereRef('rh.store_id', '=', 'o.store_id')
            .whereRef('rh.merchant_uid', '=', 'o.merchant_uid'),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('webhook_delivery as wd').select('wd.id').whereRef('wd.order_id', '=', 'o.id'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('attention_reason as ar')
            .select('ar.id')
            .whereRef('ar.order_id', '=', 'o.id')
            .where('ar.reason', '=', 'stale_pending'),
        ),
      ),
    )
    .orderBy('o.id')
    .execute();
}

/** Orders of a store by merchant_uid, for matching a page of the gateway's payments. */
export async function findOrdersByMerchantUids(
  db: Q,
  storeId: number,
  merchantUids: string[],
): Promise<Map<string, OrderRow>> {
  const found = new Map<string, OrderRow>();
  for (let i = 0; i < merchantUids.length; i += 500) {
    const rows = await db
      .selectFrom('order')
      .selectAll()
      .where('store_id', '=', storeId)
      .where('merchant_uid', 'in', merchantUids.slice(i, i + 500))
      .execute();
    for (const row of rows) found.set(row.merchant_uid, row);
  }
  return found;
}

/** Open reasons of many orders at once (for reporting what is still open after a run). */
export async function openReasonsByOrder(db: Q, orderIds: number[]): Promise<Map<number, AttentionReason[]>> {
  const result = new Map<number, AttentionReason[]>();
  for (let i = 0; i < orderIds.length; i += 500) {
    const rows = await db
      .selectFrom('attention_reason')
      .select(['order_id', 'reason'])
      .where('order_id', 'in', orderIds.slice(i, i + 500))
      .where('resolved_at', 'is', null)
      .execute();
    for (const row of rows) result.set(row.order_id, [...(result.get(row.order_id) ?? []), row.reason]);
  }
  return result;
}

/** Used by tests and the dashboard: how many orders still wait for a re-query. */
export async function countDueOrders(db: Q, now: string): Promise<number> {
  const row = await db
    .selectFrom('order')
    .select(sql<number>`count(*)`.as('n'))
    .where('next_check_at', 'is not', null)
    .where('next_check_at', '<=', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
