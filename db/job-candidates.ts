import type { Kysely } from 'kysely';
import type { Database } from './schema';
import { sql } from 'kysely';
import type { OrderRow } from './monitor-schema';
import type { AttentionReason, OrderStatus } from '../app/monitor/status';

/** What the scheduled jobs look at: the orders due for a check and the evidence that needs one. */

type Q = Kysely<Database>;

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
