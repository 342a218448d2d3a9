import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getOverview, refreshOverview, resolveRange } from '~/monitor/dashboard/overview.server';
import type { Store } from '~/monitor/stores/stores.server';
import { rebuildOverviewRollup } from '../../../../db/overview-rollup';
import type { Db } from '../../../../db/connection';
import { createMonitorHarness, type MonitorHarness } from '../../../helpers/monitor';
import type { AttentionReason, FlagKind, OrderStatus, VerificationOutcome } from '~/monitor/status';

/**
 * The overview's aggregates on known data: counts by status, day and hour buckets in KST, the
 * webhook delay histogram, flag kinds, outcomes, the attention backlog, and the incremental
 * refresh agreeing with a full rebuild. The clock stands at 2026-11-24 18:00 KST (09:00 UTC).
 */

type OrderSeed = {
  store: Store;
  uid: string;
  created: string;
  status: OrderStatus;
  amount: number;
  currency?: string;
  paidAt?: string | null;
  paidAmount?: number | null;
};

async function addOrder(db: Db, o: OrderSeed): Promise<number> {
  const row = await db
    .insertInto('order')
    .values({
      store_id: o.store.id,
      merchant_uid: o.uid,
      expected_amount: o.amount,
      currency: o.currency ?? 'KRW',
      name: 'item',
      source: 'api',
      status: o.status,
      imp_uid: `imp_${o.uid}`,
      gateway_status: null,
      paid_amount: o.paidAmount ?? (o.paidAt ? o.amount : null),
      cancel_amount: null,
      pay_method: 'card',
      pg_provider: 'kcp',
      buyer_name: null,
      vbank_due_at: null,
      prepared_at: null,
      created_at: o.created,
      updated_at: o.created,
      paid_at: o.paidAt ?? null,
      last_checked_at: null,
      next_check_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function addWebhook(
  db: Db,
  store: Store,
  uid: string,
  at: string,
  options: { status?: string; duplicateOf?: number | null; answer?: number } = {},
): Promise<number> {
  const row = await db
    .insertInto('webhook_delivery')
    .values({
      store_slug: store.slug,
      store_id: store.id,
      order_id: null,
      received_at: at,
      content_type: 'application/json',
      headers_json: '[]',
      body_text: '{}',
      body_base64: null,
      body_bytes: 2,
      source_ip: '52.78.100.19',
      ip_listed: 1,
      answer_status: options.answer ?? 200,
      parse_error: null,
      imp_uid: `imp_${uid}`,
      merchant_uid: uid,
      status: options.status ?? 'paid',
      cancellation_id: null,
      duplicate_of: options.duplicateOf ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function addRedirect(db: Db, store: Store | null, uid: string, at: string, flagKind: FlagKind): Promise<void> {
  await db
    .insertInto('redirect_hit')
    .values({
      store_slug: store?.slug ?? 'nope',
      store_id: store?.id ?? null,
      order_id: null,
      received_at: at,
      query_string: `merchant_uid=${uid}`,
      query_truncated: 0,
      ip: '203.0.113.9',
      user_agent: null,
      parse_error: null,
      imp_uid: null,
      merchant_uid: uid,
      flag_kind: flagKind,
      flag_value: null,
      error_code: null,
      error_msg: null,
    })
    .execute();
}

async function addVerification(
  db: Db,
  orderId: number,
  at: string,
  outcome: Extract<VerificationOutcome, OrderStatus> | 'unverified',
): Promise<void> {
  await db
    .insertInto('verification')
    .values({
      order_id: orderId,
      gateway_check_id: null,
      redirect_hit_id: null,
      webhook_delivery_id: null,
      trigger: 'webhook',
      decided_at: at,
      outcome,
      status_before: 'pending',
      status_after: outcome === 'unverified' ? 'pending' : outcome,
      gateway_status: null,
      expected_amount: null,
      paid_amount: null,
      currency: null,
      reasons_opened: '[]',
      reasons_resolved: '[]',
    })
    .execute();
}

async function addReason(
  db: Db,
  orderId: number,
  reason: AttentionReason,
  opened: string,
  resolved: string | null = null,
): Promise<void> {
  await db
    .insertInto('attention_reason')
    .values({
      order_id: orderId,
      reason,
      opened_at: opened,
      detail: null,
      resolved_at: resolved,
      resolved_by: resolved ? 'gateway' : null,
      resolution_note: null,
    })
    .execute();
}

async function rollupRows(db: Db) {
  const rows = await sql<
    Record<string, unknown>
  >`select grain, metric, bucket, store_id, dim, currency, n, amount from overview_rollup order by grain, metric, bucket, store_id, dim, currency`.execute(
    db,
  );
  return rows.rows.map((r) => ({ ...r, n: Number(r.n), amount: Number(r.amount) }));
}

describe('overview aggregates', () => {
  let h: MonitorHarness;
  let a: Store;
  let b: Store;
  const ids: Record<string, number> = {};

  beforeEach(async () => {
    h = await createMonitorHarness();
    a = (await h.addStore({ slug: 'alpha', name: 'Alpha' })).store;
    b = (await h.addStore({ slug: 'beta', name: 'Beta' })).store;
    const db = h.t.db;
    // o1: 11-24 09:30 KST, paid, webhook 3 s after payment (plus a duplicate and a refused one).
    ids.o1 = await addOrder(db, {
      store: a,
      uid: 'o1',
      created: '2026-11-24T00:30:00.000Z',
      status: 'paid',
      amount: 10_000,
      paidAt: '2026-11-24T00:31:00.000Z',
    });
    const first = await addWebhook(db, a, 'o1', '2026-11-24T00:31:03.000Z');
    await addWebhook(db, a, 'o1', '2026-11-24T00:41:00.000Z', { duplicateOf: first });
    await addWebhook(db, a, 'o1', '2026-11-24T00:42:00.000Z', { answer: 400 });
    await addRedirect(db, a, 'o1', '2026-11-24T00:31:01.000Z', 'imp_success');
    await addVerification(db, ids.o1, '2026-11-24T00:31:05.000Z', 'paid');
    // o2: 11-23 23:59 KST (the last minute of the 23rd), failed.
    ids.o2 = await addOrder(db, {
      store: a,
      uid: 'o2',
      created: '2026-11-23T14:59:00.000Z',
      status: 'failed',
      amount: 5_000,
    });
    await addRedirect(db, a, 'o2', '2026-11-23T14:59:30.000Z', 'success');
    await addVerification(db, ids.o2, '2026-11-23T14:59:31.000Z', 'failed');
    // o3: 11-24 00:00 KST (the first minute of the 24th), paid, no webhook at all, reason open.
    ids.o3 = await addOrder(db, {
      store: a,
      uid: 'o3',
      created: '2026-11-23T15:00:00.000Z',
      status: 'paid',
      amount: 20_000,
      paidAt: '2026-11-23T15:01:00.000Z',
    });
    await addRedirect(db, a, 'o3', '2026-11-23T15:01:10.000Z', 'none');
    await addVerification(db, ids.o3, '2026-11-23T15:01:11.000Z', 'paid');
    await addReason(db, ids.o3, 'redirect_without_webhook', '2026-11-23T15:20:00.000Z');
    // o4: 11-20, pending; stale_pending opened 11-20 13:00 KST, resolved 11-22 10:00 KST.
    ids.o4 = await addOrder(db, {
      store: a,
      uid: 'o4',
      created: '2026-11-20T03:00:00.000Z',
      status: 'pending',
      amount: 7_000,
    });
    await addVerification(db, ids.o4, '2026-11-20T04:00:00.000Z', 'unverified');
    await addReason(db, ids.o4, 'stale_pending', '2026-11-20T04:00:00.000Z', '2026-11-22T01:00:00.000Z');
    // A webhook for o4 that says paid: no delay to count while o4 has no paid_at.
    await addWebhook(db, a, 'o4', '2026-11-20T03:05:00.000Z');
    // o5: store beta, USD, paid; webhook 10 minutes after payment.
    ids.o5 = await addOrder(db, {
      store: b,
      uid: 'o5',
      created: '2026-11-24T01:00:00.000Z',
      status: 'paid',
      amount: 1_500,
      currency: 'USD',
      paidAt: '2026-11-24T01:00:00.000Z',
    });
    await addWebhook(db, b, 'o5', '2026-11-24T01:10:00.000Z');
    await addVerification(db, ids.o5, '2026-11-24T01:10:01.000Z', 'paid');
    // o6: long before the default range, with a reason still open (the backlog carried in).
    ids.o6 = await addOrder(db, {
      store: b,
      uid: 'o6',
      created: '2026-10-01T00:00:00.000Z',
      status: 'mismatch',
      amount: 3_000,
      paidAt: '2026-10-01T00:01:00.000Z',
      paidAmount: 300,
    });
    await addReason(db, ids.o6, 'amount_mismatch', '2026-10-01T00:02:00.000Z');
    // A redirect for an unknown store counts under "every store" only.
    await addRedirect(db, null, 'zz', '2026-11-24T02:00:00.000Z', 'none');
  });
  afterEach(() => h.close());

  it('resolves the range in KST: the last 30 days by default, hours for short ranges, bad input ignored', () => {
    const now = new Date('2026-11-24T16:00:00.000Z'); // 11-25 01:00 KST
    expect(resolveRange({}, now)).toMatchObject({
      from: '2026-10-27',
      to: '2026-11-25',
      days: 30,
      grain: 'day',
      today: '2026-11-25',
      invalid: false,
    });
    expect(resolveRange({ from: '2026-11-25', to: '2026-11-23' }, now)).toMatchObject({
      from: '2026-11-23',
      to: '2026-11-25',
      days: 3,
      grain: 'hour',
    });
    expect(resolveRange({ from: '2026-02-30' }, now)).toMatchObject({ from: '2026-10-27', invalid: true });
    expect(resolveRange({ from: '2020-01-01', to: '2026-01-01' }, now)).toMatchObject({ days: 30, invalid: true });
    expect(resolveRange({}, now).presets.find((p) => p.days === 7)).toEqual({
      days: 7,
      from: '2026-11-19',
      to: '2026-11-25',
    });
  });

  it('counts the default range by status and currency, per KST day', async () => {
    const o = await getOverview(h.ctx, {});
    expect(o.range).toMatchObject({ from: '2026-10-26', to: '2026-11-24', grain: 'day' });
    expect(o.empty).toBeNull();
    expect(o.totals.orders).toBe(5);
    expect(Object.fromEntries(o.totals.byStatus.filter((s) => s.orders > 0).map((s) => [s.status, s.orders]))).toEqual({
      paid: 3,
      failed: 1,
      pending: 1,
    });
    expect(o.totals.amounts).toEqual([
      { currency: 'KRW', amount: 42_000, paid: 30_000 },
      { currency: 'USD', amount: 1_500, paid: 1_500 },
    ]);
    expect(o.currency).toBe('KRW');
    expect(o.orders).toHaveLength(30);
    const nonZero = o.orders.filter((p) => Object.entries(p).some(([k, v]) => k !== 'bucket' && v !== 0));
    expect(nonZero).toEqual([
      expect.objectContaining({ bucket: '2026-11-20', pending: 1 }),
      expect.objectContaining({ bucket: '2026-11-23', failed: 1, paid: 0 }),
      expect.objectContaining({ bucket: '2026-11-24', paid: 3, failed: 0 }),
    ]);
    // The amount chart is in KRW only: the USD order is not added to it.
    expect(o.amounts.find((p) => p.bucket === '2026-11-24')).toMatchObject({ paid: 30_000 });
  });

  it('counts evidence: verification outcomes, webhook delays, paid orders without a webhook, flag kinds', async () => {
    const o = await getOverview(h.ctx, {});
    expect(Object.fromEntries(o.verification.filter((v) => v.count).map((v) => [v.outcome, v.count]))).toEqual({
      paid: 3,
      failed: 1,
      unverified: 1,
    });
    // Duplicates and refused deliveries are not arrivals.
    expect(Object.fromEntries(o.webhookDelay.filter((d) => d.count).map((d) => [d.bucket, d.count]))).toEqual({
      s5: 1,
      m30: 1,
    });
    expect(o.webhookDelay.map((d) => d.bucket)).toEqual([
      'early',
      's5',
      's30',
      'm1',
      'm5',
      'm30',
      'h1',
      'h24',
      'later',
    ]);
    expect(o.paidWithoutWebhook).toBe(1);
    expect(o.redirectFlags).toEqual([
      { kind: 'imp_success', count: 1 },
      { kind: 'success', count: 1 },
      { kind: 'none', count: 2 },
    ]);
  });

  it('tracks the attention backlog per day from opened/resolved times, carrying in what opened before the range', async () => {
    const o = await getOverview(h.ctx, {});
    const at = (d: string) => o.attention.backlog.find((p) => p.bucket === d);
    expect(at('2026-10-26')).toEqual({ bucket: '2026-10-26', open: 1, opened: 0, resolved: 0 });
    expect(at('2026-11-20')).toEqual({ bucket: '2026-11-20', open: 2, opened: 1, resolved: 0 });
    expect(at('2026-11-21')?.open).toBe(2);
    expect(at('2026-11-22')).toEqual({ bucket: '2026-11-22', open: 1, opened: 0, resolved: 1 });
    expect(at('2026-11-24')).toEqual({ bucket: '2026-11-24', open: 2, opened: 1, resolved: 0 });
    expect(o.attention.open).toEqual([
      { reason: 'amount_mismatch', count: 1, oldest: '2026-10-01T00:02:00.000Z' },
      { reason: 'redirect_without_webhook', count: 1, oldest: '2026-11-23T15:20:00.000Z' },
    ]);
  });

  it('narrows to one store, and ignores an unknown store', async () => {
    const beta = await getOverview(h.ctx, { store: 'beta' });
    expect(beta.store).toBe('beta');
    expect(beta.totals.orders).toBe(1);
    expect(beta.currency).toBe('USD');
    expect(beta.redirectFlags.every((f) => f.count === 0)).toBe(true);
    expect(beta.attention.open).toEqual([{ reason: 'amount_mismatch', count: 1, oldest: '2026-10-01T00:02:00.000Z' }]);
    expect(beta.attention.backlog[0]?.open).toBe(1);

    const unknown = await getOverview(h.ctx, { store: 'nope' });
    expect(unknown).toMatchObject({ store: null, storeUnknown: true });
    expect(unknown.totals.orders).toBe(5);
  });

  it('draws a short range per KST hour', async () => {
    const o = await getOverview(h.ctx, { from: '2026-11-24', to: '2026-11-24' });
    expect(o.range.grain).toBe('hour');
    expect(o.orders).toHaveLength(24);
    expect(o.orders[0]?.bucket).toBe('2026-11-24T00');
    const busy = o.orders.filter((p) => p.paid > 0).map((p) => [p.bucket, p.paid]);
    expect(busy).toEqual([
      ['2026-11-24T00', 1],
      ['2026-11-24T09', 1],
      ['2026-11-24T10', 1],
    ]);
    expect(o.totals.orders).toBe(3);
    expect(o.attention.backlog.find((p) => p.bucket === '2026-11-24T00')).toMatchObject({ opened: 1, open: 2 });
  });

  it('refreshes incrementally: a late status change and new evidence show after the refresh interval, as a full rebuild would', async () => {
    await getOverview(h.ctx, {});
    // Older orders turn out paid (o4's webhook came days ago); a new order and its webhook arrive now.
    h.clock.advance(5_000);
    const now = h.clock.now().toISOString();
    await h.t.db
      .updateTable('order')
      .set({ status: 'paid', paid_at: '2026-11-23T14:59:40.000Z', paid_amount: 5_000, updated_at: now })
      .where('id', '=', ids.o2!)
      .execute();
    await h.t.db
      .updateTable('order')
      .set({ status: 'paid', paid_at: '2026-11-20T03:04:00.000Z', paid_amount: 7_000, updated_at: now })
      .where('id', '=', ids.o4!)
      .execute();
    await addOrder(h.t.db, { store: b, uid: 'o7', created: now, status: 'paid', amount: 2_000, paidAt: now });
    await addWebhook(h.t.db, b, 'o7', now);

    // Within the refresh interval the page shows the figures it had.
    const cached = await getOverview(h.ctx, {});
    expect(cached.totals.byStatus.find((s) => s.status === 'failed')?.orders).toBe(1);

    h.clock.advance(15_000);
    const fresh = await getOverview(h.ctx, {});
    expect(fresh.asOf).toBe(h.clock.now().toISOString());
    expect(
      Object.fromEntries(fresh.totals.byStatus.filter((s) => s.orders > 0).map((s) => [s.status, s.orders])),
    ).toEqual({ paid: 6 });
    expect(fresh.orders.find((p) => p.bucket === '2026-11-23')).toMatchObject({ failed: 0, paid: 1 });
    expect(fresh.orders.find((p) => p.bucket === '2026-11-20')).toMatchObject({ pending: 0, paid: 1 });
    expect(Object.fromEntries(fresh.webhookDelay.filter((d) => d.count).map((d) => [d.bucket, d.count]))).toEqual({
      s5: 2,
      m5: 1,
      m30: 1,
    });
    expect(fresh.paidWithoutWebhook).toBe(2);

    const incremental = await rollupRows(h.t.db);
    await rebuildOverviewRollup(
      { db: h.t.db, dialect: h.t.dialect, offsetMinutes: 540, paidStatus: 'paid' },
      h.clock.now(),
    );
    expect(await rollupRows(h.t.db)).toEqual(incremental);
  });

  it('explains an empty database: no stores, then no orders', async () => {
    const empty = await createMonitorHarness();
    try {
      expect((await getOverview(empty.ctx, {})).empty).toBe('no_stores');
      await empty.addStore();
      const o = await getOverview(empty.ctx, {});
      expect(o.empty).toBe('no_orders');
      expect(o.totals.orders).toBe(0);
      expect(o.orders.every((p) => p.paid === 0)).toBe(true);
      expect((await refreshOverview(empty.ctx)).kind).toBe('incremental');
    } finally {
      await empty.close();
    }
  });
});

describe('overview route', () => {
  it('answers a signed-in viewer with the overview for the URL’s range and store, and whether stores can be added', async () => {
    const { createAuthHarness, callRoute, makeRequest } = await import('../../../helpers/auth');
    const overviewRoute = await import('~/routes/_dash._index');
    const h = await createAuthHarness();
    try {
      const viewer = await h.addUser('viewer@example.com', 'viewer');
      const { cookie } = await h.sessionFor(viewer);
      const request = makeRequest('/?from=2026-11-20&to=2026-11-24&store=nope', { cookie });
      const response = await callRoute(overviewRoute.loader, request, {}, h.context(request));
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        overview: { range: { from: string; to: string; grain: string }; storeUnknown: boolean; empty: string | null };
        canManageStores: boolean;
        refreshSeconds: number;
      };
      expect(body).toMatchObject({
        canManageStores: false,
        refreshSeconds: 15,
        overview: {
          range: { from: '2026-11-20', to: '2026-11-24', grain: 'day' },
          storeUnknown: true,
          empty: 'no_stores',
        },
      });
    } finally {
      await h.close();
    }
  });
});
