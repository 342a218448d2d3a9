import { openReasonNames } from '../../../helpers/monitor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIRECT_COALESCE_MS } from '~/monitor/capture/redirect.server';
import { orderTimeline } from '~/monitor/dashboard/timeline.server';
import { startMonitorStack, type MonitorStack } from '../../../helpers/stack';
import { signResultLocation } from '~/auth/result-link.server';

type WirePayment = { imp_uid: string; merchant_uid: string; amount: number; status: string; cancel_amount: number };

/**
 * The acceptance scenarios of capture-and-verify, through the real stack: the production build
 * over HTTP, the sandbox over HTTP, one SQLite file, an injected clock.
 */
describe('capture and verify through the sandbox', () => {
  let s: MonitorStack;
  let n = 0;
  beforeAll(async () => {
    s = await startMonitorStack();
  });
  afterAll(() => s?.stop());

  const uid = (label: string) => `${label}-${++n}`;
  const register = async (merchantUid: string, amount: number, slug = s.store.slug, apiKey = s.apiKey) => {
    const response = await fetch(`${s.appUrl}/api/v1/stores/${slug}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ merchant_uid: merchantUid, amount }),
    });
    expect(response.status).toBe(201);
  };
  const pay = (body: Record<string, unknown>) =>
    s.control<WirePayment>('POST', 'payments', { webhook: false, ...body });
  const orderOf = (merchantUid: string) =>
    s.t.db.selectFrom('order').selectAll().where('merchant_uid', '=', merchantUid).executeTakeFirstOrThrow();
  const openReasons = (orderId: number) => openReasonNames(s.t.db, orderId);
  const allReasons = async (orderId: number) =>
    (
      await s.t.db
        .selectFrom('attention_reason')
        .select(['reason', 'resolved_at'])
        .where('order_id', '=', orderId)
        .orderBy('id')
        .execute()
    ).map((r) => `${r.reason}:${r.resolved_at ? 'resolved' : 'open'}`);
  const transitions = async (orderId: number) =>
    (
      await s.t.db
        .selectFrom('verification')
        .select(['status_before', 'status_after'])
        .where('order_id', '=', orderId)
        .orderBy('id')
        .execute()
    )
      .filter((v) => v.status_before !== v.status_after)
      .map((v) => `${v.status_before}→${v.status_after}`);
  const landing = (response: Response) => new URL(response.headers.get('location') ?? '', 'http://x');

  describe('the six ways a payment window ends', () => {
    it.each([
      ['paid', { status: 'paid' }, 'imp_success=true', 'paid'],
      [
        'failed at the PG',
        { status: 'failed', fail_reason: 'PG 승인 실패' },
        'imp_success=false&error_code=F400&error_msg=PG%20%EC%8A%B9%EC%9D%B8%20%EC%8B%A4%ED%8C%A8',
        'failed',
      ],
      [
        'buyer pressed cancel',
        { status: 'ready', pay_method: 'card' },
        'imp_success=false&error_msg=%EC%82%AC%EC%9A%A9%EC%9E%90%EA%B0%80%20%EA%B2%B0%EC%A0%9C%EB%A5%BC%20%EC%B7%A8%EC%86%8C',
        'failed',
      ],
      [
        'window never opened',
        null,
        'imp_success=false&error_code=F1001&error_msg=PG%20%EC%84%A4%EC%A0%95%20%EC%98%A4%EB%A5%98',
        'failed',
      ],
      [
        'card refused',
        { status: 'failed', fail_reason: '한도초과' },
        'success=false&error_code=F0004&error_msg=%ED%95%9C%EB%8F%84%EC%B4%88%EA%B3%BC',
        'failed',
      ],
      ['vbank issued', { status: 'ready', pay_method: 'vbank' }, 'imp_success=true', 'vbank_issued'],
    ] as const)('%s → the buyer lands on the verified %s', async (_label, payment, flagQuery, expected) => {
      const merchantUid = uid('end');
      await register(merchantUid, 12000);
      const created = payment ? await pay({ merchant_uid: merchantUid, amount: 12000, ...payment }) : null;
      const ids = created ? `imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}` : `merchant_uid=${merchantUid}`;
      const response = await s.redirect(`${ids}&${flagQuery}`);
      expect(response.status).toBe(303);
      const location = landing(response);
      expect(location.pathname).toBe(`/payments/${s.store.slug}/result`);
      // Our own result page gets a signed, short-lived link (docs/decisions/0125-small-hardening.md).
      const { exp, sig, ...shown } = Object.fromEntries(location.searchParams);
      // A failure only the buyer's window reported is marked as not confirmed by the gateway.
      expect(shown).toEqual({
        merchant_uid: merchantUid,
        status: expected,
        ...(payment ? {} : { confirmed: 'false' }),
      });
      expect(exp).toMatch(/^\d+$/);
      expect(sig).toMatch(/^[\w-]{43}$/);
      const order = await orderOf(merchantUid);
      if (payment) {
        expect(order.status).toBe(expected);
        expect(await openReasons(order.id)).toEqual([]);
      } else {
        // The gateway has no payment: the buyer sees the failure, the order waits for the gateway (decision 0010).
        expect(order.status).toBe('pending');
        expect(await openReasons(order.id)).toEqual(['unconfirmed_failure']);
      }
    });
  });

  describe('redirect styles', () => {
    it.each([
      ['imp_success', 'imp_success=true', 'true'],
      ['success', 'success=true', 'true'],
      ['none', '', null],
    ] as const)('%s style is recorded; the flag never decides', async (kind, flag, value) => {
      const merchantUid = uid('style');
      await register(merchantUid, 5000);
      const created = await pay({ merchant_uid: merchantUid, amount: 5000, status: 'paid' });
      const response = await s.redirect(
        `imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}${flag ? `&${flag}` : ''}`,
      );
      expect(response.status).toBe(303);
      const hit = await s.t.db
        .selectFrom('redirect_hit')
        .selectAll()
        .where('merchant_uid', '=', merchantUid)
        .executeTakeFirstOrThrow();
      expect({ kind: hit.flag_kind, value: hit.flag_value }).toEqual({ kind, value });
      const order = await orderOf(merchantUid);
      expect(order.status).toBe('paid');
      // A missing flag is evidence worth keeping, but the settled answer already explains it.
      expect(await allReasons(order.id)).toEqual(kind === 'none' ? ['missing_flag:resolved'] : []);
    });

    it('a flag that lies is flagged, and the gateway wins', async () => {
      const merchantUid = uid('liar');
      await register(merchantUid, 5000);
      const created = await pay({ merchant_uid: merchantUid, amount: 5000, status: 'failed' });
      const response = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
      expect(landing(response).searchParams.get('status')).toBe('failed');
      expect(await allReasons((await orderOf(merchantUid)).id)).toEqual(['flag_contradicts_gateway:resolved']);
    });

    it('a tosspayments-style redirect with only merchant_uid is looked up by merchant_uid', async () => {
      const merchantUid = uid('ids');
      await register(merchantUid, 7000);
      const created = await pay({ merchant_uid: merchantUid, amount: 7000, status: 'paid' });
      const response = await s.redirect(`merchant_uid=${merchantUid}`);
      expect(landing(response).searchParams.get('status')).toBe('paid');
      expect((await orderOf(merchantUid)).imp_uid).toBe(created.imp_uid);
    });
  });

  describe('webhooks and redirects in either order', () => {
    it('webhook first, then the redirect: one status change', async () => {
      const merchantUid = uid('wh-first');
      await register(merchantUid, 9000);
      const created = await pay({ merchant_uid: merchantUid, amount: 9000, status: 'paid', webhook: {} });
      await s.flushWebhooks();
      const order = await orderOf(merchantUid);
      expect(order.status).toBe('paid');
      const response = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
      expect(landing(response).searchParams.get('status')).toBe('paid');
      expect(await transitions(order.id)).toEqual(['pending→paid']);
    });

    it('redirect first, then a late webhook: one status change', async () => {
      const merchantUid = uid('rd-first');
      await register(merchantUid, 9000);
      const created = await pay({
        merchant_uid: merchantUid,
        amount: 9000,
        status: 'paid',
        webhook: { delay_seconds: 30 },
      });
      await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
      await s.control('POST', 'advance', { seconds: 31 });
      expect(await s.flushWebhooks()).toBeGreaterThan(0);
      const order = await orderOf(merchantUid);
      const deliveries = await s.t.db
        .selectFrom('webhook_delivery')
        .selectAll()
        .where('merchant_uid', '=', merchantUid)
        .execute();
      expect(deliveries).toHaveLength(1);
      expect(await transitions(order.id)).toEqual(['pending→paid']);
    });

    it('duplicated webhooks are all recorded and change the order once', async () => {
      const merchantUid = uid('dup');
      await register(merchantUid, 3000);
      await pay({ merchant_uid: merchantUid, amount: 3000, status: 'paid', webhook: { copies: 3 } });
      await s.flushWebhooks();
      const deliveries = await s.t.db
        .selectFrom('webhook_delivery')
        .selectAll()
        .where('merchant_uid', '=', merchantUid)
        .orderBy('id')
        .execute();
      expect(deliveries).toHaveLength(3);
      expect(deliveries.map((d) => d.duplicate_of)).toEqual([null, deliveries[0]!.id, deliveries[0]!.id]);
      const order = await orderOf(merchantUid);
      expect(await transitions(order.id)).toEqual(['pending→paid']);
      const kinds = (await orderTimeline(s.ctx, order.id)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'webhook_delivery')).toHaveLength(3);
      expect(kinds).toContain('gateway_check');
      expect(kinds).toContain('verification');
    });
  });

  describe('amounts', () => {
    it('a tampered amount is a mismatch, flagged by default', async () => {
      const merchantUid = uid('tamper');
      await register(merchantUid, 420000);
      await pay({ merchant_uid: merchantUid, amount: 420000, paid_amount: 420, status: 'paid', webhook: {} });
      await s.flushWebhooks();
      const order = await orderOf(merchantUid);
      expect(order).toMatchObject({ status: 'mismatch', expected_amount: 420000, paid_amount: 420 });
      expect(await openReasons(order.id)).toEqual(['amount_mismatch']);
    });

    it('auto-cancel policy refunds a tampered payment with checksum and records everything', async () => {
      const { store, apiKey } = await s.addStore({
        slug: 'strict',
        apiBaseUrl: s.sandbox.url,
        mismatchPolicy: 'auto_cancel',
      });
      const merchantUid = uid('auto');
      await register(merchantUid, 50000, store.slug, apiKey);
      const created = await pay({ merchant_uid: merchantUid, amount: 50000, paid_amount: 500, status: 'paid' });
      const response = await fetch(
        `${s.appUrl}/payments/strict/complete?imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`,
        { redirect: 'manual' },
      );
      expect(landing(response).searchParams.get('status')).toBe('cancelled');
      const order = await orderOf(merchantUid);
      expect(order).toMatchObject({ status: 'cancelled', paid_amount: 500, cancel_amount: 500 });
      expect(await allReasons(order.id)).toEqual(['amount_mismatch:resolved']);
      const cancel = await s.t.db
        .selectFrom('gateway_check')
        .selectAll()
        .where('order_id', '=', order.id)
        .where('operation', '=', 'cancel')
        .executeTakeFirstOrThrow();
      expect(cancel).toMatchObject({ ok: 1, trigger: 'auto_cancel', http_status: 200 });
      expect(JSON.parse(cancel.raw_json!)).toMatchObject({
        code: 0,
        response: { status: 'cancelled', cancel_amount: 500 },
      });
      const atGateway = await s.control<WirePayment>('GET', `payments/${created.imp_uid}`);
      expect(atGateway).toMatchObject({ status: 'cancelled', cancel_amount: 500 });
      expect(await transitions(order.id)).toEqual(['pending→mismatch', 'mismatch→cancelled']);
    });
  });

  it('a vbank is issued, then deposited: two webhooks, two settled states', async () => {
    const merchantUid = uid('vbank');
    await register(merchantUid, 33000);
    const created = await pay({
      merchant_uid: merchantUid,
      amount: 33000,
      status: 'ready',
      pay_method: 'vbank',
      webhook: {},
    });
    await s.flushWebhooks();
    let order = await orderOf(merchantUid);
    expect(order.status).toBe('vbank_issued');
    expect(order.vbank_due_at).not.toBeNull();
    await s.control('POST', `payments/${created.imp_uid}/deposit`, {});
    await s.flushWebhooks();
    order = await orderOf(merchantUid);
    expect(order.status).toBe('paid');
    const statuses = await s.t.db
      .selectFrom('webhook_delivery')
      .select('status')
      .where('merchant_uid', '=', merchantUid)
      .orderBy('id')
      .execute();
    expect(statuses.map((d) => d.status)).toEqual(['ready', 'paid']);
    expect(await transitions(order.id)).toEqual(['pending→vbank_issued', 'vbank_issued→paid']);
    expect(await openReasons(order.id)).toEqual([]);
  });

  describe('the buyer result page', () => {
    // The page shows an order only through the signed link the redirect route issues.
    const resultPage = (merchantUid: string, language = 'en') => {
      const location = signResultLocation(
        s.ctx.config.appSecret,
        s.store.slug,
        `/payments/${s.store.slug}/result?merchant_uid=${merchantUid}&status=paid`,
        s.ctx.now(),
      );
      return fetch(`${s.appUrl}${location}`, { headers: { 'accept-language': language } });
    };

    it('shows the virtual account from the gateway answer (bank, number, holder, amount, deadline), never the query', async () => {
      const merchantUid = uid('vbank-buyer');
      await register(merchantUid, 33000);
      const created = await pay({ merchant_uid: merchantUid, amount: 33000, status: 'ready', pay_method: 'vbank' });
      const response = await s.redirect(
        `imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true&vbank_num=999-FAKE&vbank_name=FakeBank`,
      );
      expect(landing(response).searchParams.get('status')).toBe('vbank_issued');
      const wire = await s.control<{ vbank_name: string; vbank_num: string; vbank_holder: string; vbank_date: number }>(
        'GET',
        `payments/${created.imp_uid}`,
      );
      const html = await (await resultPage(merchantUid, 'ko-KR')).text();
      expect(html).toContain('가상계좌가 발급되었습니다');
      expect(html).toContain(wire.vbank_name);
      expect(html).toContain(wire.vbank_num);
      expect(html).toContain(wire.vbank_holder);
      expect(html).toContain('33,000원');
      expect(html).toMatch(/data-testid="vbank-deadline">\d{4}-\d{2}-\d{2} \d{2}:\d{2} KST</);
      expect(html).not.toContain('999-FAKE');
      expect(html).not.toContain('FakeBank');
    });

    it('shows the paid amount for a paid order and no amount for a failed one', async () => {
      const paidUid = uid('paid-buyer');
      await register(paidUid, 8000);
      const paid = await pay({ merchant_uid: paidUid, amount: 8000, status: 'paid' });
      await s.redirect(`imp_uid=${paid.imp_uid}&merchant_uid=${paidUid}&imp_success=true`);
      const paidHtml = await (await resultPage(paidUid)).text();
      expect(paidHtml).toContain('KRW 8,000');

      const failedUid = uid('failed-buyer');
      await register(failedUid, 8000);
      const failed = await pay({ merchant_uid: failedUid, amount: 8000, status: 'failed', fail_reason: '한도초과' });
      await s.redirect(`imp_uid=${failed.imp_uid}&merchant_uid=${failedUid}&imp_success=false`);
      const failedHtml = await (await resultPage(failedUid)).text();
      expect(failedHtml).toContain('You have not been charged');
      expect(failedHtml).not.toContain('KRW 8,000');
      expect(failedHtml).not.toContain('data-testid="buyer-amount"');
    });
  });

  it('failed, then paid a day later: applied and flagged as a late change', async () => {
    const merchantUid = uid('late');
    await register(merchantUid, 15000);
    const created = await pay({ merchant_uid: merchantUid, amount: 15000, status: 'failed', pg: 'paymentwall' });
    await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=false`);
    expect((await orderOf(merchantUid)).status).toBe('failed');
    s.clock.advance(24 * 3600 * 1000);
    await s.control('POST', `payments/${created.imp_uid}/transition`, { to: 'paid', webhook: {} });
    await s.flushWebhooks();
    const order = await orderOf(merchantUid);
    expect(order.status).toBe('paid');
    expect(await openReasons(order.id)).toEqual(['late_change']);
    expect(await transitions(order.id)).toEqual(['pending→failed', 'failed→paid']);
  });

  it('gateway down during the redirect: the buyer waits on the confirming page, the order stays unverified', async () => {
    const merchantUid = uid('down');
    await register(merchantUid, 8000);
    const created = await pay({ merchant_uid: merchantUid, amount: 8000, status: 'paid' });
    await s.control('PUT', `merchants/${'imp10000000'}/faults`, { status: 503 });
    try {
      const response = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
      expect(response.status).toBe(202);
      expect(response.headers.get('refresh')).toBe('5');
      expect(await response.text()).toContain('We are confirming your payment');
      // A Korean browser reads it in Korean (the refresh is one more recorded hit).
      const korean = await fetch(
        `${s.appUrl}/payments/${s.store.slug}/complete?imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`,
        {
          headers: { 'accept-language': 'ko-KR,ko;q=0.9' },
        },
      );
      expect(await korean.text()).toContain('결제를 확인하고 있습니다');
      const order = await orderOf(merchantUid);
      expect(order.status).toBe('pending');
      expect(await openReasons(order.id)).toEqual(['unverified']);
    } finally {
      await s.control('DELETE', `merchants/${'imp10000000'}/faults`);
    }
    // The confirming page refreshes itself: the same hit again settles it once the gateway answers
    // (after the coalescing window: reloads within it answer from the last look-up).
    s.clock.advance(REDIRECT_COALESCE_MS);
    const again = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
    expect(landing(again).searchParams.get('status')).toBe('paid');
    const order = await orderOf(merchantUid);
    expect(await allReasons(order.id)).toEqual(['unverified:resolved']);
    expect(
      await s.t.db.selectFrom('redirect_hit').select('id').where('merchant_uid', '=', merchantUid).execute(),
    ).toHaveLength(3);
  });

  describe('bounded waiting for the buyer while the gateway is down', () => {
    const gatewayCalls = async (merchantUid: string) =>
      (
        await s.t.db
          .selectFrom('gateway_check')
          .select('id')
          .where('merchant_uid', '=', merchantUid)
          .where('operation', 'in', ['getPayment', 'findPayment'])
          .execute()
      ).length;

    it('reloads within the coalescing window do not each call the gateway, and the page stops refreshing after BUYER_WAIT_SECONDS', async () => {
      const merchantUid = uid('outage');
      await register(merchantUid, 8000);
      const created = await pay({ merchant_uid: merchantUid, amount: 8000, status: 'paid' });
      const query = `imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`;
      await s.control('PUT', `merchants/${'imp10000000'}/faults`, { status: 503 });
      try {
        // 13 reloads 5 s apart (65 s): every one is recorded, the gateway is asked about every 15 s.
        const answers: Response[] = [];
        for (let i = 0; i < 13; i++) {
          answers.push(await s.redirect(query));
          s.clock.advance(5_000);
        }
        const hits = await s.t.db
          .selectFrom('redirect_hit')
          .select('id')
          .where('merchant_uid', '=', merchantUid)
          .execute();
        expect(hits).toHaveLength(13);
        const calls = await gatewayCalls(merchantUid);
        expect(calls).toBeGreaterThanOrEqual(4);
        expect(calls).toBeLessThanOrEqual(5);
        // Within 60 s the page refreshes itself; after it, it stops and says the shop will follow up.
        expect(answers[0]!.status).toBe(202);
        expect(answers[0]!.headers.get('refresh')).toBe('5');
        const last = answers[12]!;
        expect(last.status).toBe(200);
        expect(last.headers.get('refresh')).toBeNull();
        const text = await last.text();
        expect(text).toContain('Your payment is still being confirmed');
        expect(text).toContain('the shop will confirm your payment and follow up');
      } finally {
        await s.control('DELETE', `merchants/${'imp10000000'}/faults`);
      }
      // A reload after the outage (the "Check again" link) still settles it.
      s.clock.advance(REDIRECT_COALESCE_MS);
      const after = await s.redirect(query);
      expect(landing(after).searchParams.get('status')).toBe('paid');
    });

    it('an unknown merchant_uid gets a bounded page too', async () => {
      const merchantUid = uid('never-registered');
      const first = await s.redirect(`merchant_uid=${merchantUid}&imp_success=true`);
      expect(first.status).toBe(202);
      expect(first.headers.get('refresh')).toBe('5');
      s.clock.advance(61_000);
      const later = await s.redirect(`merchant_uid=${merchantUid}&imp_success=true`);
      expect(later.status).toBe(200);
      expect(later.headers.get('refresh')).toBeNull();
      expect(await later.text()).toContain('Your payment is still being confirmed');
    });
  });

  describe('unknown merchant_uid', () => {
    it('takes the expected amount from the prepare record', async () => {
      const merchantUid = uid('unknown-prepared');
      const prepared = await s.ctx.gateways.forStore(s.store).prepare({ merchantUid, amount: 21000 });
      expect(prepared.ok).toBe(true);
      await pay({ merchant_uid: merchantUid, amount: 21000, status: 'paid', webhook: {} });
      await s.flushWebhooks();
      const order = await orderOf(merchantUid);
      expect(order).toMatchObject({ source: 'evidence', expected_amount: 21000, status: 'paid' });
      expect(await openReasons(order.id)).toEqual(['unknown_order']);
    });

    it('keeps an unregistered, unprepared payment with its amount unknown', async () => {
      const merchantUid = uid('unknown-bare');
      await pay({ merchant_uid: merchantUid, amount: 1234, status: 'paid', webhook: {} });
      await s.flushWebhooks();
      const order = await orderOf(merchantUid);
      expect(order).toMatchObject({ source: 'evidence', expected_amount: null, paid_amount: 1234, status: 'paid' });
      const reason = await s.t.db
        .selectFrom('attention_reason')
        .selectAll()
        .where('order_id', '=', order.id)
        .executeTakeFirstOrThrow();
      expect(reason).toMatchObject({ reason: 'unknown_order', resolved_at: null });
      expect(reason.detail).toContain('expected amount unknown');
    });
  });

  it('exposes counters and the queue depth at /metrics', async () => {
    const text = await (await fetch(`${s.appUrl}/metrics`)).text();
    expect(text).toMatch(/^monitor_redirects_total\{outcome="paid"\} \d+$/m);
    expect(text).toMatch(/^monitor_webhooks_total\{answer="200",duplicate="true"\} 2$/m);
    expect(text).toMatch(/^monitor_verifications_total\{trigger="webhook",outcome="paid"\} \d+$/m);
    expect(text).toMatch(/^monitor_gateway_calls_total\{operation="getPayment",status="200"\} \d+$/m);
    expect(text).toMatch(/^monitor_webhook_queue_depth 0$/m);
  });
});
