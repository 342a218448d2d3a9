import type { Kysely } from 'kysely';
import type { AttentionReasonRow, NewOrderRow, OrderRow, OrderRowUpdate } from './monitor-schema';
import type { AttentionReason } from '../app/monitor/status';
import type { Database } from './schema';

type Q = Kysely<Database>;

/**
 * A new order as the merchant (or the evidence) first describes it: pending, nothing seen yet.
 * `extra` sets any other column (tests and seeds start orders further along).
 */
export function newPendingOrder(
  base: Pick<NewOrderRow, 'store_id' | 'merchant_uid' | 'expected_amount' | 'currency' | 'name' | 'source'> & {
    at: string;
  },
  extra: Partial<NewOrderRow> = {},
): NewOrderRow {
  const { at, ...known } = base;
  return {
    ...known,
    status: 'pending',
    imp_uid: null,
    gateway_status: null,
    paid_amount: null,
    cancel_amount: null,
    pay_method: null,
    pg_provider: null,
    buyer_name: null,
    vbank_due_at: null,
    prepared_at: null,
    created_at: at,
    updated_at: at,
    paid_at: null,
    last_checked_at: null,
    next_check_at: null,
    ...extra,
  };
}

export function findOrder(db: Q, storeId: number, merchantUid: string): Promise<OrderRow | undefined> {
  return db
    .selectFrom('order')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('merchant_uid', '=', merchantUid)
    .executeTakeFirst();
}

export function findOrderById(db: Q, id: number): Promise<OrderRow | undefined> {
  return db.selectFrom('order').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findOrderByImpUid(db: Q, storeId: number, impUid: string): Promise<OrderRow | undefined> {
  return db
    .selectFrom('order')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('imp_uid', '=', impUid)
    .executeTakeFirst();
}

/** Inserts unless (store, merchant_uid) exists; returns the row that is there either way. */
export async function insertOrderIfAbsent(db: Q, row: NewOrderRow): Promise<{ order: OrderRow; created: boolean }> {
  const inserted = await db
    .insertInto('order')
    .values(row)
    .onConflict((oc) => oc.columns(['store_id', 'merchant_uid']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { order: inserted, created: true };
  const existing = await findOrder(db, row.store_id, row.merchant_uid);
  if (!existing) throw new Error(`order ${row.merchant_uid} vanished during insert`);
  return { order: existing, created: false };
}

export async function updateOrder(db: Q, id: number, changes: OrderRowUpdate): Promise<OrderRow> {
  return db.updateTable('order').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export function openReasonsOf(db: Q, orderId: number): Promise<AttentionReasonRow[]> {
  return db
    .selectFrom('attention_reason')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('resolved_at', 'is', null)
    .orderBy('opened_at')
    .execute();
}

/** The open reasons of many orders (as `openReasonsOf` reads one), in chunks of 500 ids. */
export async function openReasonRowsOf(db: Q, orderIds: readonly number[]): Promise<Map<number, AttentionReasonRow[]>> {
  const result = new Map<number, AttentionReasonRow[]>();
  for (let i = 0; i < orderIds.length; i += 500) {
    const rows = await db
      .selectFrom('attention_reason')
      .selectAll()
      .where('order_id', 'in', orderIds.slice(i, i + 500))
      .where('resolved_at', 'is', null)
      .orderBy('opened_at')
      .orderBy('id')
      .execute();
    for (const row of rows) result.set(row.order_id, [...(result.get(row.order_id) ?? []), row]);
  }
  return result;
}

export function reasonsOf(db: Q, orderId: number): Promise<AttentionReasonRow[]> {
  return db
    .selectFrom('attention_reason')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('opened_at')
    .orderBy('id')
    .execute();
}

export async function openReason(
  db: Q,
  row: {
    order_id: number;
    reason: AttentionReason;
    opened_at: string;
    detail: string | null;
    resolved_at?: string | null;
    resolved_by?: string | null;
  },
): Promise<boolean> {
  // The partial unique index makes "open it unless already open" one statement.
  const result = await db
    .insertInto('attention_reason')
    .values({ resolved_at: null, resolved_by: null, resolution_note: null, ...row })
    .onConflict((oc) => oc.columns(['order_id', 'reason']).where('resolved_at', 'is', null).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** For each of `reasons`, its most recent resolved row on the order (none when it was never resolved). */
export async function latestResolutionsOf(
  db: Q,
  orderId: number,
  reasons: readonly AttentionReason[],
): Promise<Pick<AttentionReasonRow, 'reason' | 'resolved_by' | 'resolved_answer'>[]> {
  if (reasons.length === 0) return [];
  const rows = await db
    .selectFrom('attention_reason')
    .select(['reason', 'resolved_by', 'resolved_answer'])
    .where('order_id', '=', orderId)
    .where('reason', 'in', reasons)
    .where('resolved_at', 'is not', null)
    .orderBy('id', 'desc')
    .execute();
  const seen = new Set<AttentionReason>();
  return rows.filter((r) => !seen.has(r.reason) && seen.add(r.reason));
}

/** Merchant uid and store of each order id (what a person recognises an order by), for labels. */
export function orderLabelsOf(
  db: Q,
  ids: readonly number[],
): Promise<{ id: number; merchant_uid: string; store_id: number }[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('order').select(['id', 'merchant_uid', 'store_id']).where('id', 'in', ids).execute();
}

export async function countOpenReasons(db: Q, orderId: number): Promise<number> {
  const row = await db
    .selectFrom('attention_reason')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('order_id', '=', orderId)
    .where('resolved_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The orders (of those given) that exist, with their store: the targets of a bulk action. */
export function findOrdersWithStore(
  db: Q,
  orderIds: number[],
): Promise<{ id: number; store_id: number; merchant_uid: string; imp_uid: string | null }[]> {
  if (orderIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('order')
    .select(['id', 'store_id', 'merchant_uid', 'imp_uid'])
    .where('id', 'in', orderIds)
    .orderBy('id')
    .execute();
}
