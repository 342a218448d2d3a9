import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease } from '~/monitor/jobs/lease.server';
import { runReconcile, startRun } from '~/monitor/jobs/reconcile.server';
import { getJobStatuses, getRun, listRuns } from '~/monitor/dashboard/runs.server';
import { createReconcileHarness, seedOrders, type ReconcileHarness } from '../../../helpers/reconcile';

/** What the dashboard reads and starts: runs list, run detail, "Run now", lease holder, next run. */
describe('reconcile: dashboard functions', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: 5 }, (_, i) => ({ merchant_uid: `o-dash-${i}`, amount: 1000 })),
    );
    await seedOrders(h, h.store, [
      ...payments.map((p) => ({ merchantUid: p.merchant_uid, impUid: p.imp_uid, amount: 1000 })),
      { merchantUid: 'o-dash-ghost', impUid: 'imp_999999999998', amount: 1000 },
    ]);
  });
  afterAll(() => h.closeAll());

  /** "Run now" as a signed-in user asks for it: the audit event names them. */
  async function asOps(input: Parameters<typeof startRun>[1]) {
    const at = '2026-11-24T00:00:00.000Z';
    const user =
      (await h.ctx.db
        .selectFrom('user')
        .select(['id', 'email'])
        .where('email', '=', 'ops@example.com')
        .executeTakeFirst()) ??
      (await h.ctx.db
        .insertInto('user')
        .values({ email: 'ops@example.com', role: 'operator', password_hash: 'x', created_at: at, updated_at: at })
        .returning(['id', 'email'])
        .executeTakeFirstOrThrow());
    return startRun(h.deps(), input, { actor: user, ip: null });
  }

  it('"Run now" answers with the run id at once and records who asked', async () => {
    const started = await asOps({ kind: 'reconcile' });
    if (!started.ok) throw new Error(started.message);
    const { runId, done } = started;
    const summary = await done;
    expect(summary).toMatchObject({
      runId,
      trigger: 'button',
      startedBy: 'ops@example.com',
      status: 'ok',
      examined: 6,
      settled: 5,
    });
    const audit = await h.ctx.db.selectFrom('audit_event').selectAll().where('action', '=', 'run.start').execute();
    expect(audit).toMatchObject([{ actor_label: 'ops@example.com', target_type: 'run', target_id: String(runId) }]);
  });

  it('"Run now" while another process runs it records a skipped run naming the holder', async () => {
    const held = await acquireLease(h.ctx, 'sweep', 'other-host:42:abcdef');
    if (!held.ok) throw new Error('expected the lease');
    const started = await asOps({ kind: 'sweep' });
    if (!started.ok) throw new Error(started.message);
    const { runId, done } = started;
    expect(await done).toMatchObject({ runId, status: 'skipped', leaseHolder: 'other-host:42:abcdef' });
    const [sweep] = (await getJobStatuses(h.ctx)).filter((j) => j.kind === 'sweep');
    expect(sweep).toMatchObject({
      lease: { holder: 'other-host:42:abcdef', held: true },
      lastRun: { runId, status: 'skipped' },
    });
    await held.lease.release();
  });

  it('an unknown store is refused before anything is recorded', async () => {
    const before = (await listRuns(h.ctx)).runs.length;
    expect(await asOps({ kind: 'reconcile', storeSlug: 'nope' })).toEqual({
      ok: false,
      refusal: 'unknown_store',
      message: 'unknown store nope',
    });
    expect((await listRuns(h.ctx)).runs.length).toBe(before);
  });

  it('lists runs newest first, pages, and filters by kind, status and store', async () => {
    await runReconcile(h.deps(), { trigger: 'schedule' });
    const all = await listRuns(h.ctx);
    expect(all.runs.map((r) => r.kind)).toEqual(['reconcile', 'sweep', 'reconcile']);
    const page = await listRuns(h.ctx, { limit: 2 });
    expect(page.runs).toHaveLength(2);
    expect((await listRuns(h.ctx, { beforeId: page.nextBeforeId! })).runs.map((r) => r.runId)).toEqual([
      all.runs[2]!.runId,
    ]);
    expect((await listRuns(h.ctx, { status: 'skipped' })).runs).toHaveLength(1);
    expect((await listRuns(h.ctx, { storeSlug: h.store.slug, kind: 'reconcile' })).runs).toHaveLength(2);
    expect((await listRuns(h.ctx, { storeSlug: 'other' })).runs).toHaveLength(0);
  });

  it('shows a run with its stores, item counts and pages of items', async () => {
    const first = (await listRuns(h.ctx, { kind: 'reconcile' })).runs.at(-1)!;
    const detail = await getRun(h.ctx, first.runId, { itemLimit: 4 });
    expect(detail).toMatchObject({
      itemCounts: { paid: 5, not_found: 1 },
      stores: [{ storeSlug: h.store.slug, status: 'ok', examined: 6 }],
    });
    expect(detail!.items).toHaveLength(4);
    const rest = await getRun(h.ctx, first.runId, { itemLimit: 4, afterItemId: detail!.nextAfterItemId! });
    expect(rest!.items).toHaveLength(2);
    expect(rest!.nextAfterItemId).toBeNull();
    const ghosts = await getRun(h.ctx, first.runId, { outcome: 'not_found' });
    expect(ghosts!.items).toEqual([
      expect.objectContaining({
        merchantUid: 'o-dash-ghost',
        reasonsOpened: ['not_found_at_gateway'],
        storeSlug: h.store.slug,
      }),
    ]);
    expect(await getRun(h.ctx, 999_999)).toBeNull();
  });

  it('tells when each job runs next and who ran it last', async () => {
    const statuses = await getJobStatuses(h.ctx);
    const reconcile = statuses.find((j) => j.kind === 'reconcile')!;
    expect(reconcile).toMatchObject({
      schedule: '* * * * *',
      scheduledHere: true,
      lease: { holder: 'test-process', held: false },
    });
    // Every minute: the next whole minute after now.
    const now = h.clock.now().getTime();
    expect(new Date(reconcile.nextRunAt!).getTime()).toBe(Math.floor(now / 60_000) * 60_000 + 60_000);
    expect(statuses.find((j) => j.kind === 'sweep')!.schedule).toBe('0 * * * *');
  });
});
