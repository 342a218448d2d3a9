import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOrder } from '~/monitor/capture/orders.server';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import { processWebhookBatch } from '~/monitor/capture/webhook-worker.server';
import { runSweep } from '~/monitor/jobs/sweep.server';
import { createStoreFromForm, updateStoreFromForm } from '~/monitor/stores/store-admin.server';
import type { Store } from '~/monitor/stores/stores.server';
import { createReconcileHarness, type ReconcileHarness } from '../../../helpers/reconcile';
import { webhookRequest } from '../../../helpers/factories';
import { openReasonNames } from '../../../helpers/monitor';

/**
 * Two brands on one Iamport merchant account: two stores with one merchant code. The sweep lists
 * the whole account, and the account has one notification URL; neither may turn the other
 * store's payments into orphans or unknown orders (issue 12, defect 3).
 */
describe('stores sharing one merchant code', () => {
  let h: ReconcileHarness;
  let brandB: Store;
  beforeAll(async () => {
    h = await createReconcileHarness();
    brandB = (
      await h.addStore({
        slug: 'brand-b',
        name: 'Brand B',
        impCode: h.merchant.impCode,
        impKey: h.merchant.impKey,
        impSecret: h.merchant.impSecret,
        apiBaseUrl: h.sb.url,
      })
    ).store;
  });
  afterAll(() => h.closeAll());

  const allOpenReasons = async () =>
    (
      await h.t.db
        .selectFrom('attention_reason')
        .innerJoin('order', 'order.id', 'attention_reason.order_id')
        .innerJoin('store', 'store.id', 'order.store_id')
        .select(['store.slug', 'order.merchant_uid', 'attention_reason.reason'])
        .where('attention_reason.resolved_at', 'is', null)
        .orderBy('order.merchant_uid')
        .orderBy('attention_reason.reason')
        .execute()
    ).map((r) => `${r.slug}:${r.merchant_uid}:${r.reason}`);

  it('the sweep opens orphans only for payments no store on the merchant code knows', async () => {
    const hourAgo = Math.floor(h.clock.now().getTime() / 1000) - 3600;
    await h.sb.createPayments(h.merchant, [
      { merchant_uid: 'a-1', amount: 1000, paid_at: hourAgo, started_at: hourAgo },
      { merchant_uid: 'b-1', amount: 2000, paid_at: hourAgo, started_at: hourAgo },
      { merchant_uid: 'b-2', amount: 3000, paid_at: hourAgo, started_at: hourAgo },
      { merchant_uid: 'nobody', amount: 4000, paid_at: hourAgo, started_at: hourAgo },
    ]);
    await registerOrder(h.ctx, h.store, { merchant_uid: 'a-1', amount: 1000 });
    await registerOrder(h.ctx, brandB, { merchant_uid: 'b-1', amount: 2000 });
    await registerOrder(h.ctx, brandB, { merchant_uid: 'b-2', amount: 3000 });

    const run = await runSweep(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'ok', errors: 0 });
    // Each store's own registered payments are settled at that store ("o-lost" style: pending → paid,
    // flagged as found by the sweep); the payment nobody registered is flagged once, at one store.
    const open = await allOpenReasons();
    expect(open.filter((r) => r.endsWith(':unknown_order'))).toEqual([`${h.store.slug}:nobody:unknown_order`]);
    expect(open.filter((r) => r.includes(':b-') && r.startsWith(`${h.store.slug}:`))).toEqual([]);
    const created = await h.t.db
      .selectFrom('order')
      .innerJoin('store', 'store.id', 'order.store_id')
      .select(['store.slug', 'order.merchant_uid'])
      .orderBy('order.merchant_uid')
      .execute();
    expect(created.map((o) => `${o.slug}:${o.merchant_uid}`)).toEqual([
      `${h.store.slug}:a-1`,
      'brand-b:b-1',
      'brand-b:b-2',
      `${h.store.slug}:nobody`,
    ]);

    // A second sweep over the same window adds nothing.
    const before = open.length;
    h.clock.advance(3_600_000);
    await runSweep(h.deps(), {
      trigger: 'cli',
      from: new Date(h.clock.now().getTime() - 3 * 3_600_000),
      to: h.clock.now(),
    });
    expect(await allOpenReasons()).toHaveLength(before);
  });

  it("a webhook that arrives at the other store's URL settles the order of the store that registered it", async () => {
    await registerOrder(h.ctx, brandB, { merchant_uid: 'b-webhook', amount: 5000 });
    const [paid] = await h.sb.createPayments(h.merchant, [{ merchant_uid: 'b-webhook', amount: 5000 }]);
    await captureWebhook(
      h.ctx,
      webhookRequest(h.store.slug, { imp_uid: paid!.imp_uid, merchant_uid: 'b-webhook', status: 'paid' }),
    );
    await processWebhookBatch(h.ctx);
    const orders = await h.t.db.selectFrom('order').selectAll().where('merchant_uid', '=', 'b-webhook').execute();
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ store_id: brandB.id, status: 'paid' });
    expect(await openReasonNames(h.t.db, orders[0]!.id)).toEqual([]);
  });

  it('the store form warns, naming the other store, when the merchant code or REST key is already used', async () => {
    const who = { actor: 'system' as const, ip: null };
    const form = new FormData();
    for (const [k, v] of Object.entries({
      slug: 'brand-c',
      name: 'Brand C',
      impCode: h.merchant.impCode,
      impKey: 'another-key',
      impSecret: 'another-secret',
      apiBaseUrl: h.sb.url,
    }))
      form.set(k, v);
    const created = await createStoreFromForm(h.ctx, who, form);
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.warnings).toEqual([
      {
        field: 'impCode',
        stores: [
          { slug: 'brand-b', name: 'Brand B' },
          { slug: h.store.slug, name: h.store.name },
        ],
      },
    ]);

    const edit = new FormData();
    for (const [k, v] of Object.entries({
      name: 'Brand C',
      impCode: 'imp99999999',
      impKey: h.merchant.impKey,
      apiBaseUrl: h.sb.url,
    }))
      edit.set(k, v);
    const updated = await updateStoreFromForm(h.ctx, who, 'brand-c', edit);
    expect(updated.ok && updated.warnings).toEqual([
      {
        field: 'impKey',
        stores: [
          { slug: 'brand-b', name: 'Brand B' },
          { slug: h.store.slug, name: h.store.name },
        ],
      },
    ]);
  });

  it('a merchant_uid prefix attributes payments nobody registered, in the sweep and from a webhook', async () => {
    const who = { actor: 'system' as const, ip: null };
    const edit = new FormData();
    for (const [k, v] of Object.entries({
      name: 'Brand B',
      impCode: h.merchant.impCode,
      impKey: h.merchant.impKey,
      apiBaseUrl: h.sb.url,
      merchantUidPrefix: 'bb-',
    }))
      edit.set(k, v);
    expect(await updateStoreFromForm(h.ctx, who, 'brand-b', edit)).toMatchObject({
      ok: true,
      changed: ['merchantUidPrefix'],
    });
    const bad = new FormData();
    for (const [k, v] of edit) bad.set(k, v);
    bad.set('merchantUidPrefix', 'has space');
    expect(await updateStoreFromForm(h.ctx, who, 'brand-b', bad)).toMatchObject({
      ok: false,
      errors: { merchantUidPrefix: 'invalid' },
    });

    const tenMinutesAgo = Math.floor(h.clock.now().getTime() / 1000) - 600;
    await h.sb.createPayments(h.merchant, [
      { merchant_uid: 'bb-unregistered', amount: 6000, paid_at: tenMinutesAgo, started_at: tenMinutesAgo },
      { merchant_uid: 'zz-unregistered', amount: 7000, paid_at: tenMinutesAgo, started_at: tenMinutesAgo },
    ]);
    await runSweep(h.deps(), {
      trigger: 'cli',
      from: new Date(h.clock.now().getTime() - 3_600_000),
      to: h.clock.now(),
    });
    const open = await allOpenReasons();
    expect(open).toContain('brand-b:bb-unregistered:unknown_order');
    expect(open).toContain(`${h.store.slug}:zz-unregistered:unknown_order`);
    expect(open.filter((r) => r.includes('bb-unregistered') && !r.startsWith('brand-b:'))).toEqual([]);

    // A webhook at the other store's URL for an unregistered uid with brand B's prefix lands at brand B.
    const [paid] = await h.sb.createPayments(h.merchant, [{ merchant_uid: 'bb-hook', amount: 5000 }]);
    await captureWebhook(
      h.ctx,
      webhookRequest(h.store.slug, { imp_uid: paid!.imp_uid, merchant_uid: 'bb-hook', status: 'paid' }),
    );
    await processWebhookBatch(h.ctx);
    const orders = await h.t.db.selectFrom('order').selectAll().where('merchant_uid', '=', 'bb-hook').execute();
    expect(orders.map((o) => o.store_id)).toEqual([brandB.id]);
  });
});
