import { type Kysely } from 'kysely';
import type { Database } from './schema';
import type { AttentionReason, OrderStatus } from '../app/monitor/status';

/** Read queries of the attention queue: open reasons by kind, oldest first (attention_reason_open_idx). */

type Q = Kysely<Database>;

export type AttentionGroupCount = { reason: AttentionReason; count: number; oldest: string };

/** How many orders wait for each open reason, and since when (attention_reason_open_idx). */
export async function countOpenReasonsByKind(db: Q, storeId?: number): Promise<AttentionGroupCount[]> {
  let q = db
    .selectFrom('attention_reason')
    .select((eb) => [
      'attention_reason.reason',
      eb.fn.countAll<number>().as('count'),
      eb.fn.min('attention_reason.opened_at').as('oldest'),
    ])
    .where('attention_reason.resolved_at', 'is', null);
  if (storeId !== undefined)
    q = q.innerJoin('order', 'order.id', 'attention_reason.order_id').where('order.store_id', '=', storeId);
  const rows = await q.groupBy('attention_reason.reason').execute();
  return rows.map((r) => ({ reason: r.reason, count: Number(r.count), oldest: String(r.oldest) }));
}

export type AttentionRow = {
  reason_id: number;
  reason: AttentionReason;
  opened_at: string;
  detail: string | null;
  order_id: number;
  store_id: number;
  merchant_uid: string;
  imp_uid: string | null;
  status: OrderStatus;
  expected_amount: number | null;
  paid_amount: number | null;
  currency: string;
  next_check_at: string | null;
  last_checked_at: string | null;
  check_attempts: number;
  open_reason_count: number;
};

/** Open reasons of one kind, oldest first, after the keyset `(opened_at, reason id)`; `limit + 1` rows. */
export function listOpenReasons(
  db: Q,
  query: { reason: AttentionReason; storeId?: number; after?: { openedAt: string; id: number }; limit: number },
): Promise<AttentionRow[]> {
  return db
    .selectFrom('attention_reason')
    .innerJoin('order', 'order.id', 'attention_reason.order_id')
    .select([
      'attention_reason.id as reason_id',
      'attention_reason.reason',
      'attention_reason.opened_at',
      'attention_reason.detail',
      'order.id as order_id',
      'order.store_id',
      'order.merchant_uid',
      'order.imp_uid',
      'order.status',
      'order.expected_amount',
      'order.paid_amount',
      'order.currency',
      'order.next_check_at',
      'order.last_checked_at',
      'order.check_attempts',
      'order.open_reason_count',
    ])
    .where('attention_reason.reason', '=', query.reason)
    .where('attention_reason.resolved_at', 'is', null)
    .$if(query.storeId !== undefined, (q) => q.where('order.store_id', '=', query.storeId!))
    .$if(query.after !== undefined, (q) =>
      q.where((eb) =>
        eb(
          eb.refTuple('attention_reason.opened_at', 'attention_reason.id'),
          '>',
          eb.tuple(query.after!.openedAt, query.after!.id),
        ),
      ),
    )
    .orderBy('attention_reason.opened_at')
    .orderBy('attention_reason.id')
    .limit(query.limit + 1)
    .execute();
}
