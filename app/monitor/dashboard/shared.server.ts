import { z } from 'zod';
import type { Db } from '../../../db/connection';
import { openReasonsOfOrders, type OrderLogRow } from '../../../db/payment-log';
import { AppError } from '../../errors';
import { orderAmounts } from '../amounts';
import type { AttentionReason, OrderStatus } from '../status';
import { listAllStores, type Store } from '../stores/stores.server';

/**
 * What the dashboard's presenters share: their dependencies, the URL-parameter helpers, the store
 * reference every row carries and the order row the log, the CSV and the order page all show.
 */

export type ReadDeps = { db: Db };

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
/** A URL parameter that may be absent or blank (a form sends '' for an unset field). */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

/** The first problem of a failed parse as a 400 naming the parameter (`status must be one of …`). */
export function badParam(error: z.ZodError): AppError {
  const issue = error.issues[0]!;
  const param = String(issue.path[0] ?? 'query');
  return new AppError('bad_request', `${param} ${issue.message}`, { param });
}

/** The store a `store` parameter names; a 400 when there is none. */
export function storeBySlug(stores: Store[], slug: string): Store {
  const store = stores.find((s) => s.slug === slug);
  if (!store) throw new AppError('bad_request', `store ${JSON.stringify(slug)} does not exist`, { param: 'store' });
  return store;
}

export type StoreRef = { id: number; slug: string; name: string };

export function storeRef(stores: Map<number, Store>, id: number): StoreRef {
  const store = stores.get(id);
  return { id, slug: store?.slug ?? `#${id}`, name: store?.name ?? `#${id}` };
}

export function storeRefs(stores: Store[]): StoreRef[] {
  return stores.map((s) => ({ id: s.id, slug: s.slug, name: s.name }));
}

export async function storeMap(deps: ReadDeps, stores?: Store[]): Promise<Map<number, Store>> {
  return new Map((stores ?? (await listAllStores(deps))).map((s) => [s.id, s]));
}

/** One order as the log, the CSV and the order page show it. */
export type OrderLogItem = {
  id: number;
  store: StoreRef;
  merchantUid: string;
  impUid: string | null;
  name: string | null;
  status: OrderStatus;
  expectedAmount: number | null;
  /**
   * Money taken at the gateway, and refunded of it (app/monitor/amounts.ts): null for a failed,
   * abandoned, pending or unpaid-vbank order, whatever amount the gateway's record asked for.
   */
  paidAmount: number | null;
  cancelAmount: number | null;
  /** Paid minus refunded; null when nothing was paid. */
  netAmount: number | null;
  /** What a cancel at the gateway can still refund (0 when nothing). */
  refundable: number;
  /** An issued virtual account's amount to deposit; null otherwise. */
  awaitingDeposit: number | null;
  /** The amount on the gateway's record, paid or not (the list's amount sort uses it). */
  gatewayAmount: number | null;
  currency: string;
  payMethod: string | null;
  pgProvider: string | null;
  buyerName: string | null;
  createdAt: string;
  updatedAt: string;
  paidAt: string | null;
  nextCheckAt: string | null;
  checkAttempts: number;
  openReasons: AttentionReason[];
};

function amountsOf(r: OrderLogRow) {
  const a = orderAmounts({
    status: r.status,
    paidAmount: r.paid_amount,
    cancelAmount: r.cancel_amount,
    expectedAmount: r.expected_amount,
  });
  return {
    paidAmount: a.paid,
    cancelAmount: a.refunded,
    netAmount: a.net,
    refundable: a.refundable,
    awaitingDeposit: a.awaitingDeposit,
  };
}

/** Order rows with their open reasons (one query for the whole page). */
export async function toOrderItems(
  deps: ReadDeps,
  rows: OrderLogRow[],
  stores: Map<number, Store>,
): Promise<OrderLogItem[]> {
  const reasons = await openReasonsOfOrders(
    deps.db,
    rows.filter((r) => r.open_reason_count > 0).map((r) => r.id),
  );
  const byOrder = new Map<number, AttentionReason[]>();
  for (const r of reasons) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r.reason]);
  return rows.map((r) => ({
    id: r.id,
    store: storeRef(stores, r.store_id),
    merchantUid: r.merchant_uid,
    impUid: r.imp_uid,
    name: r.name,
    status: r.status,
    expectedAmount: r.expected_amount,
    ...amountsOf(r),
    gatewayAmount: r.paid_amount,
    currency: r.currency,
    payMethod: r.pay_method,
    pgProvider: r.pg_provider,
    buyerName: r.buyer_name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    paidAt: r.paid_at,
    nextCheckAt: r.next_check_at,
    checkAttempts: r.check_attempts,
    openReasons: byOrder.get(r.id) ?? [],
  }));
}

/** Pretty JSON for a before/after snapshot (rendered as text, so React escapes it). */
export function pretty(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value, null, 2);
}
