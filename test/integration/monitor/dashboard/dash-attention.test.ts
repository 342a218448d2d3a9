import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action as attentionAction, loader as attentionLoader } from '~/routes/_dash.attention';
import type { AttentionQueue } from '~/monitor/dashboard/attention-queue.server';
import { registerOrder } from '~/monitor/capture/orders.server';
import { callRoute, openReasonNames } from '../../../helpers/monitor';
import { startMonitorStack, SANDBOX_MERCHANT, type MonitorStack } from '../../../helpers/stack';
import { contextFor, dashUser, flashOf, getAs, postForm, type DashUser } from '../../../helpers/dash-orders';

type WirePayment = { imp_uid: string; merchant_uid: string; amount: number; status: string };

/**
 * The attention queue: ambiguous orders grouped by reason, oldest first, with per-row and bulk
 * re-check / resolve through one form, against the sandbox in-process.
 */
describe('attention queue', () => {
  let s: MonitorStack;
  let operator: DashUser;
  let viewer: DashUser;
  let n = 0;

  beforeAll(async () => {
    s = await startMonitorStack();
    [operator, viewer] = await Promise.all([
      dashUser(s.ctx, 'op@example.com', 'operator'),
      dashUser(s.ctx, 'view@example.com', 'viewer'),
    ]);
  });
  afterAll(() => s?.stop());

  const openReasons = (orderId: number) => openReasonNames(s.t.db, orderId);

  /** A paid payment whose verification failed (gateway 500): `unverified` open, next check scheduled. */
  async function unverified(pay = true): Promise<number> {
    const merchantUid = `att-${++n}`;
    await registerOrder(s.ctx, s.store, { merchant_uid: merchantUid, amount: 5000 });
    const payment = pay
      ? await s.control<WirePayment>('POST', 'payments', {
          merchant_uid: merchantUid,
          amount: 5000,
          status: 'paid',
          webhook: false,
        })
      : null;
    await s.control('PUT', `merchants/${SANDBOX_MERCHANT.impCode}/faults`, { status: 500 });
    try {
      await s.redirect(`${payment ? `imp_uid=${payment.imp_uid}&` : ''}merchant_uid=${merchantUid}&imp_success=true`);
    } finally {
      await s.control('DELETE', `merchants/${SANDBOX_MERCHANT.impCode}/faults`);
    }
    const order = await s.t.db
      .selectFrom('order')
      .select('id')
      .where('merchant_uid', '=', merchantUid)
      .executeTakeFirstOrThrow();
    s.clock.advance(60_000);
    return order.id;
  }

  async function queue(
    user: DashUser,
    search = '',
  ): Promise<{ status: number; body: AttentionQueue & { ok: boolean; error?: string } }> {
    const request = getAs(`/attention${search}`, user);
    const response = await callRoute(attentionLoader, request, {}, contextFor(s.ctx, request));
    return { status: response.status, body: (await response.json()) as AttentionQueue & { ok: boolean } };
  }

  async function post(user: DashUser | null, fields: [string, string][], options: { csrf?: string | null } = {}) {
    const request = postForm('/attention', user, fields, options);
    return callRoute(attentionAction, request, {}, contextFor(s.ctx, request));
  }

  it('is empty (and says so) before anything is ambiguous', async () => {
    const { status, body } = await queue(viewer);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, total: 0, groups: [] });
  });

  it('groups open reasons by kind, oldest first, with the next check and attempts', async () => {
    const first = await unverified();
    const second = await unverified();
    // Another kind, opened by hand between them in time.
    await s.t.db
      .insertInto('attention_reason')
      .values({
        order_id: second,
        reason: 'amount_mismatch',
        opened_at: '2026-11-24T08:00:00.000Z',
        detail: 'expected 5000, paid 50',
      })
      .execute();
    await s.t.db.updateTable('order').set({ open_reason_count: 2 }).where('id', '=', second).execute();

    const { body } = await queue(viewer);
    expect(body.groups.map((g) => [g.reason, g.count])).toEqual([
      ['unverified', 2],
      ['amount_mismatch', 1],
    ]);
    const group = body.groups[0]!;
    expect(group.items.map((i) => i.orderId)).toEqual([first, second]);
    expect(group.items[0]).toMatchObject({ attempts: 1, status: 'pending', expectedAmount: 5000 });
    expect(group.items[0]!.nextCheckAt).not.toBeNull();
    expect(group.items[1]!.openReasonCount).toBe(2);
    expect(body.groups[1]!.items[0]).toMatchObject({ orderId: second, detail: 'expected 5000, paid 50' });
    expect(body.summary).toEqual([
      { reason: 'unverified', count: 2 },
      { reason: 'amount_mismatch', count: 1 },
    ]);

    const only = await queue(viewer, '?reason=amount_mismatch');
    expect(only.body.groups.map((g) => g.reason)).toEqual(['amount_mismatch']);
    expect(only.body.summary).toHaveLength(2);
    const bad = await queue(viewer, '?reason=whatever');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('reason must be one of');
  });

  it('pages one reason oldest first with a cursor, 25 at a time', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const merchantUid = `late-${i}`;
      await registerOrder(s.ctx, s.store, { merchant_uid: merchantUid, amount: 1000 + i });
      const order = await s.t.db
        .selectFrom('order')
        .select('id')
        .where('merchant_uid', '=', merchantUid)
        .executeTakeFirstOrThrow();
      // Pairs share an opened_at: the reason's id breaks the tie.
      const openedAt = new Date(
        Date.parse('2026-11-01T00:00:00.000Z') + Math.floor((29 - i) / 2) * 60_000,
      ).toISOString();
      await s.t.db
        .insertInto('attention_reason')
        .values({ order_id: order.id, reason: 'late_change', opened_at: openedAt, detail: null })
        .execute();
      ids.push(order.id);
    }
    const expected = (
      await s.t.db
        .selectFrom('attention_reason')
        .select('order_id')
        .where('reason', '=', 'late_change')
        .where('resolved_at', 'is', null)
        .orderBy('opened_at')
        .orderBy('id')
        .execute()
    ).map((r) => r.order_id);
    const first = await queue(viewer, '?reason=late_change');
    const group = first.body.groups[0]!;
    expect(group.count).toBe(30);
    expect(group.items).toHaveLength(25);
    expect(group.next).not.toBeNull();
    const second = await queue(viewer, `?reason=late_change&after=${group.next}`);
    const rest = second.body.groups[0]!;
    expect(rest.next).toBeNull();
    expect([...group.items, ...rest.items].map((i) => i.orderId)).toEqual(expected);
    expect(new Set(expected)).toEqual(new Set(ids));
    // Without a reason the group shows its first 25 and says how many there are.
    const all = await queue(viewer);
    expect(all.body.groups.find((g) => g.reason === 'late_change')).toMatchObject({ count: 30, next: null });
    expect((await queue(viewer, `?after=${group.next}`)).status).toBe(400);
    await s.t.db
      .updateTable('attention_reason')
      .set({ resolved_at: s.clock.now().toISOString(), resolved_by: 'test' })
      .where('reason', '=', 'late_change')
      .execute();
  });

  it('re-checks one row now', async () => {
    const orderId = await unverified();
    const response = await post(operator, [
      ['one', String(orderId)],
      ['back', '/attention?reason=unverified'],
    ]);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/attention?reason=unverified');
    expect(await flashOf(s.ctx, response)).toMatchObject({ kind: 'success', key: 'attention.recheckOne.settled' });
    expect(await openReasons(orderId)).toEqual([]);
  });

  it('re-checks a selection: the paid ones settle, the unknown one stays', async () => {
    const paidA = await unverified();
    const paidB = await unverified();
    const nowhere = await unverified(false);
    const response = await post(operator, [
      ['intent', 'recheck'],
      ['sel', `${paidA}:unverified`],
      ['sel', `${paidB}:unverified`],
      ['sel', `${nowhere}:unverified`],
      ['back', '//evil.example/attention'],
    ]);
    expect(response.headers.get('location')).toBe('/attention');
    expect(await flashOf(s.ctx, response)).toMatchObject({
      key: 'attention.rechecked',
      params: { checked: 3, settled: 2, open: 1, errors: 0 },
    });
    expect(await openReasons(paidA)).toEqual([]);
    expect(await openReasons(paidB)).toEqual([]);
    expect((await openReasons(nowhere)).length).toBeGreaterThan(0);
    const events = await s.t.db
      .selectFrom('audit_event')
      .select(['action', 'target_id', 'reason'])
      .where('action', '=', 'order.recheck')
      .where('target_id', 'in', [String(paidA), String(paidB), String(nowhere)])
      .execute();
    expect(events).toHaveLength(3);
    expect(events[0]!.reason).toBe('bulk re-check of 3 order(s)');
  });

  it('resolves exactly the ticked reasons with one written reason', async () => {
    const a = await unverified(false);
    const b = await unverified(false);
    await s.t.db
      .insertInto('attention_reason')
      .values({ order_id: b, reason: 'late_change', opened_at: s.clock.now().toISOString(), detail: null })
      .execute();
    const before = await openReasons(b);
    expect(before).toContain('late_change');

    const noNote = await post(operator, [
      ['intent', 'resolve'],
      ['sel', `${a}:unverified`],
      ['note', ''],
    ]);
    expect(await flashOf(s.ctx, noNote)).toMatchObject({ kind: 'error', key: 'attention.error.noteRequired' });
    expect(await openReasons(a)).toContain('unverified');

    const response = await post(operator, [
      ['intent', 'resolve'],
      ['sel', `${a}:unverified`],
      ['sel', `${b}:late_change`],
      ['note', 'Test orders from the staging shop'],
    ]);
    expect(await flashOf(s.ctx, response)).toMatchObject({
      kind: 'success',
      key: 'attention.resolved',
      params: { orders: 2, reasons: 2, skipped: 0 },
    });
    expect(await openReasons(a)).not.toContain('unverified');
    // b's other reasons were not ticked: still open.
    expect(await openReasons(b)).toEqual(before.filter((r) => r !== 'late_change'));
    const events = await s.t.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'order.resolve')
      .where('target_id', 'in', [String(a), String(b)])
      .execute();
    expect(events.map((e) => e.reason)).toEqual([
      'Test orders from the staging shop',
      'Test orders from the staging shop',
    ]);
  });

  it('bounds a bulk action and needs a selection', async () => {
    const tooMany = Array.from({ length: 201 }, (_, i) => ['sel', `${100000 + i}:unverified`] as [string, string]);
    const response = await post(operator, [['intent', 'recheck'], ...tooMany]);
    expect(await flashOf(s.ctx, response)).toMatchObject({
      kind: 'error',
      key: 'attention.error.tooMany',
      params: { max: 200 },
    });
    const none = await post(operator, [['intent', 'recheck']]);
    expect(await flashOf(s.ctx, none)).toMatchObject({ kind: 'error', key: 'attention.error.noneSelected' });
    const junk = await post(operator, [
      ['intent', 'resolve'],
      ['sel', '1:not_a_reason'],
      ['note', 'x x x'],
    ]);
    expect(await flashOf(s.ctx, junk)).toMatchObject({ kind: 'error', key: 'attention.error.badInput' });
  });

  it('refuses a viewer and a form without CSRF on the server', async () => {
    const orderId = await unverified(false);
    const asViewer = await post(viewer, [['one', String(orderId)]]);
    expect(asViewer.status).toBe(403);
    expect(await asViewer.json()).toMatchObject({ error: { reason: 'role', required: 'operator' } });
    const noCsrf = await post(operator, [['one', String(orderId)]], { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ error: { reason: 'csrf_missing' } });
    const events = await s.t.db
      .selectFrom('audit_event')
      .select('id')
      .where('target_id', '=', String(orderId))
      .execute();
    expect(events).toEqual([]);
  });
});
