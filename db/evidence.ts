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

/** The first earlier delivery with the same store, imp_uid, status and cancellation id. */
export async function findOriginalDelivery(
  db: Q,
  key: { storeId: number; impUid: string; status: string | null; cancellationId: string | null },
): Promise<number | null> {
  let query = db
    .selectFrom('webhook_delivery')
    .select('id')
    .where('store_id', '=', key.storeId)
    .where('imp_uid', '=', key.impUid)
    .where('answer_status', '=', 200)
    .where('duplicate_of', 'is', null);
  query = key.status === null ? query.where('status', 'is', null) : query.where('status', '=', key.status);
  query =
    key.cancellationId === null
      ? query.where('cancellation_id', 'is', null)
      : query.where('cancellation_id', '=', key.cancellationId);
  const row = await query.orderBy('id').limit(1).executeTakeFirst();
  return row?.id ?? null;
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
