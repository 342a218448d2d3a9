import type { Db } from '../../db/connection';
import type { NewOrderRow } from '../../db/monitor-schema';
import { newPendingOrder } from '../../db/orders';
import type { AttentionReason } from '~/monitor/status';
import type { Payment } from '~/iamport/types';

/**
 * Rows straight into the database, for tests that need a state the product would take many
 * steps to reach (thousands of orders, a status months old). Everything else goes through the
 * product's own entry points. One home for these, so a new column is added in one place.
 */

/** A test's order: what it names, over a pending order created at `at` (the product's own defaults). */
export type OrderFields = {
  storeId: number;
  merchantUid: string;
  at: string;
  amount?: number | null;
  currency?: string;
  name?: string | null;
  source?: 'api' | 'evidence';
} & Partial<Omit<NewOrderRow, 'store_id' | 'merchant_uid' | 'expected_amount' | 'currency' | 'name' | 'source'>>;

export function orderRow(fields: OrderFields): NewOrderRow {
  const { storeId, merchantUid, at, amount, currency, name, source, ...extra } = fields;
  return newPendingOrder(
    {
      store_id: storeId,
      merchant_uid: merchantUid,
      expected_amount: amount === undefined ? 1000 : amount,
      currency: currency ?? 'KRW',
      name: name ?? null,
      source: source ?? 'api',
      at,
    },
    extra,
  );
}

const BATCH = 500;

/** Inserts the orders in batches; returns their ids in order. */
export async function insertOrders(db: Db, orders: OrderFields[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < orders.length; i += BATCH) {
    const rows = await db
      .insertInto('order')
      .values(orders.slice(i, i + BATCH).map(orderRow))
      .returning('id')
      .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

export async function insertOrder(db: Db, fields: OrderFields): Promise<number> {
  const [id] = await insertOrders(db, [fields]);
  return id!;
}

/** Opens reasons on orders directly (the order's `open_reason_count` is the caller's to set). */
export async function insertOpenReasons(
  db: Db,
  reasons: { orderId: number; reason: AttentionReason; at: string; detail?: string | null }[],
): Promise<void> {
  for (let i = 0; i < reasons.length; i += BATCH)
    await db
      .insertInto('attention_reason')
      .values(
        reasons.slice(i, i + BATCH).map((r) => ({
          order_id: r.orderId,
          reason: r.reason,
          opened_at: r.at,
          detail: r.detail ?? null,
        })),
      )
      .execute();
}

/** A webhook as Iamport would post it (from one of its published addresses), before capture. */
export function webhookRequest(storeSlug: string, body: Record<string, string>) {
  return {
    storeSlug,
    contentType: 'application/json',
    headers: [['content-type', 'application/json']] as [string, string][],
    body: new TextEncoder().encode(JSON.stringify(body)),
    tooLarge: false,
    ip: '52.78.100.19',
  };
}

/**
 * A payment as the gateway client hands it over (normalised): a paid KRW card payment of 1,000
 * with every optional field empty, and `over` on top.
 */
export function gatewayPayment(over: Partial<Payment> & Pick<Payment, 'merchantUid'>): Payment {
  return {
    impUid: 'imp_000000000001',
    status: 'paid',
    amount: 1000,
    cancelAmount: 0,
    currency: 'KRW',
    payMethod: 'card',
    pgProvider: 'html5_inicis',
    embPgProvider: null,
    pgTid: null,
    pgId: null,
    channel: 'pc',
    name: null,
    buyerName: null,
    buyerEmail: null,
    buyerTel: null,
    customData: null,
    applyNum: null,
    cardName: null,
    cardNumber: null,
    cardQuota: 0,
    bankName: null,
    escrow: false,
    customerUid: null,
    startedAt: null,
    paidAt: null,
    failedAt: null,
    cancelledAt: null,
    failReason: null,
    cancelReason: null,
    receiptUrl: null,
    vbankCode: null,
    vbankName: null,
    vbankNum: null,
    vbankHolder: null,
    vbankDate: null,
    vbankIssuedAt: null,
    cancelHistory: [],
    sandbox: false,
    ...over,
  };
}
