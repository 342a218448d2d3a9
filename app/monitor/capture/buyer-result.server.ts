import { findOrder } from '../../../db/orders';
import type { OrderStatus } from '../status';
import { getStore } from '../stores/stores.server';
import type { MonitorDeps } from '../deps';

export type BuyerResult = { status: OrderStatus | 'unknown'; merchantUid: string | null };

/** What the buyer may see about their own order: our verified status, never the query's claim. */
export async function buyerResult(
  deps: Pick<MonitorDeps, 'db'>,
  storeSlug: string,
  merchantUid: string,
): Promise<BuyerResult> {
  const store = await getStore(deps, storeSlug);
  const order = store && merchantUid ? await findOrder(deps.db, store.id, merchantUid) : undefined;
  if (!order) return { status: 'unknown', merchantUid: null };
  return { status: order.status, merchantUid: order.merchant_uid };
}
