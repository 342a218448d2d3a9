import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue } from '~/alerts/delivery.server';
import { addChannel, deliveryDeps, emailChannelFields } from '../../helpers/alerts';
import { ORIGIN } from '../../helpers/app-server';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver';
import { startMonitorStack, type MonitorStack } from '../../helpers/stack';
import { startReceiver, type Receiver } from '../sandbox/harness';

type WirePayment = { imp_uid: string; merchant_uid: string; amount: number };

/**
 * A tampered amount, verified through the real stack (production build, sandbox over HTTP),
 * reaches real receivers: an SMTP server, a Slack-like HTTP endpoint and a webhook receiver
 * that checks the Standard Webhooks signature with the `standardwebhooks` package.
 */
describe('alert channels with real receivers', () => {
  let s: MonitorStack;
  let smtp: SmtpReceiver;
  let slack: Receiver;
  let hook: Receiver;
  let secret: string;
  let orderId: number;
  const merchantUid = 'tamper-1';

  beforeAll(async () => {
    s = await startMonitorStack();
    smtp = await startSmtpReceiver();
    slack = await startReceiver();
    hook = await startReceiver();
    await addChannel(s.ctx, emailChannelFields(smtp.port));
    await addChannel(s.ctx, {
      name: 'slack',
      kind: 'slack',
      url: `${slack.url}/services/T000/B000/XXXX`,
      locale: 'en',
    });
    secret = (await addChannel(s.ctx, { name: 'hook', kind: 'webhook', url: `${hook.url}/alerts`, locale: 'en' }))
      .secret!;

    const response = await s.registerOrder({ merchant_uid: merchantUid, amount: 15000, name: '커피 원두' });
    expect(response.status).toBe(201);
    // The buyer tampered with the amount in the browser: the gateway took 1,000 for a 15,000 order.
    const paid = await s.control<WirePayment>('POST', 'payments', {
      merchant_uid: merchantUid,
      amount: 15000,
      paid_amount: 1000,
      status: 'paid',
      webhook: false,
    });
    const redirect = await s.redirect(`imp_uid=${paid.imp_uid}&merchant_uid=${merchantUid}&imp_success=true`);
    expect(redirect.status).toBe(303);
    const order = await s.t.db
      .selectFrom('order')
      .selectAll()
      .where('merchant_uid', '=', merchantUid)
      .executeTakeFirstOrThrow();
    expect(order.status).toBe('mismatch');
    orderId = order.id;
    expect(await deliverDue(deliveryDeps(s.ctx))).toBe(3);
  });
  afterAll(async () => {
    await smtp?.close();
    await slack?.close();
    await hook?.close();
    await s?.stop();
  });

  it('opens one incident for the order, written with the verification', async () => {
    const incidents = await s.t.db.selectFrom('alert_incident').selectAll().execute();
    expect(incidents.map((i) => [i.rule, i.subject, i.state, i.order_id])).toEqual([
      ['amount_mismatch', merchantUid, 'open', orderId],
    ]);
    const outbox = await s.t.db.selectFrom('alert_outbox').select(['kind', 'state']).execute();
    expect(outbox).toEqual([
      { kind: 'opened', state: 'bundled' },
      { kind: 'opened', state: 'bundled' },
      { kind: 'opened', state: 'bundled' },
    ]);
  });

  it('emails the tampered amount in Korean, with the order link, to every recipient', async () => {
    const [mail] = await smtp.waitFor(1);
    expect(smtp.mails).toHaveLength(1);
    expect(mail!.to).toEqual(['ops@shop.test', 'cto@shop.test']);
    expect(mail!.subject).toBe(`[심각] 금액 불일치 · Store 1 · ${merchantUid}`);
    expect(mail!.text).toContain('결제사가 주문과 다른 금액이나 통화로 결제되었다고 합니다');
    expect(mail!.text).toContain('주문 금액: ₩15,000');
    expect(mail!.text).toContain('결제사 결제 금액: ₩1,000');
    expect(mail!.text).toContain(`주문 페이지: ${ORIGIN}/orders/${orderId}`);
    // Display time zone: the test clock's 09:00 UTC is 18:00 KST.
    expect(mail!.text).toMatch(/발생 시각: 2026-11-24 18:00:00 KST/);
    expect(mail!.html).toContain(`href="${ORIGIN}/orders/${orderId}"`);
  });

  it('posts a Block Kit message to Slack with the store, the order, the amounts and the link', async () => {
    const [request] = await slack.waitFor(1);
    expect(request!.path).toBe('/services/T000/B000/XXXX');
    const body = JSON.parse(request!.body) as {
      text: string;
      blocks: { type: string; fields?: { text: string }[]; elements?: { url: string }[] }[];
    };
    expect(body.text).toBe(`[Critical] Amount mismatch · Store 1 · ${merchantUid}`);
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    const fields = body.blocks[2]!.fields!.map((f) => f.text);
    expect(fields).toEqual(
      expect.arrayContaining([
        '*Store*\nStore 1 (shop)',
        `*Order*\n${merchantUid}`,
        '*Expected*\n₩15,000',
        '*Paid at the gateway*\n₩1,000',
      ]),
    );
    expect(body.blocks[3]!.elements![0]!.url).toBe(`${ORIGIN}/orders/${orderId}`);
  });

  it('signs the webhook so the standardwebhooks library verifies it, and refuses a tampered copy', async () => {
    const [request] = await hook.waitFor(1);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = {
      'webhook-id': String(request!.headers['webhook-id']),
      'webhook-timestamp': String(request!.headers['webhook-timestamp']),
      'webhook-signature': String(request!.headers['webhook-signature']),
    };
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verified = new Webhook(secret).verify(request!.body, headers) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(verified.type).toBe('incident.opened');
    expect(verified.data).toMatchObject({
      rule: 'amount_mismatch',
      store: 'shop',
      merchant_uid: merchantUid,
      expected_amount: 15000,
      paid_amount: 1000,
      currency: 'KRW',
      order_url: `${ORIGIN}/orders/${orderId}`,
    });
    const tampered = request!.body.replace('"paid_amount":1000', '"paid_amount":15000');
    expect(tampered).not.toBe(request!.body);
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow();
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret!!').toString('base64')}`).verify(request!.body, headers),
    ).toThrow();
  });

  it('keeps the channel secrets sealed at rest', async () => {
    const rows = await s.t.db.selectFrom('alert_channel').select(['kind', 'secret_enc', 'config_json']).execute();
    for (const row of rows.filter((r) => r.kind !== 'email')) {
      expect(row.secret_enc).toMatch(/^v1\./);
      expect(row.secret_enc).not.toContain('XXXX');
      expect(row.secret_enc).not.toContain(secret.slice(6, 20));
      expect(row.config_json).not.toContain('services/T000');
    }
  });

  it('records every attempt with the receiver’s answer', async () => {
    const attempts = await s.t.db.selectFrom('alert_delivery_attempt').selectAll().orderBy('channel_id').execute();
    expect(attempts.map((a) => [a.attempt, a.ok, a.response_status])).toEqual([
      [1, 1, 250],
      [1, 1, 200],
      [1, 1, 200],
    ]);
    expect(attempts[0]!.response_text).toMatch(/^250 /);
  });
});
