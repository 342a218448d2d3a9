import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import { processWebhookBatch } from '~/monitor/capture/webhook-worker.server';
import { testDialect } from '../../../helpers/db';
import { createReconcileHarness, seedOrders, type ReconcileHarness } from '../../../helpers/reconcile';
import { webhookRequest } from '../../../helpers/factories';

/**
 * The worker verifies a store's batch in lanes (transactions side by side; four on PostgreSQL by
 * default), every job of one order in one lane. Asked for three lanes here on both engines.
 */
describe(`webhook worker lanes (${testDialect})`, () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('a batch split over lanes verifies every order once per delivery and finishes every job', async () => {
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: 40 }, (_, i) => ({ merchant_uid: `lane-${i}`, amount: 1000 + i })),
    );
    const orders = await seedOrders(
      h,
      h.store,
      payments.map((p, i) => ({ merchantUid: p.merchant_uid, impUid: null, amount: 1000 + i, nextCheckAt: null })),
    );
    // Each payment twice: once as `ready`, once as `paid` (two originals for one order, one lane).
    for (const status of ['ready', 'paid'])
      for (const p of payments)
        await captureWebhook(
          h.ctx,
          webhookRequest(h.store.slug, { imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, status }),
        );
    let processed = 0;
    for (
      let n = await processWebhookBatch(h.ctx, { lanes: 3 });
      n > 0;
      n = await processWebhookBatch(h.ctx, { lanes: 3 })
    )
      processed += n;
    expect(processed).toBe(80);

    const jobs = await h.t.db.selectFrom('webhook_job').select('state').execute();
    expect(jobs.map((j) => j.state)).toEqual(Array(80).fill('done'));
    const after = await h.t.db
      .selectFrom('order')
      .select(['id', 'status', 'paid_amount', 'open_reason_count'])
      .orderBy('id')
      .execute();
    expect(after).toEqual(
      orders.map((o, i) => ({ id: o.id, status: 'paid', paid_amount: 1000 + i, open_reason_count: 0 })),
    );
    const verifications = await h.t.db
      .selectFrom('verification')
      .select(['order_id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('order_id')
      .execute();
    expect(verifications).toHaveLength(40);
    expect(new Set(verifications.map((v) => Number(v.n)))).toEqual(new Set([2]));
  });
});
