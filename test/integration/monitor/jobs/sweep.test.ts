import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOrder } from '~/monitor/capture/orders.server';
import { getRun, listRuns } from '~/monitor/dashboard/runs.server';
import { runSweep } from '~/monitor/jobs/sweep.server';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import { processWebhookBatch } from '~/monitor/capture/webhook-worker.server';
import { listRunItemsForOrder } from '../../../../db/runs';
import { createReconcileHarness, orderOf, type ReconcileHarness } from '../../../helpers/reconcile';
import { webhookRequest } from '../../../helpers/factories';
import { openReasonNames } from '../../../helpers/monitor';

/** The reverse sweep against the sandbox's status lists, over HTTP with the real client. */
describe('sweep: payments the store never registered or never saw', () => {
  let h: ReconcileHarness;
  const HOUR = 3_600_000;
  let t0: Date;
  beforeAll(async () => {
    h = await createReconcileHarness();
    t0 = h.clock.now();
    const hourAgo = Math.floor(t0.getTime() / 1000) - 3600;
    const made = await h.sb.createPayments(h.merchant, [
      { merchant_uid: 'never-registered', amount: 7000, paid_at: hourAgo, started_at: hourAgo },
      { merchant_uid: 'o-lost', amount: 1000, paid_at: hourAgo, started_at: hourAgo },
      { merchant_uid: 'o-known', amount: 1000, paid_at: hourAgo, started_at: hourAgo },
      { merchant_uid: 'o-abandoned', amount: 1000, status: 'ready', pay_method: 'card', started_at: hourAgo },
    ]);
    for (const uid of ['o-lost', 'o-known', 'o-abandoned'])
      await registerOrder(h.ctx, h.store, { merchant_uid: uid, amount: 1000 });
    const known = made.find((p) => p.merchant_uid === 'o-known')!;
    await captureWebhook(
      h.ctx,
      webhookRequest(h.store.slug, { imp_uid: known.imp_uid, merchant_uid: 'o-known', status: 'paid' }),
    );
    await processWebhookBatch(h.ctx);
  });
  afterAll(() => h.closeAll());

  it('opens orphan_payment for an unregistered payment (creating the order) and for one we had as pending', async () => {
    const run = await runSweep(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ kind: 'sweep', status: 'ok', errors: 0 });
    expect(run.stores[0]).toMatchObject({
      windowFrom: new Date(t0.getTime() - 24 * HOUR).toISOString(),
      windowTo: new Date(t0.getTime() - 600_000).toISOString(),
      reasonsOpened: 3,
    });
    expect(run).toMatchObject({ windowFrom: run.stores[0]!.windowFrom, windowTo: run.stores[0]!.windowTo });

    const created = await orderOf(h, h.store.id, 'never-registered');
    expect(created).toMatchObject({ source: 'evidence', status: 'paid', paid_amount: 7000, expected_amount: null });
    expect(await openReasonNames(h.t.db, created.id)).toEqual(['orphan_payment', 'unknown_order']);
    const lost = await orderOf(h, h.store.id, 'o-lost');
    expect(lost.status).toBe('paid');
    expect(await openReasonNames(h.t.db, lost.id)).toEqual(['orphan_payment']);
    // A person looks at these: the job does not re-query them.
    expect(lost.next_check_at).toBeNull();
    for (const uid of ['o-known', 'o-abandoned'])
      expect(await openReasonNames(h.t.db, (await orderOf(h, h.store.id, uid)).id)).toEqual([]);

    const items = (await getRun(h.ctx, run.runId))!.items;
    expect(items.map((i) => [i.merchantUid, i.statusBefore, i.statusAfter, i.reasonsOpened]).sort()).toEqual([
      ['never-registered', null, 'paid', ['unknown_order', 'orphan_payment']],
      ['o-lost', 'pending', 'paid', ['orphan_payment']],
    ]);
    const verification = await h.t.db
      .selectFrom('verification')
      .selectAll()
      .where('order_id', '=', lost.id)
      .executeTakeFirstOrThrow();
    expect(verification.trigger).toBe('sweep');
  });

  it('starts the next window where the last one ended (with an overlap) and flags nothing twice', async () => {
    h.clock.advance(HOUR);
    const run = await runSweep(h.deps(), { trigger: 'schedule' });
    expect(run.stores[0]).toMatchObject({
      windowFrom: new Date(t0.getTime() - 600_000 - 600_000).toISOString(),
      reasonsOpened: 0,
      examined: 0,
    });

    // An explicit window over the old payments: they agree now, nothing new is opened.
    const again = await runSweep(h.deps(), {
      trigger: 'cli',
      from: new Date(t0.getTime() - 2 * HOUR),
      to: new Date(t0.getTime()),
    });
    expect(again).toMatchObject({
      status: 'ok',
      windowFrom: new Date(t0.getTime() - 2 * HOUR).toISOString(),
      windowTo: t0.toISOString(),
    });
    expect(again.stores[0]).toMatchObject({ reasonsOpened: 0, examined: 4 });
    expect((await listRuns(h.ctx, { kind: 'sweep' })).runs.map((r) => r.runId)).toEqual([
      again.runId,
      run.runId,
      run.runId - 1,
    ]);
  });

  it('keeps the old window start when the listing fails, so the next sweep covers the gap', async () => {
    const before = await runSweep(h.deps(), { trigger: 'schedule' });
    await h.sb.setFaults(h.merchant, { status: 502 });
    h.clock.advance(HOUR);
    const failed = await runSweep(h.deps(), { trigger: 'cli' });
    expect(failed).toMatchObject({ status: 'failed', errors: 1 });
    expect(failed.stores[0]!.error).toMatch(/^gateway unavailable: retryable \(HTTP 502\)/);
    await h.sb.clearFaults(h.merchant);
    h.clock.advance(HOUR);
    const next = await runSweep(h.deps(), { trigger: 'cli' });
    expect(next.stores[0]!.windowFrom).toBe(
      new Date(new Date(before.stores[0]!.windowTo!).getTime() - 600_000).toISOString(),
    );
    expect(next.status).toBe('ok');
  });

  it('a dry run reports an orphan without creating its order or opening anything', async () => {
    h.clock.advance(HOUR);
    const paidAt = Math.floor(h.clock.now().getTime() / 1000) - 1800;
    await h.sb.createPayment(h.merchant, {
      merchant_uid: 'dry-orphan',
      amount: 3000,
      paid_at: paidAt,
      started_at: paidAt,
    });
    const run = await runSweep(h.deps(), { trigger: 'cli', dryRun: true });
    expect(run).toMatchObject({ status: 'ok', dryRun: true });
    expect((await getRun(h.ctx, run.runId))!.items).toEqual([
      expect.objectContaining({
        merchantUid: 'dry-orphan',
        orderId: null,
        statusBefore: null,
        statusAfter: 'paid',
        reasonsOpened: ['orphan_payment'],
      }),
    ]);
    expect(
      await h.t.db.selectFrom('order').select('id').where('merchant_uid', '=', 'dry-orphan').executeTakeFirst(),
    ).toBeUndefined();
    // The real sweep after it still finds it: a dry run does not move the window.
    const real = await runSweep(h.deps(), { trigger: 'cli' });
    expect(real.stores[0]!.reasonsOpened).toBe(2);
    const order = await orderOf(h, h.store.id, 'dry-orphan');
    expect((await listRunItemsForOrder(h.t.db, order.id)).map((i) => [i.kind, i.dry_run, i.outcome])).toEqual([
      ['sweep', 0, 'paid'],
    ]);
  });

  it('refuses a window that ends in the future or before it starts', async () => {
    await expect(
      runSweep(h.deps(), { trigger: 'cli', from: h.clock.now(), to: new Date(h.clock.now().getTime() - 1) }),
    ).rejects.toThrow('--from must be before --to');
    await expect(runSweep(h.deps(), { trigger: 'cli', to: new Date(h.clock.now().getTime() + HOUR) })).rejects.toThrow(
      '--to cannot be in the future',
    );
  });
});
