import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue } from '~/alerts/delivery.server';
import type { LedgerEvent } from '~/monitor/verify/ledger-events';
import { createStore } from '~/monitor/stores/stores.server';
import { loader as incidentLoader, action as incidentAction } from '~/routes/_dash.alerts.incidents.$incidentId';
import { action as rulesAction } from '~/routes/_dash.alerts.rules';
import { action as channelsAction } from '~/routes/_dash.alerts.channels';
import { addChannel, deliveryDeps, emailChannelFields } from '../../helpers/alerts';
import { callRoute, createAuthHarness, makeRequest, type AuthHarness, type TestUser } from '../../helpers/auth';
import { closedPort } from '../../helpers/monitor';
import { startSmtpReceiver, type SmtpReceiver } from '../../helpers/smtp-receiver';

type IncidentPage = {
  incident: {
    state: string;
    deliveries: {
      messageState: string | null;
      attempts: { attempt: number; ok: boolean; error: string | null; status: number | null }[];
    }[];
  };
};

/**
 * Delivery when the receiver is down: every attempt is recorded with its answer, retries back
 * off exponentially, and the message is delivered once the SMTP server is back. Also: two
 * workers on two connections deliver each message once; operators acknowledge, viewers cannot.
 */
describe('alert delivery faults and roles', () => {
  let h: AuthHarness;
  let port: number;
  let smtp: SmtpReceiver | null = null;
  let storeId: number;
  let admin: TestUser;
  let operator: TestUser;
  let viewer: TestUser;

  const mismatch = (n: number): Extract<LedgerEvent, { type: 'reason_opened' }> => ({
    type: 'reason_opened',
    reason: 'amount_mismatch',
    detail: 'expected 50000 KRW, gateway has 500 KRW',
    orderId: 900 + n,
    storeId,
    merchantUid: `fault-${n}`,
    status: 'mismatch',
    expectedAmount: 50000,
    paidAmount: 500,
    currency: 'KRW',
    trigger: 'webhook',
    at: h.clock.now().toISOString(),
  });
  const emit = (event: LedgerEvent) =>
    h.ctx.db.transaction().execute(async (trx) => {
      for (const listener of h.ctx.ledgerListeners) await listener(trx, [event]);
    });
  const deliver = () => deliverDue(deliveryDeps(h.ctx));
  const page = async (id: number, user: TestUser) => {
    const { cookie } = await h.sessionFor(user);
    const request = makeRequest(`/alerts/incidents/${id}`, { cookie });
    return (await (
      await callRoute(incidentLoader, request, { incidentId: String(id) }, h.context(request))
    ).json()) as IncidentPage;
  };

  beforeAll(async () => {
    h = await createAuthHarness();
    port = await closedPort();
    storeId = (
      await createStore(
        { db: h.t.db, now: h.clock.now, appSecret: h.config.appSecret },
        {
          slug: 'shop',
          name: 'Shop',
          impCode: 'imp10000000',
          impKey: 'k',
          impSecret: 's',
          apiBaseUrl: 'http://127.0.0.1:9',
        },
      )
    ).store.id;
    await addChannel(h.ctx, emailChannelFields(port, { groupSeconds: '0' }));
    admin = await h.addUser('admin@shop.test', 'admin');
    operator = await h.addUser('op@shop.test', 'operator');
    viewer = await h.addUser('viewer@shop.test', 'viewer');
  });
  afterAll(async () => {
    await smtp?.close();
    await h?.close();
  });

  it('retries with exponential backoff while the SMTP server is down, then delivers once it is back', async () => {
    await emit(mismatch(1));
    expect(await deliver()).toBe(1); // attempt 1: connection refused
    const states = async () =>
      h.t.db.selectFrom('alert_message').select(['state', 'attempts', 'next_attempt_at']).executeTakeFirstOrThrow();
    const first = await states();
    expect(first).toMatchObject({ state: 'retry', attempts: 1 });
    const delays: number[] = [(new Date(first.next_attempt_at).getTime() - h.clock.now().getTime()) / 1000];

    h.clock.advance(5_000);
    expect(await deliver()).toBe(0); // not due yet
    for (let i = 0; i < 3; i++) {
      h.clock.advance(delays[delays.length - 1]! * 1000);
      expect(await deliver()).toBe(1);
      const s = await states();
      expect(s).toMatchObject({ state: 'retry', attempts: i + 2 });
      delays.push((new Date(s.next_attempt_at).getTime() - h.clock.now().getTime()) / 1000);
    }
    expect(delays).toEqual([10, 20, 40, 80]);

    smtp = await startSmtpReceiver(port); // the server is back on the configured address
    h.clock.advance(80_000);
    expect(await deliver()).toBe(1);
    expect(await states()).toMatchObject({ state: 'sent', attempts: 5 });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.subject).toContain('fault-1');
    expect(await deliver()).toBe(0);
  });

  it('shows every attempt on the incident page', async () => {
    const incident = await h.t.db
      .selectFrom('alert_incident')
      .select('id')
      .where('subject', '=', 'fault-1')
      .executeTakeFirstOrThrow();
    const body = await page(incident.id, viewer);
    const attempts = body.incident.deliveries.flatMap((d) => d.attempts);
    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, false],
      [5, true],
    ]);
    expect(attempts[0]!.error).toMatch(/ECONNREFUSED/);
    expect(attempts[4]!.status).toBe(250);
    expect(body.incident.deliveries[0]!.messageState).toBe('sent');
  });

  // better-sqlite3 is synchronous: two handles in one process would block each other's busy wait,
  // so the two workers share the connection and interleave statement by statement.
  it('two workers racing deliver each message once', async () => {
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 20; n++) await emit(mismatch(100 + round * 20 + n));
      await Promise.all([
        deliverDue(deliveryDeps(h.ctx, { holder: 'worker-a' })),
        deliverDue(deliveryDeps(h.ctx, { holder: 'worker-b' })),
        deliverDue(deliveryDeps(h.ctx, { holder: 'worker-c' })),
      ]);
    }
    const bundled = await h.t.db
      .selectFrom('alert_outbox')
      .select(['message_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('incident_id', 'is not', null)
      .groupBy('message_id')
      .execute();
    expect(bundled.every((b) => b.message_id !== null)).toBe(true);
    expect(bundled.reduce((n, b) => n + Number(b.n), 0)).toBe(101);
    // Every outbox row is in exactly one message, and every message was accepted once.
    const subjects = smtp!.mails.flatMap((m) => [...m.text.matchAll(/fault-\d+/g)].map((x) => x[0]));
    const perIncident = new Map<string, number>();
    for (const s of subjects) perIncident.set(s, (perIncident.get(s) ?? 0) + 1);
    expect(perIncident.size).toBeGreaterThan(0);
    const sent = await h.t.db.selectFrom('alert_message').select(['state']).where('state', '!=', 'sent').execute();
    expect(sent).toEqual([]);
    const attempts = await h.t.db.selectFrom('alert_delivery_attempt').select('message_id').execute();
    const messages = await h.t.db.selectFrom('alert_message').select('id').execute();
    expect(attempts.length - 4).toBe(messages.length); // the four failed attempts above are the only extras
    expect(smtp!.mails.length).toBe(messages.length);
  });

  it('operators acknowledge with a note (audited); viewers cannot; reminders stop', async () => {
    const incident = await h.t.db
      .selectFrom('alert_incident')
      .select('id')
      .where('subject', '=', 'fault-1')
      .executeTakeFirstOrThrow();
    const post = async (user: TestUser, form: Record<string, string>) => {
      const { cookie, csrf } = await h.sessionFor(user);
      const request = makeRequest(`/alerts/incidents/${incident.id}`, { cookie, form: { ...form, _csrf: csrf } });
      return callRoute(incidentAction, request, { incidentId: String(incident.id) }, h.context(request));
    };
    expect((await post(viewer, { intent: 'acknowledge', note: 'looking' })).status).toBe(403);
    expect((await post(operator, { intent: 'acknowledge', note: '' })).status).toBe(400);
    expect((await post(operator, { intent: 'acknowledge', note: 'calling the buyer' })).status).toBe(303);
    const row = await h.t.db
      .selectFrom('alert_incident')
      .selectAll()
      .where('id', '=', incident.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'acknowledged', acknowledged_by: 'op@shop.test', next_reminder_at: null });
    const audit = await h.t.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'alert_incident.acknowledge')
      .execute();
    expect(audit.map((a) => [a.actor_label, a.reason])).toEqual([['op@shop.test', 'calling the buyer']]);
    expect((await post(operator, { intent: 'mute', minutes: '30', reason: 'known issue' })).status).toBe(303);
    expect((await post(operator, { intent: 'mute', minutes: '0', reason: 'x' })).status).toBe(400);
  });

  it('only admins change rules and channels', async () => {
    const { cookie, csrf } = await h.sessionFor(operator);
    const rules = makeRequest('/alerts/rules', {
      cookie,
      form: { _csrf: csrf, store: 'shop', 'on.amount_mismatch': 'on' },
    });
    expect((await callRoute(rulesAction, rules, {}, h.context(rules))).status).toBe(403);
    const channel = makeRequest('/alerts/channels', {
      cookie,
      form: { _csrf: csrf, intent: 'create', name: 'x', kind: 'slack', url: 'http://127.0.0.1:1/x' },
    });
    expect((await callRoute(channelsAction, channel, {}, h.context(channel))).status).toBe(403);

    const a = await h.sessionFor(admin);
    const bad = makeRequest('/alerts/rules', {
      cookie: a.cookie,
      form: { _csrf: a.csrf, store: 'shop', 'threshold.reason_age': '-5' },
    });
    expect((await callRoute(rulesAction, bad, {}, h.context(bad))).status).toBe(400);
    // Everything unchecked but the mismatch rule, and a custom age threshold.
    const good = makeRequest('/alerts/rules', {
      cookie: a.cookie,
      form: {
        _csrf: a.csrf,
        store: 'shop',
        'on.amount_mismatch': 'on',
        'on.reason_age': 'on',
        'threshold.reason_age': '15',
      },
    });
    expect((await callRoute(rulesAction, good, {}, h.context(good))).status).toBe(303);
    const saved = await h.t.db
      .selectFrom('alert_rule_setting')
      .selectAll()
      .where('rule', 'in', ['reason_age', 'late_change'])
      .orderBy('rule')
      .execute();
    expect(saved.map((r) => [r.rule, r.enabled, r.threshold])).toEqual([
      ['late_change', 0, null],
      ['reason_age', 1, 15],
    ]);
    // A disabled rule opens nothing.
    const before = await h.t.db.selectFrom('alert_incident').select('id').execute();
    await emit({ ...mismatch(999), reason: 'late_change' });
    expect(await h.t.db.selectFrom('alert_incident').select('id').execute()).toHaveLength(before.length);
    const bogus = makeRequest('/alerts/channels', {
      cookie: a.cookie,
      form: { _csrf: a.csrf, intent: 'create', name: 'x', kind: 'webhook', url: 'javascript:alert(1)' },
    });
    expect((await callRoute(channelsAction, bogus, {}, h.context(bogus))).status).toBe(400);
  });
});
