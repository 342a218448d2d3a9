import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const response = await fetch(`${s.appUrl}/api/v1/stores/${s.store.slug}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ merchant_uid: merchantUid, amount }),
    });
    expect(response.status).toBe(201);
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
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('pending');
    expect(await openReasonNames(s.t.db, order.id)).toEqual(reasons);
    expect(await apiStatus(merchantUid)).toBe('pending');
    // An early check: well before the ordinary first backoff step (60 s).
    const due = new Date(order.next_check_at!).getTime() - s.clock.now().getTime();
    expect(due).toBeGreaterThan(0);
    expect(due).toBeLessThanOrEqual(15_000);
  });

  it('then the buyer pays in the window: paid, the reason resolved, no late change', async () => {
    const merchantUid = uid('pays-later');
    await register(merchantUid, 9000);
    await s.redirect(`merchant_uid=${merchantUid}&imp_success=false`);
    const created = await pay({ merchant_uid: merchantUid, amount: 9000, status: 'paid', webhook: {} });
    await s.flushWebhooks();
    const order = await orderOf(merchantUid);
    expect(order).toMatchObject({ status: 'paid', imp_uid: created.imp_uid });
    expect(await openReasonNames(s.t.db, order.id)).toEqual([]);
    expect(await verifications(order.id)).toEqual(['redirect:not_found:pending→pending', 'webhook:paid:pending→paid']);
  });

  it('then the gateway has a failed payment for it: the scheduled check settles it as failed', async () => {
    const merchantUid = uid('gateway-fails');
    await register(merchantUid, 7000);
    await s.redirect(`merchant_uid=${merchantUid}&imp_success=false&error_code=F0004`);
    await pay({ merchant_uid: merchantUid, amount: 7000, status: 'failed', fail_reason: '한도초과' });
    s.clock.advance(16_000);
    await reconcile();
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('failed');
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

  it('a forged failure never downgrades a settled order', async () => {
    const merchantUid = uid('settled');
    await register(merchantUid, 4000);
    const created = await pay({ merchant_uid: merchantUid, amount: 4000, status: 'paid', webhook: {} });
    await s.flushWebhooks();
    const response = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=false`);
    expect(new URL(response.headers.get('location') ?? '', 'http://x').searchParams.get('status')).toBe('paid');
    expect((await orderOf(merchantUid)).status).toBe('paid');
  });
});
