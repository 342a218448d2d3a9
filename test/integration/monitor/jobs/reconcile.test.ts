import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createAppContext } from '~/context.server';
import { registerOrder } from '~/monitor/capture/orders.server';
import { runReconcile } from '~/monitor/jobs/reconcile.server';
import { getRun } from '~/monitor/dashboard/runs.server';
import { captureRedirect } from '~/monitor/capture/redirect.server';
import { DEFAULT_BACKOFF_SECONDS } from '~/monitor/verify/schedule';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import { processWebhookBatch } from '~/monitor/capture/webhook-worker.server';
import { createReconcileHarness, orderOf, seedOrders, type ReconcileHarness } from '../../../helpers/reconcile';
import { openReasonNames } from '../../../helpers/monitor';
import { webhookRequest } from '../../../helpers/factories';

/**
 * The re-query job against the sandbox over HTTP with the real client, on one hand-moved clock:
 * each test is one ops story, from the evidence the monitor got to what the job made of it.
 */

const MINUTE = 60_000;

async function redirect(h: ReconcileHarness, query: string) {
  return captureRedirect(h.ctx, { storeSlug: h.store.slug, rawQuery: query, ip: '203.0.113.7', userAgent: 'test' });
}

async function webhook(h: ReconcileHarness, body: Record<string, string>, process = true) {
  const answer = await captureWebhook(h.ctx, webhookRequest(h.store.slug, body));
  expect(answer.status).toBe(200);
  if (process) await processWebhookBatch(h.ctx);
}

describe('reconcile: a redirect left unverified while the gateway was down', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('is settled by the job once its check is due and the gateway answers', async () => {
    const p = await h.sb.createPayment(h.merchant, { merchant_uid: 'o-noflag', amount: 1000 });
    await registerOrder(h.ctx, h.store, { merchant_uid: 'o-noflag', amount: 1000 });
    await h.sb.setFaults(h.merchant, { status: 503 });
    expect((await redirect(h, `imp_uid=${p.imp_uid}&merchant_uid=o-noflag`)).kind).toBe('confirming');
    let order = await orderOf(h, h.store.id, 'o-noflag');
    expect(order).toMatchObject({
      status: 'pending',
      imp_uid: null,
      next_check_at: new Date(h.clock.now().getTime() + MINUTE).toISOString(),
    });
    expect(await openReasonNames(h.t.db, order.id)).toEqual(['missing_flag', 'unverified']);
    await h.sb.clearFaults(h.merchant);

    const early = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(early).toMatchObject({ status: 'ok', examined: 0, gatewayCalls: 0 });

    h.clock.advance(MINUTE);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'ok', examined: 1, settled: 1, stillOpen: 0, errors: 0 });
    order = await orderOf(h, h.store.id, 'o-noflag');
    expect(order).toMatchObject({
      status: 'paid',
      imp_uid: p.imp_uid,
      next_check_at: null,
      check_attempts: 0,
      open_reason_count: 0,
    });
    expect(await openReasonNames(h.t.db, order.id)).toEqual([]);
    // No imp_uid was known: one look-up by merchant_uid (plus this client's token).
    expect(run.gatewayCalls).toBeLessThanOrEqual(2);
    const detail = await getRun(h.ctx, run.runId);
    expect(detail?.items).toEqual([
      expect.objectContaining({
        merchantUid: 'o-noflag',
        statusBefore: 'pending',
        statusAfter: 'paid',
        outcome: 'paid',
        reasonsOpened: [],
      }),
    ]);
    const verification = await h.t.db
      .selectFrom('verification')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(verification).toMatchObject({ trigger: 'schedule', status_before: 'pending', status_after: 'paid' });
  });
});

describe('reconcile: a dropped webhook', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('opens redirect_without_webhook after the grace period, once, and a late webhook resolves it', async () => {
    const paid = await h.sb.createPayment(h.merchant, { merchant_uid: 'o-silent', amount: 1000 });
    const failed = await h.sb.createPayment(h.merchant, { merchant_uid: 'o-refused', amount: 1000, status: 'failed' });
    for (const [p, uid] of [
      [paid, 'o-silent'],
      [failed, 'o-refused'],
    ] as const) {
      await registerOrder(h.ctx, h.store, { merchant_uid: uid, amount: 1000 });
      await redirect(h, `imp_uid=${p.imp_uid}&merchant_uid=${uid}&imp_success=${p === paid}`);
    }
    const silent = await orderOf(h, h.store.id, 'o-silent');
    expect(silent.status).toBe('paid');

    h.clock.advance(9 * MINUTE);
    expect((await runReconcile(h.deps(), { trigger: 'schedule' })).examined).toBe(0);

    h.clock.advance(MINUTE + 1000);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'ok', examined: 1, gatewayCalls: 0 });
    expect((await getRun(h.ctx, run.runId))?.items).toEqual([
      expect.objectContaining({
        merchantUid: 'o-silent',
        outcome: 'reason_opened',
        reasonsOpened: ['redirect_without_webhook'],
        statusAfter: 'paid',
      }),
    ]);
    const flagged = await orderOf(h, h.store.id, 'o-silent');
    expect(await openReasonNames(h.t.db, flagged.id)).toEqual(['redirect_without_webhook']);
    // Opening it planned the next check like verification would: the first backoff step.
    expect(flagged).toMatchObject({
      open_reason_count: 1,
      check_attempts: 1,
      next_check_at: new Date(h.clock.now().getTime() + MINUTE).toISOString(),
    });
    // A failed payment sends no webhook anyone should wait for.
    expect(await openReasonNames(h.t.db, (await orderOf(h, h.store.id, 'o-refused')).id)).toEqual([]);

    const again = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(again.examined).toBe(0);

    await webhook(h, { imp_uid: paid.imp_uid, merchant_uid: 'o-silent', status: 'paid' });
    const resolved = await orderOf(h, h.store.id, 'o-silent');
    expect(await openReasonNames(h.t.db, resolved.id)).toEqual([]);
    expect(resolved).toMatchObject({ status: 'paid', next_check_at: null, open_reason_count: 0 });
  });

  it('resolves it on the next run when the webhook was accepted but not yet verified', async () => {
    const p = await h.sb.createPayment(h.merchant, { merchant_uid: 'o-queued', amount: 2000 });
    await registerOrder(h.ctx, h.store, { merchant_uid: 'o-queued', amount: 2000 });
    await redirect(h, `imp_uid=${p.imp_uid}&merchant_uid=o-queued&imp_success=true`);
    h.clock.advance(11 * MINUTE);
    await runReconcile(h.deps(), { trigger: 'schedule' });
    const order = await orderOf(h, h.store.id, 'o-queued');
    expect(await openReasonNames(h.t.db, order.id)).toEqual(['redirect_without_webhook']);

    await webhook(h, { imp_uid: p.imp_uid, merchant_uid: 'o-queued', status: 'paid' }, false);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect((await getRun(h.ctx, run.runId))?.items).toEqual([
      expect.objectContaining({ merchantUid: 'o-queued', outcome: 'reason_resolved' }),
    ]);
    expect(await openReasonNames(h.t.db, order.id)).toEqual([]);
    const reason = await h.t.db
      .selectFrom('attention_reason')
      .selectAll()
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(reason).toMatchObject({ reason: 'redirect_without_webhook', resolved_by: 'webhook' });
    expect(await orderOf(h, h.store.id, 'o-queued')).toMatchObject({
      next_check_at: null,
      open_reason_count: 0,
      check_attempts: 0,
    });
  });
});

describe('reconcile: stale pending orders', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('opens stale_pending for a registered order with no evidence, then finds it by merchant_uid', async () => {
    await registerOrder(h.ctx, h.store, { merchant_uid: 'o-stale', amount: 3000 });
    await registerOrder(h.ctx, h.store, { merchant_uid: 'o-nobody', amount: 3000 });
    h.clock.advance(29 * MINUTE);
    expect((await runReconcile(h.deps(), { trigger: 'schedule' })).examined).toBe(0);
    h.clock.advance(MINUTE);
    const opened = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(opened.examined).toBe(2);
    const stale = await orderOf(h, h.store.id, 'o-stale');
    expect(await openReasonNames(h.t.db, stale.id)).toEqual(['stale_pending']);

    // The buyer paid meanwhile and nothing told us: the job's look-up by merchant_uid finds it.
    await h.sb.createPayment(h.merchant, { merchant_uid: 'o-stale', amount: 3000 });
    h.clock.advance(MINUTE);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ examined: 2, settled: 1, stillOpen: 1 });
    expect(await orderOf(h, h.store.id, 'o-stale')).toMatchObject({
      status: 'paid',
      open_reason_count: 0,
      next_check_at: null,
    });
    const nobody = await orderOf(h, h.store.id, 'o-nobody');
    expect(nobody.status).toBe('pending');
    expect(await openReasonNames(h.t.db, nobody.id)).toEqual(['not_found_at_gateway', 'stale_pending']);
  });
});

describe('reconcile: the gateway down for a while, then back', () => {
  let h: ReconcileHarness;
  let broken: Awaited<ReturnType<ReconcileHarness['addSandboxStore']>>;
  const dueAt = () => h.clock.now();
  let firstDue: string;
  beforeAll(async () => {
    h = await createReconcileHarness();
    broken = await h.addSandboxStore({ badSecret: true });
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: 250 }, (_, i) => ({ merchant_uid: `o-down-${i}`, amount: 1000 + i })),
    );
    firstDue = dueAt().toISOString();
    await seedOrders(
      h,
      h.store,
      payments.map((p, i) => ({ merchantUid: p.merchant_uid, impUid: p.imp_uid, amount: 1000 + i })),
    );
    await seedOrders(
      h,
      broken.store,
      Array.from({ length: 5 }, (_, i) => ({ merchantUid: `b-${i}`, impUid: `imp_90000000000${i}`, amount: 500 })),
    );
  });
  afterAll(() => h.closeAll());

  it('makes one error per store per run and touches no order while the gateway is down', async () => {
    await h.sb.setFaults(h.merchant, { status: 503 });
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'failed', errors: 2, examined: 0, settled: 0 });
    const [down, broke] = run.stores;
    expect(down).toMatchObject({ storeSlug: h.store.slug, status: 'failed', errors: 1, notReached: 250 });
    expect(down!.error).toMatch(/^gateway unavailable: retryable \(HTTP 503\)/);
    expect(broke).toMatchObject({ storeSlug: broken.store.slug, status: 'failed', errors: 1, notReached: 5 });
    expect(broke!.error).toMatch(/^gateway unavailable: rejected \(HTTP 401\)/);
    // 3 batches × 3 attempts at most, not one call per order; bad credentials are never retried.
    expect(down!.gatewayCalls).toBeLessThanOrEqual(3 * 3 + 1);
    expect(broke!.gatewayCalls).toBeLessThanOrEqual(3);
    expect(h.slept.filter((ms) => ms > 0).length).toBeGreaterThan(0);

    const orders = await h.t.db.selectFrom('order').selectAll().where('store_id', '=', h.store.id).execute();
    expect(new Set(orders.map((o) => o.status))).toEqual(new Set(['pending']));
    expect(new Set(orders.map((o) => o.next_check_at))).toEqual(new Set([firstDue]));
    expect(new Set(orders.map((o) => o.check_attempts))).toEqual(new Set([0]));
    const checks = await h.t.db
      .selectFrom('gateway_check')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('store_id', '=', h.store.id)
      .executeTakeFirstOrThrow();
    expect(Number(checks.n)).toBeLessThanOrEqual(9);
  });

  it('leaves both stores alone during their cooldown (scheduled runs only)', async () => {
    h.clock.advance(30_000);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'failed', errors: 2, gatewayCalls: 0 });
    expect(run.stores.map((s) => s.status)).toEqual(['skipped', 'skipped']);
    expect(run.stores[0]!.error).toMatch(/cooling down until/);
  });

  it('settles every order on the next run once the gateway is back; the broken store still fails alone', async () => {
    await h.sb.clearFaults(h.merchant);
    h.clock.advance(2 * MINUTE);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    const [back, broke] = run.stores;
    expect(back).toMatchObject({ status: 'ok', examined: 250, settled: 250, stillOpen: 0, errors: 0, notReached: 0 });
    // 100 imp_uids per call: 3 look-ups and a token.
    expect(back!.gatewayCalls).toBeLessThanOrEqual(4);
    expect(broke).toMatchObject({ status: 'failed', errors: 1 });
    expect(run).toMatchObject({ status: 'failed', errors: 1, settled: 250 });
    const statuses = await h.t.db
      .selectFrom('order')
      .select('status')
      .distinct()
      .where('store_id', '=', h.store.id)
      .execute();
    expect(statuses).toEqual([{ status: 'paid' }]);
    expect(await h.t.db.selectFrom('gateway_cooldown').select('store_id').execute()).toEqual([
      { store_id: broken.store.id },
    ]);
  });

  it('a person running it (CLI, button) is not held back by the cooldown', async () => {
    const run = await runReconcile(h.deps(), { trigger: 'cli', storeSlug: broken.store.slug });
    expect(run.stores[0]).toMatchObject({ status: 'failed', notReached: 5 });
    expect(run.stores[0]!.gatewayCalls).toBeGreaterThan(0);
  });
});

describe('reconcile: virtual accounts', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('settles a deposit made later and flags the one never funded as vbank_overdue', async () => {
    const due = h.sb.clock.now().getTime() / 1000 + 86_400;
    const created = await h.sb.control<{ payments: { imp_uid: string; merchant_uid: string }[] }>(
      'POST',
      'payments',
      ['vb-funded', 'vb-never'].map((uid) => ({
        merchant: h.merchant.impCode,
        merchant_uid: uid,
        amount: 50_000,
        status: 'ready',
        pay_method: 'vbank',
        vbank_due: Math.floor(due),
        webhook: false,
      })),
    );
    for (const p of created.payments) {
      await registerOrder(h.ctx, h.store, { merchant_uid: p.merchant_uid, amount: 50_000 });
      await webhook(h, { imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, status: 'ready' });
    }
    const issued = await orderOf(h, h.store.id, 'vb-funded');
    expect(issued).toMatchObject({
      status: 'vbank_issued',
      vbank_due_at: new Date(Math.floor(due) * 1000).toISOString(),
    });
    expect(issued.next_check_at).toBe(new Date(Math.floor(due) * 1000 + 300_000).toISOString());
    expect((await runReconcile(h.deps(), { trigger: 'schedule' })).examined).toBe(0);

    await h.sb.control('POST', `payments/${created.payments[0]!.imp_uid}/deposit`, { webhook: false });
    h.clock.advance(86_400_000 + 6 * MINUTE);
    const run = await runReconcile(h.deps(), { trigger: 'schedule' });
    expect(run).toMatchObject({ status: 'ok', examined: 2, settled: 2, stillOpen: 1 });
    expect(await orderOf(h, h.store.id, 'vb-funded')).toMatchObject({ status: 'paid', next_check_at: null });
    const never = await orderOf(h, h.store.id, 'vb-never');
    expect(never).toMatchObject({ status: 'vbank_issued', next_check_at: null, open_reason_count: 1 });
    expect(await openReasonNames(h.t.db, never.id)).toEqual(['vbank_overdue']);
    const items = (await getRun(h.ctx, run.runId))!.items;
    expect(items.find((i) => i.merchantUid === 'vb-never')).toMatchObject({
      outcome: 'vbank_issued',
      reasonsOpened: ['vbank_overdue'],
    });
    // Both were funded-or-not in one batch call.
    expect(run.gatewayCalls).toBeLessThanOrEqual(2);

    h.clock.advance(MINUTE);
    expect((await runReconcile(h.deps(), { trigger: 'schedule' })).examined).toBe(0);
  });
});

describe('reconcile: backoff', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('re-queries on 1m, 5m, 15m, 1h, 6h, 24h and then leaves the order to a person', async () => {
    const [order] = await seedOrders(h, h.store, [
      { merchantUid: 'o-ghost', impUid: 'imp_999999999999', amount: 1000 },
    ]);
    const waits = [0, ...DEFAULT_BACKOFF_SECONDS];
    for (const [i, seconds] of waits.entries()) {
      h.clock.advance(seconds * 1000);
      const run = await runReconcile(h.deps(), { trigger: 'schedule' });
      expect(run.examined).toBe(1);
      const after = await orderOf(h, h.store.id, 'o-ghost');
      const next = DEFAULT_BACKOFF_SECONDS[i];
      expect(after.check_attempts).toBe(Math.min(i + 1, DEFAULT_BACKOFF_SECONDS.length));
      expect(after.next_check_at).toBe(
        next === undefined ? null : new Date(h.clock.now().getTime() + next * 1000).toISOString(),
      );
    }
    expect(await openReasonNames(h.t.db, order!.id)).toEqual(['not_found_at_gateway']);
    h.clock.advance(365 * 86_400_000);
    expect((await runReconcile(h.deps(), { trigger: 'schedule' })).examined).toBe(0);
    // --all still reaches it (a person asked).
    const all = await runReconcile(h.deps(), { trigger: 'cli', all: true });
    expect(all.examined).toBe(1);
  });
});

describe('reconcile: dry run', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('asks the gateway and reports what would change, writing nothing but the run', async () => {
    const p = await h.sb.createPayment(h.merchant, { merchant_uid: 'o-dry', amount: 1000 });
    const [order] = await seedOrders(h, h.store, [{ merchantUid: 'o-dry', impUid: p.imp_uid, amount: 1000 }]);
    const run = await runReconcile(h.deps(), { trigger: 'cli', dryRun: true });
    expect(run).toMatchObject({ status: 'ok', dryRun: true, examined: 1, settled: 1 });
    expect(run.gatewayCalls).toBeGreaterThan(0);
    expect((await getRun(h.ctx, run.runId))?.items).toEqual([
      expect.objectContaining({ statusBefore: 'pending', statusAfter: 'paid', outcome: 'paid' }),
    ]);
    expect(await orderOf(h, h.store.id, 'o-dry')).toEqual(order);
    expect(await openReasonNames(h.t.db, order!.id)).toEqual(['unverified']);
    for (const table of ['gateway_check', 'verification', 'job_lease'] as const) {
      const n = await h.t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect([table, Number(n.n)]).toEqual([table, 0]);
    }
  });
});

describe('reconcile: two processes start a run at once', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
  });
  afterAll(() => h.closeAll());

  it('exactly one runs; the other records a skipped run naming the holder', async () => {
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: 20 }, (_, i) => ({ merchant_uid: `o-race-${i}`, amount: 1000 })),
    );
    await seedOrders(
      h,
      h.store,
      payments.map((p) => ({ merchantUid: p.merchant_uid, impUid: p.imp_uid, amount: 1000 })),
    );
    // A second process: its own connection to the same database, its own context and clients.
    const second = h.t.openSecond();
    try {
      const other = createAppContext({
        config: h.ctx.config,
        db: second.db,
        log: pino({ level: 'silent' }),
        now: h.clock.now,
      });
      const [a, b] = await Promise.all([
        runReconcile(h.deps('process-a'), { trigger: 'schedule' }),
        runReconcile({ ...other, holder: 'process-b', sleep: async () => {} }, { trigger: 'schedule' }),
      ]);
      expect([a.status, b.status].sort()).toEqual(['ok', 'skipped']);
      const [ran, skipped] = a.status === 'ok' ? [a, b] : [b, a];
      expect(ran.settled).toBe(20);
      expect(skipped).toMatchObject({ examined: 0, gatewayCalls: 0, leaseHolder: ran.leaseHolder });
      expect(skipped.error).toContain(`another process is running reconcile: ${ran.leaseHolder}`);
      const verifications = await h.t.db
        .selectFrom('verification')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('trigger', '=', 'schedule')
        .executeTakeFirstOrThrow();
      expect(Number(verifications.n)).toBe(20);
      const runs = await h.t.db.selectFrom('reconcile_run').select(['status', 'lease_holder']).orderBy('id').execute();
      expect(runs.map((r) => r.status).sort()).toEqual(['ok', 'skipped']);
    } finally {
      await second.close();
    }
  });

  it('a run left `running` by a process that died is marked failed by the next holder', async () => {
    const at = h.clock.now().toISOString();
    const dead = await h.t.db
      .insertInto('reconcile_run')
      .values({
        kind: 'reconcile',
        trigger: 'schedule',
        store_slug: null,
        dry_run: 0,
        all_orders: 0,
        window_from: null,
        window_to: null,
        started_at: at,
        finished_at: null,
        status: 'running',
        examined: 0,
        settled: 0,
        still_open: 0,
        errors: 0,
        gateway_calls: 0,
        duration_ms: null,
        started_by: 'scheduler',
        lease_holder: 'dead-host:1:abc',
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await runReconcile(h.deps('process-a'), { trigger: 'schedule' });
    expect(
      await h.t.db
        .selectFrom('reconcile_run')
        .select(['status', 'error'])
        .where('id', '=', dead.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({
      status: 'failed',
      error: 'the process running it stopped before it finished (its lease expired)',
    });
  });
});
