import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOrderLogCsv } from '~/monitor/dashboard/csv-export.server';
import { orderLog } from '~/monitor/dashboard/payment-log.server';
import { orderDetail } from '~/monitor/dashboard/order-page.server';
import { startMonitorStack, type MonitorStack } from '../../../helpers/stack';

type WirePayment = {
  imp_uid: string;
  merchant_uid: string;
  vbank_num: string;
  vbank_name: string;
  vbank_holder: string;
};

/**
 * Amounts that mean what they say, and what the gateway said about the buyer, on the order page
 * and in the CSV (issue 12, defects 1 and 2 and list 7), through the real stack.
 */
describe('amounts and gateway facts on the order page and in the CSV', () => {
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
  const payAndRedirect = async (merchantUid: string, body: Record<string, unknown>) => {
    const created = await s.control<WirePayment>('POST', 'payments', {
      webhook: false,
      merchant_uid: merchantUid,
      ...body,
    });
    await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
    return created;
  };
  const orderId = async (merchantUid: string) =>
    (await s.t.db.selectFrom('order').select('id').where('merchant_uid', '=', merchantUid).executeTakeFirstOrThrow())
      .id;
  const csv = async (options: { maskBuyer?: boolean } = {}) => {
    const { body } = await exportOrderLogCsv(s.ctx, new URLSearchParams(), s.clock.now(), options);
    const text = await new Response(body).text();
    const [header, ...lines] = text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const columns = header!.split(',');
    return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
  };

  it('a failed payment has no paid amount, nothing refundable, and its fail reason and buyer contact', async () => {
    const merchantUid = uid('failed');
    await register(merchantUid, 8000);
    await payAndRedirect(merchantUid, {
      amount: 8000,
      status: 'failed',
      fail_reason: '카드 한도초과',
      buyer_email: 'buyer@example.com',
      buyer_tel: '010-1234-5678',
    });
    const { order } = await orderDetail(s.ctx, await orderId(merchantUid));
    expect(order.status).toBe('failed');
    expect(order).toMatchObject({ paidAmount: null, cancelAmount: null, netAmount: null, refundable: 0 });
    expect(order.gatewayAmount).toBe(8000);
    expect(order.facts).toMatchObject({
      failReason: '카드 한도초과',
      buyerEmail: 'buyer@example.com',
      buyerTel: '010-1234-5678',
    });
    const row = (await csv()).find((r) => r.merchant_uid === merchantUid)!;
    expect(row).toMatchObject({
      paid_amount: '',
      cancel_amount: '',
      net_amount: '',
      fail_reason: '카드 한도초과',
      buyer_email: 'buyer@example.com',
    });
    expect(row.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect(row.buyer_tel).toBe('010-1234-5678');
    // A viewer's CSV masks the contact.
    const masked = (await csv({ maskBuyer: true })).find((r) => r.merchant_uid === merchantUid)!;
    expect(masked).toMatchObject({ buyer_email: 'b****@example.com', buyer_tel: '0**-****-****' });
    // The contact is on the order now, so the log finds it by phone digits and by email.
    const byPhone = await orderLog(s.ctx, new URLSearchParams({ q: '+82 10 1234 5678', field: 'phone' }), {
      buyerSearch: true,
    });
    expect(byPhone.page.items.map((i) => i.merchantUid)).toEqual([merchantUid]);
    const byEmail = await orderLog(s.ctx, new URLSearchParams({ q: 'BUYER@', field: 'email' }), {
      buyerSearch: true,
    });
    expect(byEmail.page.items.map((i) => i.merchantUid)).toContain(merchantUid);
  });

  it('a partly refunded payment shows paid, refunded and net', async () => {
    const merchantUid = uid('partial');
    await register(merchantUid, 4000);
    const created = await payAndRedirect(merchantUid, { amount: 4000, status: 'paid' });
    await s.control('POST', `payments/${created.imp_uid}/transition`, {
      to: 'cancelled',
      amount: 1500,
      reason: '부분 환불',
      webhook: false,
    });
    s.clock.advance(20_000);
    await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
    const { order } = await orderDetail(s.ctx, await orderId(merchantUid));
    expect(order).toMatchObject({
      status: 'partially_cancelled',
      paidAmount: 4000,
      cancelAmount: 1500,
      netAmount: 2500,
      refundable: 2500,
    });
    expect(order.facts.cancelReason).toBe('부분 환불');
    expect((await csv()).find((r) => r.merchant_uid === merchantUid)).toMatchObject({
      paid_amount: '4000',
      cancel_amount: '1500',
      net_amount: '2500',
      cancel_reason: '부분 환불',
    });
  });

  it('an issued virtual account: nothing paid yet, the account and its deadline on the order page and in the CSV', async () => {
    const merchantUid = uid('vbank');
    await register(merchantUid, 33000);
    const created = await payAndRedirect(merchantUid, { amount: 33000, status: 'ready', pay_method: 'vbank' });
    const { order } = await orderDetail({ ...s.ctx, now: s.clock.now }, await orderId(merchantUid));
    expect(order).toMatchObject({ status: 'vbank_issued', paidAmount: null, refundable: 0, awaitingDeposit: 33000 });
    expect(order.vbank).toMatchObject({
      bank: created.vbank_name,
      number: created.vbank_num,
      holder: created.vbank_holder,
      amount: 33000,
      overdue: false,
    });
    expect(order.vbank!.deadline).not.toBeNull();
    const row = (await csv()).find((r) => r.merchant_uid === merchantUid)!;
    expect(row).toMatchObject({
      paid_amount: '',
      vbank_bank: created.vbank_name,
      vbank_num: created.vbank_num,
      vbank_holder: created.vbank_holder,
      vbank_amount: '33000',
      vbank_overdue: 'no',
    });
    expect(row.vbank_due).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect(Date.parse(row.vbank_due!)).toBe(Date.parse(order.vbank!.deadline!));
    // After the deadline the order page says it is overdue.
    s.clock.set(new Date(new Date(order.vbank!.deadline!).getTime() + 60_000).toISOString());
    const later = await orderDetail({ ...s.ctx, now: s.clock.now }, await orderId(merchantUid));
    expect(later.order.vbank!.overdue).toBe(true);
  });
});
