import { z } from 'zod';
import type { OrderRow } from '../../../db/monitor-schema';
import { findOrder, insertOrderIfAbsent, newPendingOrder, openReasonsOf, updateOrder } from '../../../db/orders';
import { AppError } from '../../errors';
import { recordGatewayCheck } from '../verify/gateway.server';
import type { AttentionReason, OrderStatus } from '../status';
import type { Store } from '../stores/stores.server';
import { toDbTime } from '../time';
import type { MonitorDeps } from '../deps';

export const registerOrderSchema = z.object({
  // Iamport's limit on merchant_uid is 40 characters (iamport-facts §3.7).
  merchant_uid: z
    .string()
    .min(1, 'is required')
    .max(40, 'must be at most 40 characters')
    // The gateway cannot be asked about a blank id, nor "." / ".." (they are not URL segments).
    .refine((v) => v.trim() !== '' && !/^\.{1,2}$/.test(v), 'must not be blank, "." or ".."'),
  amount: z
    .number('must be a number')
    .int('must be an integer in the currency minor unit')
    .positive('must be positive')
    .max(Number.MAX_SAFE_INTEGER),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO code')
    .default('KRW'),
  name: z.string().max(40, 'must be at most 40 characters').nullable().default(null),
  prepare: z.boolean().default(false),
});
export type RegisterOrderInput = z.input<typeof registerOrderSchema>;

export type OrderView = {
  merchant_uid: string;
  status: OrderStatus;
  expected_amount: number | null;
  paid_amount: number | null;
  cancel_amount: number | null;
  currency: string;
  name: string | null;
  imp_uid: string | null;
  prepared: boolean;
  attention: { reason: AttentionReason; since: string; detail: string | null }[];
  created_at: string;
  updated_at: string;
};

export type MerchantUrls = { m_redirect_url: string; notice_url: string };

/** The exact URLs a store pastes into `IMP.request_pay` and Iamport's console. */
export function merchantUrls(baseUrl: string, store: Pick<Store, 'slug'>): MerchantUrls {
  const base = baseUrl.replace(/\/$/, '');
  return {
    m_redirect_url: `${base}/payments/${encodeURIComponent(store.slug)}/complete`,
    notice_url: `${base}/webhooks/iamport/${encodeURIComponent(store.slug)}`,
  };
}

async function toView(deps: Pick<MonitorDeps, 'db'>, order: OrderRow): Promise<OrderView> {
  const reasons = await openReasonsOf(deps.db, order.id);
  return {
    merchant_uid: order.merchant_uid,
    status: order.status,
    expected_amount: order.expected_amount,
    paid_amount: order.paid_amount,
    cancel_amount: order.cancel_amount,
    currency: order.currency,
    name: order.name,
    imp_uid: order.imp_uid,
    prepared: order.prepared_at !== null,
    attention: reasons.map((r) => ({ reason: r.reason, since: r.opened_at, detail: r.detail })),
    created_at: order.created_at,
    updated_at: order.updated_at,
  };
}

/**
 * Registers what the merchant expects to be paid. Idempotent on merchant_uid: the same order
 * again answers the existing one (and retries a failed pre-registration); another amount or
 * currency is a conflict. With `prepare`, the amount is also registered with Iamport so its
 * SDK refuses a tampered amount before the payment window opens.
 */
export async function registerOrder(
  deps: MonitorDeps,
  store: Store,
  body: unknown,
): Promise<{ order: OrderView; created: boolean; prepareError: string | null }> {
  const parsed = registerOrderSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('bad_request', `${issue?.path.join('.') || 'body'} ${issue?.message ?? 'is invalid'}`);
  }
  const input = parsed.data;
  const at = toDbTime(deps.now());
  const { order, created } = await insertOrderIfAbsent(
    deps.db,
    newPendingOrder({
      store_id: store.id,
      merchant_uid: input.merchant_uid,
      expected_amount: input.amount,
      currency: input.currency,
      name: input.name,
      source: 'api',
      at,
    }),
  );
  if (!created && (order.expected_amount !== input.amount || order.currency !== input.currency)) {
    throw new AppError(
      'conflict',
      `order ${input.merchant_uid} is already registered with ${order.expected_amount ?? 'an unknown amount'} ${order.currency}`,
      {
        order: await toView(deps, order),
      },
    );
  }

  let current = order;
  let prepareError: string | null = null;
  if (input.prepare && order.prepared_at === null) {
    const client = deps.gateways.forStore(store);
    const result = await client.prepare({
      merchantUid: input.merchant_uid,
      amount: input.amount,
      currency: input.currency,
    });
    await recordGatewayCheck(deps, {
      store,
      orderId: order.id,
      trigger: 'register',
      operation: 'prepare',
      impUid: null,
      merchantUid: input.merchant_uid,
      result,
    });
    if (result.ok) current = await updateOrder(deps.db, order.id, { prepared_at: at, updated_at: at });
    else prepareError = result.error.message;
  }
  return { order: await toView(deps, current), created, prepareError };
}

export async function getOrderView(
  deps: Pick<MonitorDeps, 'db'>,
  store: Store,
  merchantUid: string,
): Promise<OrderView> {
  const order = await findOrder(deps.db, store.id, merchantUid);
  if (!order) throw new AppError('not_found', `no order ${merchantUid} in store ${store.slug}`);
  return toView(deps, order);
}
