import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../../db/connection';
import {
  insertGatewayCheck,
  insertRedirectHit,
  insertVerification,
  insertWebhookDelivery,
} from '../../../../db/evidence';
import { insertOrderIfAbsent, newPendingOrder, openReason } from '../../../../db/orders';
import { recordAudit } from '~/auth/audit.server';
import { runPurge } from '~/monitor/jobs/purge.server';
import type { Store } from '~/monitor/stores/stores.server';
import type { OrderStatus } from '~/monitor/status';
import { createMonitorHarness, type MonitorHarness } from '../../../helpers/monitor';

const DAY = 86_400_000;

/**
 * Retention on a seeded database: what the purge empties, what it keeps, and that it touches
 * nothing else (every other row and column compared before and after).
 */
describe('retention purge', () => {
  let h: MonitorHarness;
  let shop: Store;
  let longKeep: Store;
  const ids: Record<string, { order: number; hit: number; delivery: number; check: number }> = {};
  let batchCheck: number;

  const seedOrder = async (
    store: Store,
    label: string,
    options: { status: OrderStatus; ageDays: number; openReason?: boolean },
  ) => {
    const at = new Date(h.clock.now().getTime() - options.ageDays * DAY).toISOString();
    const { order } = await insertOrderIfAbsent(
      h.t.db,
      newPendingOrder(
        {
          store_id: store.id,
          merchant_uid: label,
          expected_amount: 1000,
          currency: 'KRW',
          name: label,
          source: 'api',
          at,
        },
        { status: options.status, buyer_name: '홍길동', imp_uid: `imp_${label}` },
      ),
    );
    if (options.openReason) {
      await openReason(h.t.db, { order_id: order.id, reason: 'late_change', opened_at: at, detail: 'x' });
      await h.t.db.updateTable('order').set({ open_reason_count: 1 }).where('id', '=', order.id).execute();
    }
    const hit = await insertRedirectHit(h.t.db, {
      store_slug: store.slug,
      store_id: store.id,
      order_id: order.id,
      received_at: at,
      query_string: `imp_uid=imp_${label}&merchant_uid=${label}&imp_success=true`,
      query_truncated: 0,
      ip: '203.0.113.9',
      user_agent: 'agent',
      parse_error: null,
      imp_uid: `imp_${label}`,
      merchant_uid: label,
      flag_kind: 'imp_success',
      flag_value: 'true',
      error_code: null,
      error_msg: null,
    });
    const delivery = await insertWebhookDelivery(h.t.db, {
      store_slug: store.slug,
      store_id: store.id,
      order_id: order.id,
      received_at: at,
      content_type: 'application/json',
      headers_json: '[["x-forwarded-for","203.0.113.9"]]',
      body_text: `{"imp_uid":"imp_${label}","merchant_uid":"${label}","status":"paid"}`,
      body_base64: null,
      body_bytes: 60,
      source_ip: '52.78.100.19',
      ip_listed: 1,
      answer_status: 200,
      parse_error: null,
      imp_uid: `imp_${label}`,
      merchant_uid: label,
      status: 'paid',
      cancellation_id: null,
      duplicate_of: null,
    });
    const check = await insertGatewayCheck(h.t.db, {
      store_id: store.id,
      order_id: order.id,
      trigger: 'webhook',
      operation: 'getPayment',
      imp_uid: `imp_${label}`,
      merchant_uid: label,
      checked_at: at,
      ok: 1,
      http_status: 200,
      error_kind: null,
      error_code: null,
      error_message: null,
      latency_ms: 12,
      raw_json: `{"code":0,"response":{"buyer_name":"홍길동","buyer_tel":"010-1234-5678","merchant_uid":"${label}"}}`,
    });
    await insertVerification(h.t.db, {
      order_id: order.id,
      gateway_check_id: check.id,
      redirect_hit_id: hit.id,
      webhook_delivery_id: delivery.id,
      trigger: 'webhook',
      decided_at: at,
      outcome: 'paid',
      status_before: 'pending',
      status_after: options.status,
      gateway_status: 'paid',
      expected_amount: 1000,
      paid_amount: 1000,
      currency: 'KRW',
      reasons_opened: '[]',
      reasons_resolved: '[]',
    });
    ids[label] = { order: order.id, hit: hit.id, delivery: delivery.id, check: check.id };
  };

  const snapshot = async (db: Db) => {
    const strip = <T extends Record<string, unknown>>(rows: T[], drop: string[]) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
    return {
      order: await db.selectFrom('order').selectAll().orderBy('id').execute(),
      verification: await db.selectFrom('verification').selectAll().orderBy('id').execute(),
      attention_reason: await db.selectFrom('attention_reason').selectAll().orderBy('id').execute(),
      audit_event: await db.selectFrom('audit_event').selectAll().orderBy('id').execute(),
      store: await db.selectFrom('store').selectAll().orderBy('id').execute(),
      redirect_hit: strip(await db.selectFrom('redirect_hit').selectAll().orderBy('id').execute(), [
        'query_string',
        'purged_at',
      ]),
      webhook_delivery: strip(await db.selectFrom('webhook_delivery').selectAll().orderBy('id').execute(), [
        'body_text',
        'body_base64',
        'headers_json',
        'purged_at',
      ]),
      gateway_check: strip(await db.selectFrom('gateway_check').selectAll().orderBy('id').execute(), [
        'raw_json',
        'purged_at',
      ]),
    };
  };

  beforeAll(async () => {
    h = await createMonitorHarness();
    shop = (await h.addStore({ slug: 'shop', evidenceRetentionDays: 30 })).store;
    longKeep = (await h.addStore({ slug: 'keeper' })).store;
    await seedOrder(shop, 'old-paid-1', { status: 'paid', ageDays: 40 });
    await seedOrder(shop, 'old-paid-2', { status: 'paid', ageDays: 45 });
    await seedOrder(shop, 'old-failed', { status: 'failed', ageDays: 31 });
    await seedOrder(shop, 'old-pending', { status: 'pending', ageDays: 40 });
    await seedOrder(shop, 'old-paid-open', { status: 'paid', ageDays: 40, openReason: true });
    await seedOrder(shop, 'recent-paid', { status: 'paid', ageDays: 10 });
    await seedOrder(longKeep, 'keeper-old-paid', { status: 'paid', ageDays: 100 });
    // A batch check (no order_id) that a still-pending order's verification points at stays;
    // one that only settled orders point at goes.
    const batch = await insertGatewayCheck(h.t.db, {
      store_id: shop.id,
      order_id: null,
      trigger: 'schedule',
      operation: 'getPayments',
      imp_uid: null,
      merchant_uid: null,
      checked_at: new Date(h.clock.now().getTime() - 40 * DAY).toISOString(),
      ok: 1,
      http_status: 200,
      error_kind: null,
      error_code: null,
      error_message: null,
      latency_ms: 30,
      raw_json: '{"code":0,"response":[]}',
    });
    batchCheck = batch.id;
    await h.t.db
      .updateTable('verification')
      .set({ gateway_check_id: batch.id })
      .where('order_id', '=', ids['old-pending']!.order)
      .execute();
    await recordAudit(
      { db: h.t.db, now: h.clock.now },
      { actor: 'system', action: 'store.update', target: { type: 'store', id: 'shop' } },
    );
  });
  afterAll(() => h.close());

  it('empties raw evidence of settled orders past the window, in batches, and touches nothing else', async () => {
    const before = await snapshot(h.t.db);
    const summary = await runPurge({ ...h.ctx, holder: 'test' }, { trigger: 'cli', batchSize: 2 });
    expect(summary.status).toBe('ok');
    expect(summary.kind).toBe('purge');

    const purged = ['old-paid-1', 'old-paid-2', 'old-failed'];
    const kept = ['old-pending', 'old-paid-open', 'recent-paid', 'keeper-old-paid'];
    // 3 orders × (hit + delivery + own check), the batch check stays (a pending order points at it).
    expect(summary.examined).toBe(9);
    const hits = await h.t.db.selectFrom('redirect_hit').selectAll().execute();
    const deliveries = await h.t.db.selectFrom('webhook_delivery').selectAll().execute();
    const checks = await h.t.db.selectFrom('gateway_check').selectAll().execute();
    for (const label of purged) {
      const id = ids[label]!;
      expect(hits.find((r) => r.id === id.hit)).toMatchObject({
        query_string: '',
        purged_at: h.clock.now().toISOString(),
        merchant_uid: label,
        flag_value: 'true',
      });
      expect(deliveries.find((r) => r.id === id.delivery)).toMatchObject({
        body_text: '',
        body_base64: null,
        headers_json: '[]',
        status: 'paid',
        imp_uid: `imp_${label}`,
      });
      expect(checks.find((r) => r.id === id.check)).toMatchObject({ raw_json: null, ok: 1, http_status: 200 });
    }
    for (const label of kept) {
      const id = ids[label]!;
      expect(hits.find((r) => r.id === id.hit)).toMatchObject({ purged_at: null });
      expect(hits.find((r) => r.id === id.hit)!.query_string).toContain(label);
      expect(deliveries.find((r) => r.id === id.delivery)!.body_text).toContain(label);
      expect(checks.find((r) => r.id === id.check)!.raw_json).toContain(label);
    }
    expect(checks.find((r) => r.id === batchCheck)).toMatchObject({
      raw_json: '{"code":0,"response":[]}',
      purged_at: null,
    });

    // Orders, verifications, reasons, the audit trail, stores and every parsed column: unchanged.
    expect(await snapshot(h.t.db)).toEqual(before);

    // Once the pending order settles, the batch check goes too; a second run changes nothing else.
    await h.t.db.updateTable('order').set({ status: 'failed' }).where('id', '=', ids['old-pending']!.order).execute();
    const again = await runPurge({ ...h.ctx, holder: 'test' }, { trigger: 'cli', storeSlug: 'shop' });
    expect(again.examined).toBe(4);
    expect(
      (
        await h.t.db
          .selectFrom('gateway_check')
          .select('raw_json')
          .where('id', '=', batchCheck)
          .executeTakeFirstOrThrow()
      ).raw_json,
    ).toBeNull();
    const runs = await h.t.db
      .selectFrom('reconcile_run')
      .select(['kind', 'status'])
      .where('kind', '=', 'purge')
      .execute();
    expect(runs).toEqual([
      { kind: 'purge', status: 'ok' },
      { kind: 'purge', status: 'ok' },
    ]);
  });
});
