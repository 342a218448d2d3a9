import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '~/auth/audit.server';
import * as auditPage from '~/routes/_dash.audit';
import { createStore } from '~/monitor/stores/stores.server';
import { insertOrderIfAbsent, newPendingOrder } from '../../../../db/orders';
import {
  callRoute,
  createAuthHarness,
  errorOf,
  makeRequest,
  type AuthHarness,
  type TestUser,
} from '../../../helpers/auth';

/** The audit log page: newest first, filters by actor (system included) and action, keyset pages, JSON shown as text. */

type Page = Awaited<ReturnType<typeof auditPage.loader>>;

describe('audit log page', () => {
  let h: AuthHarness;
  let ops: TestUser;
  let admin: TestUser;
  let viewer: TestUser;

  beforeAll(async () => {
    h = await createAuthHarness();
    ops = await h.addUser('ops@example.com', 'operator');
    admin = await h.addUser('admin@example.com', 'admin');
    viewer = await h.addUser('viewer@example.com', 'viewer');
    // 60 order resolutions by ops, then a store change by admin and two system events, one a second apart.
    for (let i = 0; i < 60; i++) {
      await recordAudit(h.ctx, {
        actor: ops,
        action: 'order.resolve',
        target: { type: 'order', id: 100 + i },
        reason: `checked with the buyer #${i}`,
        before: { open: ['unverified'] },
        after: { open: [] },
        ip: '198.51.100.7',
      });
      h.clock.advance(1000);
    }
    await recordAudit(h.ctx, {
      actor: admin,
      action: 'store.update',
      target: { type: 'store', id: 'shop' },
      before: { name: '<b>Old</b>' },
      after: { name: '</pre><script>alert(1)</script>' },
    });
    h.clock.advance(1000);
    await recordAudit(h.ctx, { actor: 'system', action: 'user.create', target: { type: 'user', id: admin.id } });
    // Two events in the same millisecond: the id breaks the tie.
    await recordAudit(h.ctx, { actor: 'system', action: 'run.start', target: { type: 'run', id: 7 } });
  });
  afterAll(() => h.close());

  async function load(user: TestUser, query = '') {
    const { cookie } = await h.sessionFor(user);
    const request = makeRequest(`/audit${query}`, { cookie });
    return callRoute(auditPage.loader, request, {}, h.context(request));
  }
  const page = async (query = '') => (await (await load(ops, query)).json()) as Page;

  it('lists every event newest first, with the filter choices', async () => {
    const first = await page();
    expect(first.events).toHaveLength(50);
    expect(first.events.slice(0, 3).map((e) => e.action)).toEqual(['run.start', 'user.create', 'store.update']);
    expect(first.events[0]).toMatchObject({
      actorUserId: null,
      actorLabel: 'system',
      targetType: 'run',
      targetId: '7',
    });
    expect(first.actions).toEqual(['order.resolve', 'run.start', 'store.update', 'user.create']);
    expect(first.actors.map((a) => a.email).sort()).toEqual([
      'admin@example.com',
      'ops@example.com',
      'viewer@example.com',
    ]);
    expect(first.next).toMatch(/^2026-11-24T09:00:\d\d\.000Z~\d+$/);
  });

  it('pages by keyset without gaps or repeats, ties included', async () => {
    const seen: number[] = [];
    let query = '';
    for (let i = 0; i < 5; i++) {
      const p = await page(query);
      seen.push(...p.events.map((e) => e.id));
      if (!p.next) break;
      query = `?before=${encodeURIComponent(p.next)}`;
    }
    expect(seen).toHaveLength(63);
    expect(new Set(seen).size).toBe(63);
    const all = await h.t.db
      .selectFrom('audit_event')
      .select('id')
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('filters by actor (a user, or the system) and by action', async () => {
    const system = await page('?actor=system');
    expect(system.events.map((e) => e.action)).toEqual(['run.start', 'user.create']);
    const byAdmin = await page(`?actor=${admin.id}`);
    expect(byAdmin.events.map((e) => e.action)).toEqual(['store.update']);
    const resolves = await page('?action=order.resolve');
    expect(resolves.events).toHaveLength(50);
    expect(resolves.events.every((e) => e.action === 'order.resolve')).toBe(true);
    const rest = await page(`?action=order.resolve&before=${encodeURIComponent(resolves.next!)}`);
    expect(rest.events).toHaveLength(10);
    expect(rest.next).toBeNull();
    expect(rest.events.at(-1)).toMatchObject({
      targetType: 'order',
      targetId: '100',
      reason: 'checked with the buyer #0',
    });
    expect((await page(`?actor=${viewer.id}`)).events).toEqual([]);
  });

  it('gives before/after as pretty JSON text (rendered escaped), and ignores a bad filter', async () => {
    const store = (await page('?action=store.update')).events[0]!;
    expect(store.before).toBe('{\n  "name": "<b>Old</b>"\n}');
    expect(store.after).toBe('{\n  "name": "</pre><script>alert(1)</script>"\n}');
    const bad = await page('?action=DROP%20TABLE&before=yesterday');
    expect(bad).toMatchObject({ badFilter: true, filter: { action: '' } });
    expect(bad.events).toHaveLength(50);
  });

  it('names targets as people know them (merchant_uid and store, store name, e-mail) and marks a refused refund', async () => {
    const { store } = await createStore(
      { db: h.t.db, now: h.clock.now, appSecret: h.config.appSecret },
      { slug: 'named', name: 'Named Shop', impCode: 'imp12345678', impKey: 'k', impSecret: 's' },
    );
    const { order } = await insertOrderIfAbsent(
      h.t.db,
      newPendingOrder({
        store_id: store.id,
        merchant_uid: 'order-2026-0042',
        expected_amount: 4000,
        currency: 'KRW',
        name: null,
        source: 'api',
        at: h.clock.now().toISOString(),
      }),
    );
    h.clock.advance(1000);
    const cancel = (accepted: boolean) =>
      recordAudit(h.ctx, {
        actor: admin,
        action: 'order.cancel',
        target: { type: 'order', id: order.id },
        reason: 'buyer asked',
        before: { status: 'paid', refundable: 4000 },
        after: accepted
          ? { status: 'cancelled', requested: 4000, accepted: true }
          : { status: 'paid', requested: 4000, accepted: false, error: 'already cancelled' },
      });
    await cancel(false);
    h.clock.advance(1000);
    await cancel(true);
    await recordAudit(h.ctx, { actor: admin, action: 'store.update', target: { type: 'store', id: 'named' } });
    const events = (await page(`?actor=${admin.id}`)).events;
    const [storeEvent, accepted, refused] = events;
    expect(refused).toMatchObject({
      action: 'order.cancel',
      outcome: 'refused',
      target: { type: 'order', id: String(order.id), label: 'order-2026-0042', detail: 'named' },
    });
    expect(accepted).toMatchObject({ action: 'order.cancel', outcome: null });
    expect(storeEvent!.target).toEqual({ type: 'store', id: 'named', label: 'Named Shop', detail: 'named' });
    const created = (await page('?action=user.create')).events[0]!;
    expect(created.target).toMatchObject({ type: 'user', label: 'admin@example.com' });
    // An order that no longer exists keeps its id, marked as one.
    expect((await page('?action=order.resolve')).events[0]!.target).toMatchObject({ label: '#159', detail: null });
  });

  it('is for operators and admins: a viewer gets 403', async () => {
    const refused = await load(viewer);
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ reason: 'role', required: 'operator' });
    expect((await load(admin)).status).toBe(200);
  });
});
