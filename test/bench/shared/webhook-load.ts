import type { Db } from '../../../db/connection';
import { newPendingOrder } from '../../../db/orders';
import { sandboxControl } from '../../helpers/monitor';
import { runLoad, type LoadResult } from '../load';

/**
 * The webhook send loop the ingestion benchmarks share (webhooks, alerts): payments made at the
 * sandbox, the orders the merchant registered for them, Iamport's webhook for each one sent at
 * `concurrency` keep-alive connections, and the wait for the verification queue to drain.
 */

export type BenchPayment = { imp_uid: string; merchant_uid: string };

/**
 * Environment for an app measured for ingestion throughput from one loopback client: the public
 * limits (a few hundred requests per minute per address) would measure the limiter instead.
 */
export const INGESTION_ENV = { RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_STORE: '0' } as const;

/** `total` paid payments at the sandbox (no webhook of its own); `paidAmount` below 1,000 tampers. */
export async function createPayments(
  sandboxUrl: string,
  prefix: string,
  total: number,
  options: { paidAmount?: number } = {},
): Promise<BenchPayment[]> {
  const created = await sandboxControl<{ payments: BenchPayment[] }>(
    sandboxUrl,
    'POST',
    'payments',
    Array.from({ length: total }, (_, i) => ({
      merchant_uid: `${prefix}-${i}`,
      amount: 1000,
      ...(options.paidAmount === undefined ? {} : { paid_amount: options.paidAmount }),
      status: 'paid',
      webhook: false,
    })),
  );
  return created.payments;
}

/** The orders (1,000 KRW each) the merchant registered before its buyers paid, as the orders API records them. */
export async function registerOrders(db: Db, payments: BenchPayment[], storeId = 1): Promise<void> {
  const at = new Date().toISOString();
  const rows = payments.map((p) =>
    newPendingOrder({
      store_id: storeId,
      merchant_uid: p.merchant_uid,
      expected_amount: 1000,
      currency: 'KRW',
      name: null,
      source: 'api',
      at,
    }),
  );
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('order')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** Sends `total` webhooks (cycling through `payments`) to the store's notification URL. */
export function sendWebhooks(options: {
  appUrl: string;
  storeSlug: string;
  payments: BenchPayment[];
  total: number;
  concurrency: number;
}): Promise<LoadResult> {
  const { payments } = options;
  return runLoad({
    url: `${options.appUrl}/webhooks/iamport/${options.storeSlug}`,
    method: 'POST',
    total: options.total,
    concurrency: options.concurrency,
    headers: { 'content-type': 'application/json' },
    body: (i) => {
      const p = payments[i % payments.length]!;
      return JSON.stringify({ imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, status: 'paid' });
    },
  });
}

/** Waits (bounded, 5 minutes) until no webhook job is queued or running; answers the seconds it took. */
export async function drainVerification(db: Db): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < 6000; i += 1) {
    const row = await db
      .selectFrom('webhook_job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ['queued', 'running'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return (performance.now() - started) / 1000;
}
