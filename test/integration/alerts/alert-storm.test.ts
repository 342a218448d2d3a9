import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue } from '~/alerts/delivery.server';
import type { LedgerEvent } from '~/monitor/verify/ledger-events';
import { addChannel, deliveryDeps, emailChannelFields } from '../../helpers/alerts';
import { createMonitorHarness, type MonitorHarness } from '../../helpers/monitor';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver';
import { startReceiver, type Receiver } from '../sandbox/harness';

/**
 * A storm: 500 amount mismatches in one minute. Each opens its own incident (one per order) in
 * its own transaction, as the ledger would; each channel still gets at most one message per
 * grouping interval, with the right counts and the first few orders, and resolving all of them
 * sends one resolution message.
 */
describe('a storm of mismatches', () => {
  let h: MonitorHarness;
  let smtp: SmtpReceiver;
  let slack: Receiver;
  let storeId: number;

  const event = (i: number, type: 'reason_opened' | 'reason_resolved'): LedgerEvent => {
    const base = {
      orderId: 10_000 + i,
      storeId,
      merchantUid: `storm-${String(i).padStart(3, '0')}`,
      status: 'mismatch' as const,
      expectedAmount: 15000,
      paidAmount: 100,
      currency: 'KRW',
      trigger: 'webhook' as const,
      at: h.ctx.now().toISOString(),
    };
    return type === 'reason_opened'
      ? { ...base, type, reason: 'amount_mismatch', detail: 'expected 15000 KRW, gateway has 100 KRW' }
      : { ...base, type, reason: 'amount_mismatch', by: 'gateway' };
  };
  /** One ledger transaction per event, like 500 separate verifications. */
  const emit = async (from: number, to: number, type: 'reason_opened' | 'reason_resolved') => {
    for (let i = from; i < to; i++) {
      h.clock.advance(100); // 500 events × 100 ms: all within one minute
      await h.ctx.db.transaction().execute(async (trx) => {
        for (const listener of h.ctx.ledgerListeners) await listener(trx, [event(i, type)]);
      });
    }
  };
  const deliver = () => deliverDue(deliveryDeps(h.ctx));

  beforeAll(async () => {
    h = await createMonitorHarness();
    smtp = await startSmtpReceiver();
    slack = await startReceiver();
    storeId = (await h.addStore({ name: '폭주 상점' })).store.id;
    await addChannel(h.ctx, emailChannelFields(smtp.port, { groupSeconds: '60' }));
    await addChannel(h.ctx, {
      name: 'slack',
      kind: 'slack',
      url: `${slack.url}/hook`,
      locale: 'en',
      groupSeconds: '60',
    });
  });
  afterAll(async () => {
    await smtp?.close();
    await slack?.close();
    await h?.close();
  });

  it('sends one message per channel per interval, with counts that add up to 500', async () => {
    await emit(0, 100, 'reason_opened');
    expect(await deliver()).toBe(2); // the first 100: one message per channel
    await emit(100, 500, 'reason_opened');
    expect(await deliver()).toBe(0); // inside the interval: held back
    expect(smtp.mails).toHaveLength(1);
    h.clock.advance(60_000);
    expect(await deliver()).toBe(2); // the next interval: the other 400, grouped
    expect(await deliver()).toBe(0);

    expect(
      await h.t.db
        .selectFrom('alert_incident')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    ).toEqual({ n: 500 });
    const mails = await smtp.waitFor(2);
    expect(mails).toHaveLength(2);
    expect(mails[0]!.subject).toBe('[심각] 알림 100건: 새 알림 100건');
    expect(mails[1]!.subject).toBe('[심각] 알림 400건: 새 알림 400건');
    expect(mails[1]!.text).toContain('금액 불일치 ×400');
    // The first few orders, with their amounts and links, then how many more.
    expect(mails[1]!.text).toContain(
      '- 새 알림 · 금액 불일치 · 폭주 상점 · storm-100 (₩15,000 → ₩100) http://monitor.test/orders/10100',
    );
    expect(mails[1]!.text.match(/^- /gm)).toHaveLength(5);
    expect(mails[1]!.text).toContain('… 외 395건');

    const slackBodies = (await slack.waitFor(2)).map((r) => JSON.parse(r.body) as { text: string });
    expect(slackBodies.map((b) => b.text)).toEqual([
      '[Critical] 100 alerts: 100 new',
      '[Critical] 400 alerts: 400 new',
    ]);
    const messages = await h.t.db
      .selectFrom('alert_message')
      .select(['channel_id', 'item_count', 'state'])
      .orderBy('id')
      .execute();
    expect(messages.map((m) => [m.item_count, m.state])).toEqual([
      [100, 'sent'],
      [100, 'sent'],
      [400, 'sent'],
      [400, 'sent'],
    ]);
  });

  it('a second event for an open incident only counts it', async () => {
    await emit(0, 1, 'reason_opened');
    const incident = await h.t.db
      .selectFrom('alert_incident')
      .selectAll()
      .where('subject', '=', 'storm-000')
      .executeTakeFirstOrThrow();
    expect(incident.event_count).toBe(2);
    expect(
      await h.t.db
        .selectFrom('alert_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'pending')
        .executeTakeFirst(),
    ).toEqual({ n: 0 });
  });

  it('resolving all 500 sends the resolution once per channel', async () => {
    h.clock.advance(60_000);
    await emit(0, 500, 'reason_resolved');
    expect(await deliver()).toBe(2);
    h.clock.advance(120_000);
    expect(await deliver()).toBe(0);
    await emit(0, 500, 'reason_resolved'); // resolved again: nothing is open, nothing is sent
    h.clock.advance(120_000);
    expect(await deliver()).toBe(0);
    const mails = await smtp.waitFor(3);
    expect(mails).toHaveLength(3);
    expect(mails[2]!.subject).toBe('[심각] 알림 500건: 해결 500건');
    expect(slack.requests).toHaveLength(3);
    const open = await h.t.db.selectFrom('alert_incident').select('id').where('resolved_at', 'is', null).execute();
    expect(open).toEqual([]);
  });
});
