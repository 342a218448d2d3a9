import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFirstAdmin } from '~/auth/users.server';
import { createAppContext, type AppContext } from '~/context.server';
import { registerOrder } from '~/monitor/capture/orders.server';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import type { Store } from '~/monitor/stores/stores.server';
import type { DbHandle } from '../../../db/connection';
import { insertOrderIfAbsent, newPendingOrder, openReason } from '../../../db/orders';
import { claimWebhookJobs, enqueueWebhookJob } from '../../../db/webhook-jobs';
import { createMonitorHarness, type MonitorHarness } from '../../helpers/monitor';

/**
 * Every select-then-write made one statement, raced from two independent connections (two
 * pools: what two app instances are) on the engine under test. Each test prints its counts.
 */
describe(`races between two connections (${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  let h: MonitorHarness;
  let second: DbHandle;
  let a: AppContext;
  let b: AppContext;
  let store: Store;
  const engine = process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite';
  beforeAll(async () => {
    h = await createMonitorHarness();
    second = h.t.openSecond();
    a = h.ctx;
    b = createAppContext({ config: h.ctx.config, db: second.db, log: pino({ level: 'silent' }), now: h.clock.now });
    store = (await h.addStore()).store;
  });
  afterAll(async () => {
    await second.close();
    await h.close();
  });
  const both = <T>(n: number, fn: (ctx: AppContext, i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: n }, (_, i) => fn(i % 2 === 0 ? a : b, i)));
  /** Multi-statement transactions: two pools on PostgreSQL, one connection on SQLite (see above). */
  const transactional = <T>(n: number, fn: (ctx: AppContext, i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: n }, (_, i) => fn(i % 2 === 0 || engine === 'sqlite' ? a : b, i)));

  it('the same webhook 50 times at once: one original, one job, 49 duplicates of it', async () => {
    const body = new TextEncoder().encode('{"imp_uid":"imp_race_1","merchant_uid":"race-1","status":"paid"}');
    // SQLite: one connection per process. Two in one process cannot interleave transactions
    // (better-sqlite3 waits for the lock synchronously, blocking the holder); two processes on
    // one file are raced in test/integration/server/instances.test.ts.
    const answers = await transactional(50, (ctx) =>
      captureWebhook(ctx, {
        storeSlug: store.slug,
        contentType: 'application/json',
        headers: [],
        body,
        tooLarge: false,
        ip: '127.0.0.1',
      }),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200));
    const rows = await h.t.db
      .selectFrom('webhook_delivery')
      .select(['id', 'duplicate_of'])
      .where('imp_uid', '=', 'imp_race_1')
      .execute();
    const originals = rows.filter((r) => r.duplicate_of === null);
    const jobs = await h.t.db
      .selectFrom('webhook_job')
      .select('id')
      .where(
        'delivery_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    console.log(`[${engine}] webhook x50: ${rows.length} stored, ${originals.length} original, ${jobs.length} job`);
    expect(rows).toHaveLength(50);
    expect(originals).toHaveLength(1);
    expect(rows.filter((r) => r.duplicate_of !== null).every((r) => r.duplicate_of === originals[0]!.id)).toBe(true);
    expect(jobs).toHaveLength(1);
  });

  it('two workers claiming 300 jobs at once: every job claimed exactly once', async () => {
    const at = h.clock.now().toISOString();
    const delivery = await h.t.db
      .selectFrom('webhook_delivery')
      .select('id')
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow();
    // A fresh queue for this test: finish what the webhook test left.
    await h.t.db.updateTable('webhook_job').set({ state: 'done' }).execute();
    for (let i = 0; i < 300; i += 1)
      await enqueueWebhookJob(h.t.db, { deliveryId: delivery.id, storeId: store.id, at });
    const claimed: number[][] = [[], []];
    await Promise.all(
      [a, b].map(async (ctx, worker) => {
        for (let round = 0; round < 100; round += 1) {
          const jobs = await claimWebhookJobs(ctx.db, {
            now: at,
            leaseUntil: new Date(Date.parse(at) + 60_000).toISOString(),
            limit: 7,
          });
          if (jobs.length === 0) break;
          claimed[worker]!.push(...jobs.map((j) => j.id));
        }
      }),
    );
    const all = [...claimed[0]!, ...claimed[1]!];
    console.log(
      `[${engine}] claim 300 jobs: worker A ${claimed[0]!.length}, worker B ${claimed[1]!.length}, distinct ${new Set(all).size}`,
    );
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    const attempts = await h.t.db.selectFrom('webhook_job').select('attempts').where('state', '=', 'running').execute();
    expect(attempts.every((r) => r.attempts === 1)).toBe(true);
  });

  it('the same order registered 20 times at once through the API: one created, all answer it', async () => {
    const results = await both(20, (ctx) =>
      registerOrder(ctx, store, { merchant_uid: 'race-order-1', amount: 3_000_000_000, currency: 'KRW' }),
    );
    const created = results.filter((r) => r.created);
    const rows = await h.t.db.selectFrom('order').select('id').where('merchant_uid', '=', 'race-order-1').execute();
    console.log(`[${engine}] register x20: ${created.length} created, ${rows.length} row`);
    expect(created).toHaveLength(1);
    expect(rows).toHaveLength(1);
    // Past 32 bits: bigint on PostgreSQL, read back as a number.
    expect(results.every((r) => r.order.expected_amount === 3_000_000_000)).toBe(true);
  });

  it('an unknown order first seen by 20 pieces of evidence at once: one row', async () => {
    const at = h.clock.now().toISOString();
    const results = await both(20, (ctx) =>
      insertOrderIfAbsent(
        ctx.db,
        newPendingOrder({
          store_id: store.id,
          merchant_uid: 'race-unknown-1',
          expected_amount: null,
          currency: 'KRW',
          name: null,
          source: 'evidence',
          at,
        }),
      ),
    );
    console.log(`[${engine}] unknown order x20: ${results.filter((r) => r.created).length} created`);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
  });

  it('an attention reason opened 20 times at once: one open row', async () => {
    const order = await h.t.db
      .selectFrom('order')
      .select('id')
      .where('merchant_uid', '=', 'race-unknown-1')
      .executeTakeFirstOrThrow();
    const opened = await both(20, (ctx) =>
      openReason(ctx.db, {
        order_id: order.id,
        reason: 'unverified',
        opened_at: h.clock.now().toISOString(),
        detail: null,
      }),
    );
    console.log(`[${engine}] open reason x20: ${opened.filter(Boolean).length} opened`);
    expect(opened.filter(Boolean)).toHaveLength(1);
  });

  it('two instances starting at once on an empty database: one first admin', async () => {
    const outcomes = await both(10, (ctx) => ensureFirstAdmin(ctx));
    const users = await h.t.db.selectFrom('user').select('id').execute();
    console.log(
      `[${engine}] first admin x10: ${outcomes.filter((o) => o.created).length} created, ${users.length} user`,
    );
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(users).toHaveLength(1);
  });
});
