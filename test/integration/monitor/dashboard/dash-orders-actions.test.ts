import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action as orderAction, loader as orderLoader } from '~/routes/_dash.orders.$orderId';
import { registerOrder } from '~/monitor/capture/orders.server';
import { callRoute, openReasonNames } from '../../../helpers/monitor';
import { startMonitorStack, SANDBOX_MERCHANT, type MonitorStack } from '../../../helpers/stack';
import { contextFor, dashUser, flashOf, getAs, postForm, type DashUser } from '../../../helpers/dash-orders';

type WirePayment = { imp_uid: string; merchant_uid: string; amount: number; status: string; cancel_amount: number };

/**
 * The order page's manual actions through its route action, against the sandbox in-process:
 * the role is checked on the server, the CSRF token is required, each action goes through the
 * one domain function and leaves an audit event.
 */
describe('order page actions', () => {
  let s: MonitorStack;
  let admin: DashUser;
  let operator: DashUser;
  let viewer: DashUser;
  let n = 0;

  beforeAll(async () => {
    s = await startMonitorStack();
    [admin, operator, viewer] = await Promise.all([
      dashUser(s.ctx, 'admin@example.com', 'admin'),
      dashUser(s.ctx, 'operator@example.com', 'operator'),
      dashUser(s.ctx, 'viewer@example.com', 'viewer'),
    ]);
  });
  afterAll(() => s?.stop());

  const orderOf = (merchantUid: string) =>
    s.t.db.selectFrom('order').selectAll().where('merchant_uid', '=', merchantUid).executeTakeFirstOrThrow();
  const openReasons = (orderId: number) => openReasonNames(s.t.db, orderId);
  const auditOf = (orderId: number) =>
    s.t.db
      .selectFrom('audit_event')
      .selectAll()
      .where('target_type', '=', 'order')
      .where('target_id', '=', String(orderId))
      .orderBy('id')
      .execute();

  /** A registered order paid at the sandbox whose verification failed (gateway 500): `unverified` is open. */
  async function unverifiedPaidOrder(
    amount = 15000,
  ): Promise<{ orderId: number; payment: WirePayment; merchantUid: string }> {
    const merchantUid = `act-${++n}`;
    await registerOrder(s.ctx, s.store, { merchant_uid: merchantUid, amount });
    const payment = await s.control<WirePayment>('POST', 'payments', {
      merchant_uid: merchantUid,
      amount,
      status: 'paid',
      webhook: false,
    });
    await s.control('PUT', `merchants/${SANDBOX_MERCHANT.impCode}/faults`, { status: 500 });
    try {
      await s.redirect(`imp_uid=${payment.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
    } finally {
      await s.control('DELETE', `merchants/${SANDBOX_MERCHANT.impCode}/faults`);
    }
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('pending');
    expect(await openReasons(order.id)).toContain('unverified');
    return { orderId: order.id, payment, merchantUid };
  }

  async function act(
    user: DashUser | null,
    orderId: number,
    fields: [string, string][],
    options: { csrf?: string | null } = {},
  ) {
    const request = postForm(`/orders/${orderId}`, user, fields, options);
    return callRoute(orderAction, request, { orderId: String(orderId) }, contextFor(s.ctx, request));
  }

  it('re-check now settles the order against the gateway and records who asked', async () => {
    const { orderId, merchantUid } = await unverifiedPaidOrder();
    const response = await act(operator, orderId, [['intent', 'recheck']]);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/orders/${orderId}`);
    expect(await flashOf(s.ctx, response)).toMatchObject({ kind: 'success', key: 'order.recheck.settled' });
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('paid');
    expect(order.paid_amount).toBe(15000);
    expect(await openReasons(orderId)).toEqual([]);
    const [event] = await auditOf(orderId);
    expect(event).toMatchObject({
      actor_user_id: operator.id,
      actor_label: 'operator@example.com',
      action: 'order.recheck',
      ip: '198.51.100.7',
    });
    expect(JSON.parse(event!.before_json!)).toEqual({ status: 'pending', openReasons: ['unverified'] });
    expect(JSON.parse(event!.after_json!)).toEqual({ status: 'paid', openReasons: [], outcome: 'paid', settled: true });
    // The check is on the order's timeline, triggered by the button.
    const checks = await s.t.db.selectFrom('gateway_check').select('trigger').where('order_id', '=', orderId).execute();
    expect(checks.map((c) => c.trigger)).toContain('button');
  });

  it('re-check while the gateway fails keeps the status and says what is still open', async () => {
    const { orderId } = await unverifiedPaidOrder();
    await s.control('PUT', `merchants/${SANDBOX_MERCHANT.impCode}/faults`, { status: 503 });
    try {
      const response = await act(operator, orderId, [['intent', 'recheck']]);
      expect(await flashOf(s.ctx, response)).toMatchObject({ kind: 'info', key: 'order.recheck.open' });
    } finally {
      await s.control('DELETE', `merchants/${SANDBOX_MERCHANT.impCode}/faults`);
    }
    expect(
      (await s.t.db.selectFrom('order').select('status').where('id', '=', orderId).executeTakeFirstOrThrow()).status,
    ).toBe('pending');
    expect(await openReasons(orderId)).toEqual(['unverified']);
  });

  it('resolve with a written reason closes the reason and writes the audit event', async () => {
    const { orderId } = await unverifiedPaidOrder();
    const response = await act(operator, orderId, [
      ['intent', 'resolve'],
      ['reason', 'unverified'],
      ['note', 'Confirmed with the PG by phone'],
    ]);
    expect(response.status).toBe(303);
    expect(await flashOf(s.ctx, response)).toMatchObject({ kind: 'success', key: 'order.resolve.done' });
    expect(await openReasons(orderId)).toEqual([]);
    const reason = await s.t.db
      .selectFrom('attention_reason')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('reason', '=', 'unverified')
      .executeTakeFirstOrThrow();
    expect(reason).toMatchObject({
      resolved_by: 'operator@example.com',
      resolution_note: 'Confirmed with the PG by phone',
    });
    const order = await s.t.db.selectFrom('order').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
    // Nothing left for the gateway: the scheduled re-checks stop.
    expect(order).toMatchObject({ open_reason_count: 0, next_check_at: null });
    const events = await auditOf(orderId);
    expect(events.map((e) => e.action)).toEqual(['order.resolve']);
    expect(events[0]).toMatchObject({ reason: 'Confirmed with the PG by phone', actor_label: 'operator@example.com' });
    expect(JSON.parse(events[0]!.after_json!)).toMatchObject({ openReasons: [], resolved: ['unverified'] });
  });

  it('refuses to resolve without a reason, and a reason that is no longer open', async () => {
    const { orderId } = await unverifiedPaidOrder();
    const short = await act(operator, orderId, [
      ['intent', 'resolve'],
      ['reason', 'unverified'],
      ['note', ' '],
    ]);
    expect(await flashOf(s.ctx, short)).toMatchObject({ kind: 'error', key: 'order.error.noteRequired' });
    expect(await openReasons(orderId)).toEqual(['unverified']);
    const notOpen = await act(operator, orderId, [
      ['intent', 'resolve'],
      ['reason', 'late_change'],
      ['note', 'nothing to do'],
    ]);
    expect(await flashOf(s.ctx, notOpen)).toMatchObject({ kind: 'error', key: 'order.error.notOpen' });
    expect(await auditOf(orderId)).toEqual([]);
  });

  it('a viewer is refused on the server (403) and nothing changes', async () => {
    const { orderId } = await unverifiedPaidOrder();
    for (const fields of [
      [['intent', 'recheck']],
      [
        ['intent', 'resolve'],
        ['reason', 'unverified'],
        ['note', 'sneaky viewer'],
      ],
    ] as [string, string][][]) {
      const response = await act(viewer, orderId, fields);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({
        error: { code: 'forbidden', reason: 'role', required: 'operator' },
      });
    }
    expect(await openReasons(orderId)).toEqual(['unverified']);
    expect(await auditOf(orderId)).toEqual([]);
    // The page itself is readable.
    const page = await callRoute(
      orderLoader,
      getAs(`/orders/${orderId}`, viewer),
      { orderId: String(orderId) },
      contextFor(s.ctx, getAs(`/orders/${orderId}`, viewer)),
    );
    expect(page.status).toBe(200);
  });

  it('refuses a form without its CSRF token, or with another session’s', async () => {
    const { orderId } = await unverifiedPaidOrder();
    const missing = await act(operator, orderId, [['intent', 'recheck']], { csrf: null });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: { reason: 'csrf_missing' } });
    const foreign = await act(operator, orderId, [['intent', 'recheck']], { csrf: admin.csrf });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { reason: 'csrf_invalid' } });
    const anonymous = await act(null, orderId, [['intent', 'recheck']]);
    expect(anonymous.status).toBe(302);
    expect(await openReasons(orderId)).toEqual(['unverified']);
  });

  describe('cancel at the gateway', () => {
    it('is admin only, even for the review step', async () => {
      const { orderId } = await unverifiedPaidOrder();
      await act(operator, orderId, [['intent', 'recheck']]);
      for (const intent of ['cancel_review', 'cancel']) {
        const response = await act(operator, orderId, [
          ['intent', intent],
          ['reason', 'buyer asked'],
          ['confirm', 'yes'],
        ]);
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ error: { reason: 'role', required: 'admin' } });
      }
      expect(
        (await s.t.db.selectFrom('order').select('status').where('id', '=', orderId).executeTakeFirstOrThrow()).status,
      ).toBe('paid');
    });

    it('reviews, then refunds in full on confirmation, audited', async () => {
      const { orderId, payment } = await unverifiedPaidOrder(20000);
      await act(admin, orderId, [['intent', 'recheck']]);
      const review = await act(admin, orderId, [
        ['intent', 'cancel_review'],
        ['amount', ''],
        ['reason', 'duplicate order'],
      ]);
      expect(review.status).toBe(200);
      expect(await review.json()).toMatchObject({
        intent: 'cancel_review',
        amount: 20000,
        partial: false,
        preview: { refundable: 20000, impUid: payment.imp_uid },
      });
      // Nothing was cancelled by the review.
      expect((await s.control<WirePayment>('GET', `payments/${payment.imp_uid}`)).status).toBe('paid');

      const unconfirmed = await act(admin, orderId, [
        ['intent', 'cancel'],
        ['reason', 'duplicate order'],
      ]);
      expect(await flashOf(s.ctx, unconfirmed)).toMatchObject({ kind: 'error', key: 'order.cancel.notConfirmed' });

      const response = await act(admin, orderId, [
        ['intent', 'cancel'],
        ['reason', 'duplicate order'],
        ['confirm', 'yes'],
      ]);
      expect(response.status).toBe(303);
      expect(await flashOf(s.ctx, response)).toMatchObject({
        kind: 'success',
        key: 'order.cancel.done',
        params: { amount: 20000, status: 'cancelled' },
      });
      expect((await s.control<WirePayment>('GET', `payments/${payment.imp_uid}`)).status).toBe('cancelled');
      const order = await s.t.db.selectFrom('order').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
      expect(order).toMatchObject({ status: 'cancelled', cancel_amount: 20000 });
      const cancel = (await auditOf(orderId)).find((e) => e.action === 'order.cancel')!;
      expect(cancel).toMatchObject({ actor_label: 'admin@example.com', reason: 'duplicate order' });
      expect(JSON.parse(cancel.before_json!)).toMatchObject({ status: 'paid', refundable: 20000 });
      expect(JSON.parse(cancel.after_json!)).toMatchObject({
        status: 'cancelled',
        cancelAmount: 20000,
        requested: 20000,
        accepted: true,
      });
    });

    it('refunds part of the payment, and refuses more than is refundable', async () => {
      const { orderId } = await unverifiedPaidOrder(30000);
      await act(admin, orderId, [['intent', 'recheck']]);
      const tooMuch = await act(admin, orderId, [
        ['intent', 'cancel_review'],
        ['amount', '30001'],
        ['reason', 'partial refund'],
      ]);
      expect(await flashOf(s.ctx, tooMuch)).toMatchObject({ kind: 'error', key: 'order.cancel.tooMuch' });
      const response = await act(admin, orderId, [
        ['intent', 'cancel'],
        ['amount', '10000'],
        ['reason', 'one item out of stock'],
        ['confirm', 'yes'],
      ]);
      expect(await flashOf(s.ctx, response)).toMatchObject({
        kind: 'success',
        params: { amount: 10000, status: 'partially_cancelled' },
      });
      const order = await s.t.db.selectFrom('order').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
      expect(order).toMatchObject({ status: 'partially_cancelled', paid_amount: 30000, cancel_amount: 10000 });
      const page = (await (
        await callRoute(
          orderLoader,
          getAs(`/orders/${orderId}`, admin),
          { orderId: String(orderId) },
          contextFor(s.ctx, getAs(`/orders/${orderId}`, admin)),
        )
      ).json()) as {
        order: { refundable: number };
      };
      expect(page.order.refundable).toBe(20000);
    });

    it('says so when there is nothing to refund', async () => {
      const merchantUid = `act-${++n}`;
      await registerOrder(s.ctx, s.store, { merchant_uid: merchantUid, amount: 1000 });
      const order = await orderOf(merchantUid);
      const response = await act(admin, order.id, [
        ['intent', 'cancel_review'],
        ['reason', 'never paid'],
      ]);
      expect(await flashOf(s.ctx, response)).toMatchObject({ kind: 'error', key: 'order.cancel.notPaid' });
    });

    it('refuses an unpaid order in the domain, even when the form is posted without being shown', async () => {
      const merchantUid = `act-${++n}`;
      await registerOrder(s.ctx, s.store, { merchant_uid: merchantUid, amount: 8000 });
      const payment = await s.control<WirePayment>('POST', 'payments', {
        merchant_uid: merchantUid,
        amount: 8000,
        status: 'failed',
        webhook: false,
      });
      await s.redirect(`imp_uid=${payment.imp_uid}&merchant_uid=${merchantUid}&imp_success=false`);
      const order = await orderOf(merchantUid);
      // The gateway's record carries the amount asked for, though nothing was paid.
      expect(order).toMatchObject({ status: 'failed', paid_amount: 8000 });
      const checks = () =>
        s.t.db.selectFrom('gateway_check').select('operation').where('order_id', '=', order.id).execute();
      const checksBefore = (await checks()).length;
      for (const intent of ['cancel_review', 'cancel']) {
        const response = await act(admin, order.id, [
          ['intent', intent],
          ['reason', 'refund the failed payment'],
          ['confirm', 'yes'],
        ]);
        expect(await flashOf(s.ctx, response)).toMatchObject({ kind: 'error', key: 'order.cancel.notPaid' });
      }
      // The gateway was never asked, nothing was audited as a cancel, the order is as it was.
      expect(await checks()).toHaveLength(checksBefore);
      expect((await auditOf(order.id)).filter((e) => e.action === 'order.cancel')).toEqual([]);
      expect((await orderOf(merchantUid)).status).toBe('failed');
      expect((await s.control<WirePayment>('GET', `payments/${payment.imp_uid}`)).status).toBe('failed');
    });
  });
});
