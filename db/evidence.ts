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
