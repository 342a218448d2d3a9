import type { OrderRow } from '../../db/monitor-schema';
import type { JobDeps } from '~/monitor/jobs/run-frame.server';
import type { AttentionReason, OrderStatus } from '~/monitor/status';
import type { Store } from '~/monitor/stores/stores.server';
import { startTestSandbox, type SandboxMerchant, type TestSandbox } from '../integration/iamport/sandbox-harness';
import { insertOpenReasons, insertOrders } from './factories';
import { createMonitorHarness, type Clock, type MonitorHarness } from './monitor';

/**
 * A monitor on a fresh SQLite file and the Iamport sandbox in-process on an ephemeral port, both
 * on one hand-moved clock, with a store whose gateway is a fresh sandbox merchant. Jobs get a
 * `sleep` that returns at once (retries are counted, never waited for).
 */
export type ReconcileHarness = MonitorHarness & {
  sb: TestSandbox;
  merchant: SandboxMerchant;
  store: Store;
  /** Delays the jobs asked to wait between retries. */
  slept: number[];
  deps: (holder?: string) => JobDeps;
  /** Another store on the same sandbox (its own merchant), or with broken credentials. */
  addSandboxStore: (options?: { badSecret?: boolean }) => Promise<{ store: Store; merchant: SandboxMerchant }>;
  closeAll: () => Promise<void>;
};

export async function createReconcileHarness(options: { clock?: Clock } = {}): Promise<ReconcileHarness> {
  const h = await createMonitorHarness({ clock: options.clock });
  const sb = await startTestSandbox(h.clock);
  const slept: number[] = [];
  const addSandboxStore = async (options: { badSecret?: boolean } = {}) => {
    const merchant = await sb.newMerchant();
    const { store } = await h.addStore({
      impCode: merchant.impCode,
      impKey: merchant.impKey,
      impSecret: options.badSecret ? 'not-the-secret' : merchant.impSecret,
      apiBaseUrl: sb.url,
    });
    return { store, merchant };
  };
  const { store, merchant } = await addSandboxStore();
  return {
    ...h,
    sb,
    merchant,
    store,
    slept,
    addSandboxStore,
    deps: (holder = 'test-process') => ({
      ...h.ctx,
      holder,
      sleep: async (ms) => {
        slept.push(ms);
      },
    }),
    closeAll: async () => {
      await sb.close();
      await h.close();
    },
  };
}

export type SeedOrder = {
  merchantUid: string;
  impUid: string | null;
  amount: number;
  status?: OrderStatus;
  reasons?: AttentionReason[];
  /** Default: now (due). */
  nextCheckAt?: Date | null;
  source?: 'api' | 'evidence';
};

/**
 * Ambiguous orders straight into the database, as verification would have left them after the
 * gateway failed (status pending, `unverified` open, a check due now), in bulk.
 */
export async function seedOrders(h: MonitorHarness, store: Store, orders: SeedOrder[]): Promise<OrderRow[]> {
  const at = h.clock.now().toISOString();
  const ids = await insertOrders(
    h.t.db,
    orders.map((o) => ({
      storeId: store.id,
      merchantUid: o.merchantUid,
      amount: o.amount,
      source: o.source ?? 'api',
      at,
      status: o.status ?? 'pending',
      imp_uid: o.impUid,
      next_check_at: o.nextCheckAt === undefined ? at : o.nextCheckAt === null ? null : o.nextCheckAt.toISOString(),
      open_reason_count: (o.reasons ?? ['unverified']).length,
    })),
  );
  await insertOpenReasons(
    h.t.db,
    ids.flatMap((orderId, j) =>
      (orders[j]!.reasons ?? ['unverified']).map((reason) => ({ orderId, reason, at, detail: 'seeded' })),
    ),
  );
  const rows: OrderRow[] = [];
  for (let i = 0; i < ids.length; i += 500)
    rows.push(
      ...(await h.t.db
        .selectFrom('order')
        .selectAll()
        .where('id', 'in', ids.slice(i, i + 500))
        .orderBy('id')
        .execute()),
    );
  return rows;
}

export async function orderOf(h: MonitorHarness, storeId: number, merchantUid: string): Promise<OrderRow> {
  return h.t.db
    .selectFrom('order')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('merchant_uid', '=', merchantUid)
    .executeTakeFirstOrThrow();
}
