import type { Kysely } from 'kysely';
import type {
  GatewayCheckRow,
  NewGatewayCheckRow,
  NewRedirectHitRow,
  NewWebhookDeliveryRow,
  RedirectHitRow,
  VerificationTable,
  WebhookDeliveryRow,
} from './monitor-schema';
import type { Insertable } from 'kysely';
import type { Database } from './schema';

type Q = Kysely<Database>;

/** Raw evidence is append-only: these modules insert and read, never update. */

export function insertRedirectHit(db: Q, row: NewRedirectHitRow): Promise<RedirectHitRow> {
  return db.insertInto('redirect_hit').values(row).returningAll().executeTakeFirstOrThrow();
}

export function insertWebhookDelivery(db: Q, row: NewWebhookDeliveryRow): Promise<WebhookDeliveryRow> {
  return db.insertInto('webhook_delivery').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findWebhookDelivery(db: Q, id: number): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom('webhook_delivery').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Several deliveries by id, in one query (a worker's batch). */
export async function findWebhookDeliveries(db: Q, ids: number[]): Promise<Map<number, WebhookDeliveryRow>> {
  const found = new Map<number, WebhookDeliveryRow>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('webhook_delivery')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}

export type DeliveryIdentity = {
  storeId: number;
  impUid: string;
  status: string | null;
  cancellationId: string | null;
};

function dedupKey(key: DeliveryIdentity) {
  return {
    store_id: key.storeId,
    imp_uid: key.impUid,
    status_key: key.status === null ? '' : `=${key.status}`,
    cancellation_key: key.cancellationId === null ? '' : `=${key.cancellationId}`,
  };
}

/**
 * Claims a delivery identity inside the caller's transaction: null when this delivery is the
 * original (then `attachOriginalDelivery` must follow in the same transaction), else the id of
 * the original. One statement decides, by the table's primary key: on PostgreSQL a concurrent
 * claim of the same key waits for the first to commit and then sees it; on SQLite writers are
 * serialised. So there is exactly one original per identity, on one instance or several.
 */
export async function claimDeliveryIdentity(db: Q, key: DeliveryIdentity): Promise<number | null> {
  const row = dedupKey(key);
  const claimed = await db
    .insertInto('webhook_dedup')
    .values({ ...row, delivery_id: null })
    .onConflict((oc) => oc.columns(['store_id', 'imp_uid', 'status_key', 'cancellation_key']).doNothing())
    .executeTakeFirst();
  if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) > 0) return null;
  const original = await db
    .selectFrom('webhook_dedup')
    .select('delivery_id')
    .where('store_id', '=', row.store_id)
    .where('imp_uid', '=', row.imp_uid)
    .where('status_key', '=', row.status_key)
    .where('cancellation_key', '=', row.cancellation_key)
    .executeTakeFirstOrThrow();
  if (original.delivery_id === null) throw new Error(`delivery identity ${key.impUid} claimed without its delivery`);
  return original.delivery_id;
}

/** Records which delivery is the original of an identity this transaction claimed. */
export async function attachOriginalDelivery(db: Q, key: DeliveryIdentity, deliveryId: number): Promise<void> {
  const row = dedupKey(key);
  await db
    .updateTable('webhook_dedup')
    .set({ delivery_id: deliveryId })
    .where('store_id', '=', row.store_id)
    .where('imp_uid', '=', row.imp_uid)
    .where('status_key', '=', row.status_key)
    .where('cancellation_key', '=', row.cancellation_key)
    .execute();
}

export function insertGatewayCheck(db: Q, row: NewGatewayCheckRow): Promise<GatewayCheckRow> {
  return db.insertInto('gateway_check').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function insertVerification(db: Q, row: Insertable<VerificationTable>): Promise<number> {
  const inserted = await db.insertInto('verification').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

/**
 * When the buyer's browser first came back for this order: the earliest redirect hit recorded
 * for the order or for its merchant_uid at the store (hits before the order existed carry only
 * the merchant_uid). Null when there is none.
 */
export async function firstRedirectAt(
  db: Q,
  key: { storeId: number; merchantUid: string | null; orderId: number | null },
): Promise<string | null> {
  const times: string[] = [];
  if (key.orderId !== null) {
    const row = await db
      .selectFrom('redirect_hit')
      .select((eb) => eb.fn.min('received_at').as('first'))
      .where('order_id', '=', key.orderId)
      .executeTakeFirst();
    if (row?.first) times.push(row.first);
  }
  if (key.merchantUid !== null) {
    const row = await db
      .selectFrom('redirect_hit')
      .select((eb) => eb.fn.min('received_at').as('first'))
      .where('store_id', '=', key.storeId)
      .where('merchant_uid', '=', key.merchantUid)
      .executeTakeFirst();
    if (row?.first) times.push(row.first);
  }
  return times.length ? times.sort()[0]! : null;
}

/** Operations that look up what the gateway says about a payment (not prepare, cancel or listings). */
export const PAYMENT_LOOKUPS = ['getPayment', 'findPayment', 'getPayments'] as const;

/** The time of the latest look-up of an order's payment at the gateway, or null. */
export async function lastGatewayCheckAt(db: Q, orderId: number): Promise<string | null> {
  const row = await db
    .selectFrom('gateway_check')
    .select((eb) => eb.fn.max('checked_at').as('last'))
    .where('order_id', '=', orderId)
    .where('operation', 'in', PAYMENT_LOOKUPS)
    .executeTakeFirst();
  return row?.last ?? null;
}

/**
 * The raw answers of the latest successful single-payment look-ups of an order (newest first):
 * what the buyer's result page reads the virtual account from. Never the query string.
 */
export async function latestPaymentAnswers(db: Q, orderId: number, limit = 5): Promise<string[]> {
  const rows = await db
    .selectFrom('gateway_check')
    .select('raw_json')
    .where('order_id', '=', orderId)
    .where('ok', '=', 1)
    .where('operation', 'in', PAYMENT_LOOKUPS)
    .where('raw_json', 'is not', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.raw_json!);
}

/** The successful payment look-ups of several orders, newest first (the CSV reads a chunk at once). */
export async function paymentAnswersOfOrders(
  db: Q,
  orderIds: number[],
): Promise<{ order_id: number; raw_json: string }[]> {
  if (orderIds.length === 0) return [];
  const rows = await db
    .selectFrom('gateway_check')
    .select(['order_id', 'raw_json'])
    .where('order_id', 'in', orderIds)
    .where('ok', '=', 1)
    .where('operation', 'in', PAYMENT_LOOKUPS)
    .where('raw_json', 'is not', null)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({ order_id: r.order_id!, raw_json: r.raw_json! }));
}
