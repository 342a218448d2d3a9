import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '~/errors';
import { buyerResult } from '~/monitor/capture/buyer-result.server';
import { registerOrder } from '~/monitor/capture/orders.server';
import { captureRedirect } from '~/monitor/capture/redirect.server';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import { runReconcile } from '~/monitor/jobs/reconcile.server';
import { sweepOwnership } from '~/monitor/stores/shared-merchant.server';
import { setStoreArchived } from '~/monitor/stores/store-admin.server';
import { authenticateStore, getStore } from '~/monitor/stores/stores.server';
import { openReasonNames } from '../../../helpers/monitor';
import { createReconcileHarness, orderOf, type ReconcileHarness } from '../../../helpers/reconcile';
import { webhookRequest } from '../../../helpers/factories';

/**
 * Archiving a store (decision 0155), on a real database with the sandbox as its gateway: the
 * public entry points answer 410 and keep the evidence, the jobs skip it, its data stays, and
 * unarchiving brings everything back; both changes are audited.
 */

const MINUTE = 60_000;

describe('an archived store', () => {
  let h: ReconcileHarness;
  let apiKey: string;
  const who = { actor: 'system' as const, ip: '203.0.113.9' };
  beforeAll(async () => {
    h = await createReconcileHarness();
    // The harness's store has no API key at hand: rotate through the domain is not needed, a second store is.
    const added = await h.addStore({
      impCode: h.merchant.impCode,
      impKey: h.merchant.impKey,
      impSecret: h.merchant.impSecret,
      apiBaseUrl: h.sb.url,
    });
    apiKey = added.apiKey;
    h.store = added.store;
  });
  afterAll(() => h.closeAll());

  it('answers 410 on every public entry point, keeps what arrives as evidence, and its jobs skip it', async () => {
    const p = await h.sb.createPayment(h.merchant, { merchant_uid: 'arch-1', amount: 1000 });
    await registerOrder(h.ctx, h.store, { merchant_uid: 'arch-1', amount: 1000 });
    // Left unverified while the gateway was down: due for the job in a minute.
    await h.sb.setFaults(h.merchant, { status: 503 });
    await captureRedirect(h.ctx, {
      storeSlug: h.store.slug,
      rawQuery: `imp_uid=${p.imp_uid}&merchant_uid=arch-1&imp_success=true`,
      ip: '203.0.113.7',
      userAgent: 'test',
    });
    await h.sb.clearFaults(h.merchant);
    expect(await openReasonNames(h.t.db, (await orderOf(h, h.store.id, 'arch-1')).id)).toEqual(['unverified']);

    const archived = await setStoreArchived(h.ctx, who, h.store.slug, true);
    expect(archived).toMatchObject({
      ok: true,
      store: { archivedAt: h.clock.now().toISOString(), archivedBy: 'system' },
    });
    expect(await setStoreArchived(h.ctx, who, h.store.slug, true)).toEqual({ ok: false, refusal: 'already_archived' });

    // The redirect: stored, answered 410 with the reason, nothing verified.
    const hitsBefore = await count('redirect_hit');
    const redirect = await captureRedirect(h.ctx, {
      storeSlug: h.store.slug,
      rawQuery: `imp_uid=${p.imp_uid}&merchant_uid=arch-1&imp_success=true`,
      ip: '203.0.113.7',
      userAgent: 'test',
    });
    expect(redirect).toEqual({ kind: 'gone', message: 'buyer.error.storeArchived' });
    expect(await count('redirect_hit')).toBe(hitsBefore + 1);

    // The webhook: stored with its 410 answer, no verification job.
    const jobsBefore = await count('webhook_job');
    const answer = await captureWebhook(
      { ...h.ctx, notifyWebhookQueued: () => {} },
      webhookRequest(h.store.slug, { imp_uid: p.imp_uid, merchant_uid: 'arch-1', status: 'paid' }),
    );
    expect(answer.status).toBe(410);
    expect(JSON.stringify(answer.body)).toContain(`store ${h.store.slug} is archived`);
    const delivery = await h.t.db
      .selectFrom('webhook_delivery')
      .select(['answer_status', 'store_id'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(delivery).toEqual({ answer_status: 410, store_id: h.store.id });
    expect(await count('webhook_job')).toBe(jobsBefore);

    // The buyer's result page and the merchant API.
    expect((await buyerResult(h.ctx, h.store.slug, 'arch-1')).status).toBe('archived');
    const refused = await authenticateStore(h.ctx, h.store.slug, `Bearer ${apiKey}`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'gone', status: 410 });

    // The re-query job skips it: the due order is not examined, nothing is asked of the gateway.
    h.clock.advance(5 * MINUTE);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'ok', examined: 0, gatewayCalls: 0 });
    const order = await orderOf(h, h.store.id, 'arch-1');
    expect(order.status).toBe('pending');
    expect(await openReasonNames(h.t.db, order.id)).toEqual(['unverified']);

    // Unarchived: the job settles it, the API takes orders again.
    expect(await setStoreArchived(h.ctx, who, h.store.slug, false)).toMatchObject({
      ok: true,
      store: { archivedAt: null, archivedBy: null },
    });
    expect(await setStoreArchived(h.ctx, who, h.store.slug, false)).toEqual({ ok: false, refusal: 'not_archived' });
    const again = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(again.examined).toBeGreaterThanOrEqual(1);
    expect((await orderOf(h, h.store.id, 'arch-1')).status).toBe('paid');
    await expect(authenticateStore(h.ctx, h.store.slug, `Bearer ${apiKey}`)).resolves.toMatchObject({
      slug: h.store.slug,
    });

    const audit = await h.t.db
      .selectFrom('audit_event')
      .select(['action', 'target_type', 'target_id', 'before_json', 'after_json'])
      .where('action', 'like', 'store.%archive')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.action, a.target_type, a.target_id])).toEqual([
      ['store.archive', 'store', h.store.slug],
      ['store.unarchive', 'store', h.store.slug],
    ]);
  });

  it('on a shared merchant code, the oldest active store claims unknown payments in the sweep', async () => {
    const first = (await getStore(h.ctx, 'store1'))!;
    const second = h.store;
    expect(first.impCode).toBe(second.impCode);
    expect((await sweepOwnership(h.ctx, first, [])).claimsUnknown).toBe(true);
    expect((await sweepOwnership(h.ctx, second, [])).claimsUnknown).toBe(false);
    await setStoreArchived(h.ctx, who, first.slug, true);
    expect((await sweepOwnership(h.ctx, second, [])).claimsUnknown).toBe(true);
    await setStoreArchived(h.ctx, who, first.slug, false);
  });

  async function count(table: 'redirect_hit' | 'webhook_job'): Promise<number> {
    const row = await h.t.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
});
