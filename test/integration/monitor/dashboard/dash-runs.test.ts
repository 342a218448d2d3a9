import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from '~/monitor/stores/stores.server';
import * as runsPage from '~/routes/_dash.runs._index';
import * as runPage from '~/routes/_dash.runs.$runId';
import {
  callRoute,
  createAuthHarness,
  errorOf,
  makeRequest,
  type AuthHarness,
  type TestUser,
} from '../../../helpers/auth';
import { closedPort } from '../../../helpers/monitor';
import { insertOrder } from '../../../helpers/factories';
import type { RunItemOutcome, RunKind, RunStatus, RunTrigger } from '~/monitor/status';

/** The runs page's data: runs list with filters and paging, job schedule and lease, a run's detail, "Run now". */

type ListData = Awaited<ReturnType<typeof runsPage.loader>>;
type DetailData = Awaited<ReturnType<typeof runPage.loader>>;

describe('runs page', () => {
  let h: AuthHarness;
  let viewer: TestUser;
  let operator: TestUser;
  let storeId: number;

  async function addRun(values: {
    kind: RunKind;
    status: RunStatus;
    startedAt: string;
    trigger?: RunTrigger;
    examined?: number;
  }) {
    const run = await h.t.db
      .insertInto('reconcile_run')
      .values({
        kind: values.kind,
        trigger: values.trigger ?? 'schedule',
        store_slug: null,
        dry_run: 0,
        all_orders: 0,
        window_from: null,
        window_to: null,
        started_at: values.startedAt,
        finished_at: values.status === 'running' ? null : values.startedAt,
        status: values.status,
        examined: values.examined ?? 0,
        settled: 0,
        still_open: 0,
        errors: values.status === 'failed' ? 1 : 0,
        gateway_calls: 0,
        duration_ms: values.status === 'running' ? null : 1500,
        started_by: 'scheduler',
        lease_holder: 'host-a:1:abc',
        error: values.status === 'failed' ? '<script>alert(1)</script> gateway unavailable' : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return run.id;
  }

  beforeEach(async () => {
    h = await createAuthHarness();
    viewer = await h.addUser('viewer@example.com', 'viewer');
    operator = await h.addUser('op@example.com', 'operator');
    const { store } = await createStore(
      { db: h.t.db, now: h.clock.now, appSecret: h.config.appSecret },
      {
        slug: 'shop',
        name: 'Shop',
        impCode: 'imp12345678',
        impKey: 'k',
        impSecret: 's',
        apiBaseUrl: `http://127.0.0.1:${await closedPort()}`,
      },
    );
    storeId = store.id;
  });
  afterEach(() => h.close());

  async function load(user: TestUser, path: string, params: Record<string, string> = {}) {
    const { cookie } = await h.sessionFor(user);
    const request = makeRequest(path, { cookie });
    return callRoute(
      params.runId === undefined ? runsPage.loader : runPage.loader,
      request,
      params,
      h.context(request),
    );
  }

  it('lists runs newest first with filters and paging, and each job with its schedule, next run and lease holder', async () => {
    for (let i = 0; i < 52; i++)
      await addRun({
        kind: i % 2 ? 'sweep' : 'reconcile',
        status: i === 51 ? 'failed' : 'ok',
        startedAt: `2026-11-24T0${Math.floor(i / 10)}:${String(i % 10).padStart(2, '0')}:00.000Z`,
      });
    await h.t.db
      .insertInto('job_lease')
      .values({
        name: 'reconcile',
        holder: 'host-b:42:def',
        acquired_at: '2026-11-24T08:59:00.000Z',
        expires_at: '2026-11-24T09:04:00.000Z',
        heartbeat_at: '2026-11-24T08:59:30.000Z',
      })
      .execute();

    const list = (await (await load(viewer, '/runs')).json()) as ListData;
    expect(list.mode).toBe('list');
    expect(list.runs).toHaveLength(50);
    expect(list.runs[0]).toMatchObject({ runId: 52, status: 'failed', kind: 'sweep' });
    expect(list.canRun).toBe(false);
    const reconcile = list.jobs.find((j) => j.kind === 'reconcile')!;
    expect(reconcile).toMatchObject({
      schedule: '* * * * *',
      nextRunAt: '2026-11-24T09:01:00.000Z',
      lease: { holder: 'host-b:42:def', held: true },
    });
    expect(list.jobs.find((j) => j.kind === 'sweep')).toMatchObject({ lease: null, lastRun: { runId: 52 } });

    const older = (await (await load(viewer, `/runs?before=${list.nextBeforeId}`)).json()) as ListData;
    expect(older.runs.map((r) => r.runId)).toEqual([2, 1]);
    const sweeps = (await (await load(viewer, '/runs?kind=sweep&status=failed')).json()) as ListData;
    expect(sweeps.runs.map((r) => r.runId)).toEqual([52]);
    const bad = (await (await load(viewer, '/runs?kind=nope')).json()) as ListData;
    expect(bad).toMatchObject({ badFilter: true });
    expect(bad.runs).toHaveLength(50);
  });

  it('shows one run: its stores, item counts, items by outcome; unknown runs are 404', async () => {
    const runId = await addRun({
      kind: 'reconcile',
      status: 'failed',
      startedAt: '2026-11-24T08:00:00.000Z',
      examined: 3,
    });
    await h.t.db
      .insertInto('reconcile_run_store')
      .values({
        run_id: runId,
        store_id: storeId,
        store_slug: 'shop',
        status: 'failed',
        window_from: null,
        window_to: null,
        window_done: 0,
        examined: 3,
        settled: 1,
        still_open: 2,
        not_reached: 4,
        reasons_opened: 1,
        errors: 1,
        gateway_calls: 5,
        error: 'gateway unavailable',
        started_at: '2026-11-24T08:00:00.000Z',
        finished_at: '2026-11-24T08:00:01.000Z',
      })
      .execute();
    const orderId = await insertOrder(h.t.db, {
      storeId,
      merchantUid: 'o-1',
      at: '2026-11-24T07:00:00.000Z',
      status: 'paid',
      imp_uid: 'imp_1',
      gateway_status: 'paid',
      paid_amount: 1000,
      cancel_amount: 0,
      updated_at: '2026-11-24T08:00:00.000Z',
    });
    const item = (outcome: RunItemOutcome, error: string | null = null) => ({
      run_id: runId,
      store_id: storeId,
      order_id: orderId,
      merchant_uid: 'o-1',
      imp_uid: 'imp_1',
      status_before: 'pending' as const,
      status_after: 'paid' as const,
      outcome,
      reasons_opened: outcome === 'reason_opened' ? '["unverified"]' : '[]',
      error,
      at: '2026-11-24T08:00:00.500Z',
    });
    await h.t.db
      .insertInto('reconcile_run_item')
      .values([item('paid'), item('reason_opened'), item('error', 'timeout')])
      .execute();

    const detail = (await (await load(viewer, `/runs/${runId}`, { runId: String(runId) })).json()) as DetailData;
    expect(detail.mode).toBe('detail');
    expect(detail.run).toMatchObject({
      runId,
      status: 'failed',
      error: '<script>alert(1)</script> gateway unavailable',
      itemCounts: { paid: 1, reason_opened: 1, error: 1 },
    });
    expect(detail.run.stores).toMatchObject([
      { storeSlug: 'shop', status: 'failed', notReached: 4, error: 'gateway unavailable' },
    ]);
    expect(detail.run.items.map((i) => [i.outcome, i.orderId, i.reasonsOpened])).toEqual([
      ['paid', orderId, []],
      ['reason_opened', orderId, ['unverified']],
      ['error', orderId, []],
    ]);
    const errors = (await (
      await load(viewer, `/runs/${runId}?outcome=error`, { runId: String(runId) })
    ).json()) as DetailData;
    expect(errors.run.items).toMatchObject([{ outcome: 'error', error: 'timeout' }]);

    expect((await load(viewer, '/runs/999', { runId: '999' })).status).toBe(404);
    expect((await load(viewer, '/runs/abc', { runId: 'abc' })).status).toBe(404);
  });

  describe('Run now', () => {
    async function runNow(user: TestUser, form: Record<string, string>, csrfOverride?: string) {
      const session = await h.sessionFor(user);
      const request = makeRequest('/runs', {
        cookie: session.cookie,
        form: { _csrf: csrfOverride ?? session.csrf, ...form },
      });
      return callRoute(runsPage.action, request, {}, h.context(request));
    }
    async function finished(runId: number) {
      // The run works in the background of the server; it has nothing to do here, so it ends at once.
      for (let i = 0; i < 250; i++) {
        const row = await h.t.db
          .selectFrom('reconcile_run')
          .selectAll()
          .where('id', '=', runId)
          .executeTakeFirstOrThrow();
        if (row.status !== 'running') return row;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`run ${runId} did not finish`);
    }

    it('starts a run for an operator, records who asked, audits it and opens the run', async () => {
      const response = await runNow(operator, { kind: 'reconcile', store: 'shop' });
      expect(response.status).toBe(303);
      const runId = Number(/^\/runs\/(\d+)$/.exec(response.headers.get('location') ?? '')?.[1]);
      expect(runId).toBeGreaterThan(0);
      expect(await finished(runId)).toMatchObject({
        kind: 'reconcile',
        trigger: 'button',
        store_slug: 'shop',
        started_by: 'op@example.com',
        status: 'ok',
      });
      const audit = await h.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'run.start').execute();
      expect(audit).toMatchObject([{ actor_user_id: operator.id, target_type: 'run', target_id: String(runId) }]);
      expect(JSON.parse(audit[0]!.after_json!)).toEqual({ kind: 'reconcile', store: 'shop' });
    });

    it('refuses viewers (403), forms without a valid CSRF token (403), unknown stores (404) and unknown kinds (400)', async () => {
      const refused = await runNow(viewer, { kind: 'sweep' });
      expect(refused.status).toBe(403);
      expect(await errorOf(refused)).toMatchObject({ reason: 'role', required: 'operator' });
      const forged = await runNow(operator, { kind: 'sweep' }, 'forged');
      expect(await errorOf(forged)).toMatchObject({ reason: 'csrf_invalid' });
      expect((await runNow(operator, { kind: 'reconcile', store: 'nope' })).status).toBe(404);
      expect((await runNow(operator, { kind: 'everything' })).status).toBe(400);
      expect(await h.t.db.selectFrom('reconcile_run').selectAll().execute()).toHaveLength(0);
      expect(
        await h.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'run.start').execute(),
      ).toHaveLength(0);
    });
  });
});
