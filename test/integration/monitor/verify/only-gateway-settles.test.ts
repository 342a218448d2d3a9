import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '~/monitor/dashboard/runs.server';
import { runReconcile } from '~/monitor/jobs/reconcile.server';
import { openReasonNames } from '../../../helpers/monitor';
import { startMonitorStack, type MonitorStack } from '../../../helpers/stack';

type WirePayment = { imp_uid: string; merchant_uid: string; status: string };

/**
 * Decision 0010 through the real stack (production build over HTTP, the sandbox over HTTP, one
 * SQLite file, a hand-moved clock): a forged "payment failed" GET never settles an order.
 */
describe('only the gateway settles: a forged failure redirect', () => {
  let s: MonitorStack;
  let n = 0;
  beforeAll(async () => {
    s = await startMonitorStack();
  });
  afterAll(() => s?.stop());

  const uid = (label: string) => `${label}-${++n}`;
  const register = async (merchantUid: string, amount: number) => {
    expect((await s.registerOrder({ merchant_uid: merchantUid, amount })).status).toBe(201);
  };
  const pay = (body: Record<string, unknown>) =>
    s.control<WirePayment>('POST', 'payments', { webhook: false, ...body });
  const orderOf = (merchantUid: string) =>
    s.t.db.selectFrom('order').selectAll().where('merchant_uid', '=', merchantUid).executeTakeFirstOrThrow();
  const apiStatus = async (merchantUid: string) => {
    const response = await fetch(`${s.appUrl}/api/v1/stores/${s.store.slug}/orders/${merchantUid}`, {
      headers: { authorization: `Bearer ${s.apiKey}` },
    });
    return ((await response.json()) as { order: { status: string } }).order.status;
  };
  const verifications = async (orderId: number) =>
    (
      await s.t.db
        .selectFrom('verification')
        .select(['trigger', 'outcome', 'status_before', 'status_after'])
        .where('order_id', '=', orderId)
        .orderBy('id')
        .execute()
    ).map((v) => `${v.trigger}:${v.outcome}:${v.status_before}→${v.status_after}`);
  /** Follows the redirect route's answer to the page the buyer lands on (our own result page). */
  const landingPage = async (response: Response) => {
    const location = response.headers.get('location') ?? '';
    expect(location.startsWith(`/payments/${s.store.slug}/result?`)).toBe(true);
    const page = await fetch(`${s.appUrl}${location}`, { headers: { 'accept-language': 'en' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    return { location, html, status: /data-status="([^"]+)"/.exec(html)?.[1] };
  };
  const FAILURE_PAGE = 'The payment did not go through. The shop will confirm this with the payment company';
  const reconcile = () =>
    runReconcile({ ...s.ctx, holder: 'test', sleep: async () => {} }, { trigger: 'cli', storeSlug: s.store.slug });

  it.each([
    ['imp_success=false', ['unconfirmed_failure']],
    ['success=false', ['unconfirmed_failure']],
    ['imp_success=false&error_code=F1001&error_msg=x', ['unconfirmed_failure']],
    ['error_code=F400', ['missing_flag', 'unconfirmed_failure']],
    ['imp_uid=imp_999999999999&imp_success=false', ['unconfirmed_failure']],
  ])('%s: the order stays pending with its reason, the buyer sees the failure page', async (forged, reasons) => {
    const merchantUid = uid('forged');
    await register(merchantUid, 12000);
    const response = await s.redirect(`merchant_uid=${merchantUid}&${forged}`);
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '', 'http://x');
    expect(location.searchParams.get('status')).toBe('failed');
    expect(location.searchParams.get('confirmed')).toBe('false');
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('pending');
    expect(await openReasonNames(s.t.db, order.id)).toEqual(reasons);
    expect(await apiStatus(merchantUid)).toBe('pending');
    // The buyer lands on the failure page at once, worded so that the shop still confirms it.
    const page = await landingPage(response);
    expect(page.status).toBe('failure_reported');
    expect(page.html).toContain(FAILURE_PAGE);
    expect(page.html).not.toContain('We are still confirming your payment');
    expect((await orderOf(merchantUid)).status).toBe('pending');
    // An early check: well before the ordinary first backoff step (60 s).
    const due = new Date(order.next_check_at!).getTime() - s.clock.now().getTime();
    expect(due).toBeGreaterThan(0);
    expect(due).toBeLessThanOrEqual(15_000);
  });

  it('then the buyer pays in the window: paid, the reason resolved, no late change', async () => {
    const merchantUid = uid('pays-later');
    await register(merchantUid, 9000);
    const response = await s.redirect(`merchant_uid=${merchantUid}&imp_success=false`);
    expect((await landingPage(response)).status).toBe('failure_reported');
    const created = await pay({ merchant_uid: merchantUid, amount: 9000, status: 'paid', webhook: {} });
    await s.flushWebhooks();
    const order = await orderOf(merchantUid);
    expect(order).toMatchObject({ status: 'paid', imp_uid: created.imp_uid });
    // The same link now shows what the gateway said, not what the browser reported.
    const again = await landingPage(response);
    expect(again.status).toBe('paid');
    expect(again.html).toContain('Your payment is complete.');
    expect(again.html).not.toContain(FAILURE_PAGE);
    expect(await openReasonNames(s.t.db, order.id)).toEqual([]);
    expect(await verifications(order.id)).toEqual(['redirect:not_found:pending→pending', 'webhook:paid:pending→paid']);
  });

  it('then the gateway has a failed payment for it: the scheduled check settles it as failed', async () => {
    const merchantUid = uid('gateway-fails');
    await register(merchantUid, 7000);
    const response = await s.redirect(`merchant_uid=${merchantUid}&imp_success=false&error_code=F0004`);
    await pay({ merchant_uid: merchantUid, amount: 7000, status: 'failed', fail_reason: '한도초과' });
    s.clock.advance(16_000);
    await reconcile();
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('failed');
    const page = await landingPage(response);
    expect(page.status).toBe('failed');
    expect(page.html).toContain('The payment did not go through. You have not been charged.');
    expect(await openReasonNames(s.t.db, order.id)).toEqual([]);
    expect((await verifications(order.id)).at(-1)).toBe('schedule:failed:pending→failed');
  });

  it('the gateway stays silent past the store window: abandoned, and a later payment still wins', async () => {
    const merchantUid = uid('silent');
    await register(merchantUid, 5000);
    await s.redirect(`merchant_uid=${merchantUid}&imp_success=false`);
    // Within the window the checks find nothing and settle nothing.
    s.clock.advance(16_000);
    await reconcile();
    let order = await orderOf(merchantUid);
    expect(order.status).toBe('pending');
    expect(await openReasonNames(s.t.db, order.id)).toEqual(['unconfirmed_failure']);
    // The next check is planned no later than the end of the window.
    const windowEnd = s.clock.now().getTime() - 16_000 + s.store.stalePendingSeconds * 1000;
    expect(new Date(order.next_check_at!).getTime()).toBeLessThanOrEqual(windowEnd);

    s.clock.advance(s.store.stalePendingSeconds * 1000);
    await reconcile();
    order = await orderOf(merchantUid);
    expect(order.status).toBe('failed');
    expect(await openReasonNames(s.t.db, order.id)).toEqual([]);
    expect((await verifications(order.id)).at(-1)).toBe('schedule:abandoned:pending→failed');

    await pay({ merchant_uid: merchantUid, amount: 5000, status: 'paid', webhook: {} });
    await s.flushWebhooks();
    order = await orderOf(merchantUid);
    expect(order.status).toBe('paid');
    expect(await openReasonNames(s.t.db, order.id)).toEqual([]);
  });

  it('an unregistered order past the look-up budget: the failure page at once, no order yet', async () => {
    const budget = s.ctx.config.limits.unknownOrdersPerMinute;
    s.ctx.config.limits.unknownOrdersPerMinute = 0;
    try {
      const merchantUid = uid('unregistered');
      const response = await s.redirect(`merchant_uid=${merchantUid}&imp_success=false`);
      expect(response.status).toBe(303);
      const page = await landingPage(response);
      expect(new URL(page.location, 'http://x').searchParams.get('confirmed')).toBe('false');
      expect(page.status).toBe('failure_reported');
      expect(page.html).toContain(FAILURE_PAGE);
      expect(page.html).toContain(merchantUid);
      const rows = await s.t.db.selectFrom('order').select('id').where('merchant_uid', '=', merchantUid).execute();
      expect(rows).toEqual([]);
      // The reported outcome is part of the signature: a link edited to claim something else shows nothing.
      const edited = new URL(page.location, 'http://x');
      edited.searchParams.set('status', 'paid');
      const forged = await (await fetch(`${s.appUrl}${edited.pathname}${edited.search}`)).text();
      expect(/data-status="([^"]+)"/.exec(forged)?.[1]).toBe('unknown');
    } finally {
      s.ctx.config.limits.unknownOrdersPerMinute = budget;
    }
  });

  it('a forged failure never downgrades a settled order', async () => {
    const merchantUid = uid('settled');
    await register(merchantUid, 4000);
    const created = await pay({ merchant_uid: merchantUid, amount: 4000, status: 'paid', webhook: {} });
    await s.flushWebhooks();
    const response = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=false`);
    const location = new URL(response.headers.get('location') ?? '', 'http://x');
    expect(location.searchParams.get('status')).toBe('paid');
    expect(location.searchParams.has('confirmed')).toBe(false);
    expect((await orderOf(merchantUid)).status).toBe('paid');
  });
});

/**
 * The reconcile dry run plans through the ledger's own planner with the same facts, so its report
 * is what a real run then applies, including the `abandoned` outcome (an unconfirmed failure whose
 * window passed with the gateway silent), which needs when the reason opened.
 */
describe('the reconcile dry run reports what a real run applies', () => {
  let s: MonitorStack;
  beforeAll(async () => {
    s = await startMonitorStack();
  });
  afterAll(() => s?.stop());

  const register = async (merchantUid: string, amount: number) => {
    expect((await s.registerOrder({ merchant_uid: merchantUid, amount })).status).toBe(201);
  };
  const run = (dryRun: boolean) =>
    runReconcile(
      { ...s.ctx, holder: 'test', sleep: async () => {} },
      { trigger: 'cli', storeSlug: s.store.slug, dryRun },
    );
  const itemsOf = async (runId: number) =>
    ((await getRun(s.ctx, runId, { itemLimit: 1000 }))?.items ?? [])
      .map((i) =>
        [i.merchantUid, i.impUid, i.statusBefore, i.statusAfter, i.outcome, i.reasonsOpened.join(',')].join(' '),
      )
      .sort();
  const orders = () => s.t.db.selectFrom('order').selectAll().orderBy('id').execute();

  it('abandoned, failed at the gateway, still waiting, paid: the same items, and the dry run wrote nothing', async () => {
    const windowMs = s.store.stalePendingSeconds * 1000;
    // Reported failures: one the gateway never hears of, one the gateway then has as failed.
    await register('dry-silent', 5000);
    await register('dry-failed', 6000);
    await register('dry-paid', 7000);
    await register('dry-recent', 8000);
    await s.redirect('merchant_uid=dry-silent&imp_success=false');
    await s.redirect('merchant_uid=dry-failed&imp_success=false&error_code=F0004');
    await s.control('POST', 'payments', { webhook: false, merchant_uid: 'dry-failed', amount: 6000, status: 'failed' });
    // A failure reported, then the buyer paid in the window (no webhook: the job finds it).
    await s.redirect('merchant_uid=dry-paid&success=false');
    await s.control('POST', 'payments', { webhook: false, merchant_uid: 'dry-paid', amount: 7000, status: 'paid' });
    // Past the window for those three; a fourth failure reported late, still inside its window.
    s.clock.advance(windowMs - 10_000);
    await s.redirect('merchant_uid=dry-recent&imp_success=false');
    s.clock.advance(26_000);

    const before = await orders();
    const dry = await run(true);
    expect(dry).toMatchObject({ status: 'ok', dryRun: true });
    expect(await orders()).toEqual(before);
    const planned = await itemsOf(dry.runId);

    const real = await run(false);
    expect(real).toMatchObject({ status: 'ok', dryRun: false });
    const applied = await itemsOf(real.runId);

    expect(planned).toEqual(applied);
    expect([dry.examined, dry.settled, dry.stillOpen]).toEqual([real.examined, real.settled, real.stillOpen]);
    const outcome = (uid: string) =>
      applied
        .find((line) => line.startsWith(`${uid} `))
        ?.split(' ')
        .slice(2, 5);
    expect(outcome('dry-silent')).toEqual(['pending', 'failed', 'abandoned']);
    expect(outcome('dry-failed')).toEqual(['pending', 'failed', 'failed']);
    expect(outcome('dry-paid')).toEqual(['pending', 'paid', 'paid']);
    expect(outcome('dry-recent')).toEqual(['pending', 'pending', 'not_found']);
    const statuses = Object.fromEntries((await orders()).map((o) => [o.merchant_uid, o.status]));
    expect(statuses).toEqual({
      'dry-silent': 'failed',
      'dry-failed': 'failed',
      'dry-paid': 'paid',
      'dry-recent': 'pending',
    });
  });
});
