import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DbHandle } from '../../../db/connection';
import { startSandbox, type RunningSandbox } from '../../../sandbox/server';
import { repoRoot, startApp, type RunningApp } from '../../helpers/app-server';
import { onPostgres } from '../../helpers/db';
import { addStoreWithCli, sandboxControl } from '../../helpers/monitor';
import { SANDBOX_MERCHANT } from '../../helpers/stack';

const APP_SECRET = 'two-instances-test-secret-0123456789abcdef';
const engine = onPostgres ? 'postgres' : 'sqlite';

/**
 * Two app processes on one database, as behind a load balancer. On PostgreSQL the file runs on a
 * cluster of its own (scripts/test-postgres.sh start), because it restarts the server, which
 * must not cut the connections of the test files running beside it. On SQLite the two processes
 * share one file (the restart test is PostgreSQL's alone).
 */
describe(`two app instances on one ${onPostgres ? 'PostgreSQL database' : 'SQLite file'}`, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-instances-'));
  const clusterDir = path.join(mkdtempSync(path.join(tmpdir(), 'monitor-instances-pg-')), 'cluster');
  let databaseUrl: string | null = null;
  let sandbox: RunningSandbox;
  let db: DbHandle;
  // Hundreds of webhooks from one address for orders nobody registered: the public limits and the
  // unknown-order budget (decision 0011) would rightly defer most of them, which is not under test.
  const env = () => ({
    APP_SECRET,
    RATE_LIMIT_PER_IP: '0',
    RATE_LIMIT_PER_STORE: '0',
    UNKNOWN_ORDER_BUDGET: '100000',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const script = path.join(repoRoot, 'scripts/test-postgres.sh');
  const pg = (...args: string[]) => execFileSync('bash', [script, ...args]);
  const ctl = async (action: 'stop' | 'start' | 'restart') => {
    await promisify(execFile)('bash', [script, 'ctl', clusterDir, action]);
  };

  beforeAll(async () => {
    // As root the cluster runs as `postgres`, which must reach its directory.
    chmodSync(path.dirname(clusterDir), 0o755);
    if (onPostgres)
      databaseUrl = pg('start', clusterDir)
        .toString()
        .trim()
        .replace(/\/postgres$/, '/monitor_test');
    sandbox = await startSandbox({
      config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
      dataDir,
      log: pino({ level: 'silent' }),
    });
    const added = await addStoreWithCli({
      dataDir,
      env: env(),
      slug: 'shop',
      sandboxUrl: sandbox.url,
      merchant: SANDBOX_MERCHANT,
    });
    expect(added.code, added.stderr).toBe(0);
    db = databaseUrl
      ? openDatabase({ dialect: 'postgres', connectionString: databaseUrl }, { onPoolError: () => {} })
      : openDatabase({ dialect: 'sqlite', filename: path.join(dataDir, 'monitor.db') });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await sandbox?.close();
    if (onPostgres) pg('stop', clusterDir);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(path.dirname(clusterDir), { recursive: true, force: true });
  });

  const startPair = async (extra: Record<string, string> = {}) => {
    const apps: RunningApp[] = [];
    for (const name of ['a', 'b'])
      apps.push(
        await startApp({
          dataDir,
          env: { ...env(), DATABASE_APPLICATION_NAME: `monitor-${name}`, ...extra },
          timeoutMs: 60_000,
          ...(extra.JOBS === 'on' ? { readyMessage: 'scheduler started' } : {}),
        }),
      );
    return apps;
  };
  const stopPair = async (apps: RunningApp[]) => {
    for (const app of apps) expect(await app.stop(), app.lines.slice(-5).join('\n')).toBe(0);
  };
  const payments = async (prefix: string, n: number) =>
    (
      await sandboxControl<{ payments: { imp_uid: string; merchant_uid: string }[] }>(
        sandbox.url,
        'POST',
        'payments',
        Array.from({ length: n }, (_, i) => ({
          merchant_uid: `${prefix}-${i}`,
          amount: 1000,
          status: 'paid',
          webhook: false,
        })),
      )
    ).payments;
  const sendWebhook = (app: RunningApp, payment: { imp_uid: string; merchant_uid: string }) =>
    fetch(`${app.url}/webhooks/iamport/shop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imp_uid: payment.imp_uid, merchant_uid: payment.merchant_uid, status: 'paid' }),
    });
  const drained = async (timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const row = await db.db
        .selectFrom('webhook_job')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', ['queued', 'running'])
        .executeTakeFirstOrThrow();
      if (Number(row.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the webhook queue did not drain');
  };

  it(
    'the same webhook sent to both 50 times at once: one original, one transition, one gateway look-up',
    { timeout: 120_000 },
    async () => {
      const [payment] = await payments('same', 1);
      const apps = await startPair();
      try {
        const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => sendWebhook(apps[i % 2]!, payment!)));
        expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
        await drained();
        const deliveries = await db.db
          .selectFrom('webhook_delivery')
          .select(['id', 'duplicate_of'])
          .where('imp_uid', '=', payment!.imp_uid)
          .execute();
        const originals = deliveries.filter((d) => d.duplicate_of === null);
        const order = await db.db
          .selectFrom('order')
          .select(['id', 'status'])
          .where('merchant_uid', '=', payment!.merchant_uid)
          .executeTakeFirstOrThrow();
        const transitions = await db.db
          .selectFrom('verification')
          .select('id')
          .where('order_id', '=', order.id)
          .whereRef('status_before', '!=', 'status_after')
          .execute();
        const lookups = await db.db
          .selectFrom('gateway_check')
          .select('id')
          .where('imp_uid', '=', payment!.imp_uid)
          .execute();
        console.log(
          `[${engine}] two instances, same webhook x50: ${deliveries.length} stored, ${originals.length} original, ${transitions.length} transition, ${lookups.length} gateway look-up`,
        );
        expect(deliveries).toHaveLength(50);
        expect(originals).toHaveLength(1);
        expect(order.status).toBe('paid');
        expect(transitions).toHaveLength(1);
        expect(lookups).toHaveLength(1);
      } finally {
        await stopPair(apps);
      }
    },
  );

  it('scheduled jobs on both: one instance runs each tick', { timeout: 120_000 }, async () => {
    const before = await db.db.selectFrom('reconcile_run').select('id').execute();
    const apps = await startPair({ JOBS: 'on', RECONCILE_CRON: '* * * * * *', SWEEP_CRON: '0 0 1 1 *' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } finally {
      await stopPair(apps);
    }
    const runs = await db.db
      .selectFrom('reconcile_run')
      .select(['id', 'started_at', 'status', 'lease_holder'])
      .where('kind', '=', 'reconcile')
      .where('id', 'not in', before.length ? before.map((r) => r.id) : [0])
      .execute();
    const perSecond = new Map<string, number>();
    for (const run of runs)
      perSecond.set(run.started_at.slice(0, 19), (perSecond.get(run.started_at.slice(0, 19)) ?? 0) + 1);
    const holders = new Set(runs.map((r) => r.lease_holder));
    console.log(
      `[${engine}] two instances, reconcile every second for 5 s: ${runs.length} runs in ${perSecond.size} ticks (max ${Math.max(...perSecond.values())} per tick), ${runs.filter((r) => r.status === 'skipped').length} skipped, by ${holders.size} holder(s)`,
    );
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...perSecond.values())).toBe(1);
    expect(runs.filter((r) => r.status === 'skipped')).toEqual([]);
  });

  it.runIf(onPostgres)(
    'the database restarted under load: /healthz says 503 while it is down, both recover, nothing answered 200 is lost',
    { timeout: 120_000 },
    async () => {
      const list = await payments('restart', 240);
      const apps = await startPair();
      try {
        // Down: every instance says so, and stays up. A request that needs the database is a 503
        // with Retry-After and a reason (Iamport sends a refused delivery again), never a 500.
        await ctl('stop');
        const down = await Promise.all(apps.map((app) => fetch(`${app.url}/healthz`)));
        expect(down.map((r) => r.status)).toEqual([503, 503]);
        const webhookDown = await sendWebhook(apps[0]!, list[0]!);
        expect(webhookDown.status).toBe(503);
        expect(webhookDown.headers.get('retry-after')).toBe('5');
        await expect(webhookDown.json()).resolves.toMatchObject({ error: { code: 'database_unavailable' } });
        // Through Remix (a resource route): its 500 for the thrown connection error becomes the 503.
        const apiDown = await fetch(`${apps[1]!.url}/api/v1/stores/shop/orders`, {
          method: 'POST',
          headers: { authorization: 'Bearer not-a-key', 'content-type': 'application/json' },
          body: JSON.stringify({ merchant_uid: 'down-1', amount: 1000 }),
        });
        expect(apiDown.status).toBe(503);
        await expect(apiDown.json()).resolves.toMatchObject({ error: { code: 'database_unavailable' } });
        const pageDown = await fetch(`${apps[1]!.url}/login`, { headers: { accept: 'text/html' } });
        const pageDownText = await pageDown.text();
        console.log(
          `[postgres] database stopped: webhook ${webhookDown.status}, orders API ${apiDown.status}, /login ${pageDown.status}`,
        );
        expect([200, 503]).toContain(pageDown.status);
        if (pageDown.status === 503) expect(pageDownText).toContain('database cannot be reached');
        await ctl('start');
        const up = await Promise.all(apps.map((app) => fetch(`${app.url}/healthz`)));
        expect(up.map((r) => r.status)).toEqual([200, 200]);

        // Restarted while webhooks arrive on both.
        const answered = new Map<number, string>();
        const refused: number[] = [];
        let next = 0;
        let restart: Promise<void> = Promise.resolve();
        const worker = async () => {
          while (next < list.length) {
            const i = next++;
            if (i === 80) restart = ctl('restart');
            try {
              const response = await sendWebhook(apps[i % 2]!, list[i]!);
              const body = (await response.json()) as { delivery_id?: number };
              if (response.status === 200) answered.set(body.delivery_id!, list[i]!.imp_uid);
              else refused.push(response.status);
            } catch {
              refused.push(0);
            }
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        await restart;
        // Whatever failed during the restart, Iamport would send again: do that once now.
        const stored = new Set(answered.values());
        for (const [i, payment] of list.entries()) {
          if (stored.has(payment.imp_uid)) continue;
          const response = await sendWebhook(apps[i % 2]!, payment);
          expect(response.status).toBe(200);
          answered.set(((await response.json()) as { delivery_id: number }).delivery_id, payment.imp_uid);
        }
        await drained(60_000);
        const ids = [...answered.keys()];
        const rows = await db.db.selectFrom('webhook_delivery').select('id').where('id', 'in', ids).execute();
        const paid = await db.db
          .selectFrom('order')
          .select('id')
          .where(
            'imp_uid',
            'in',
            list.map((p) => p.imp_uid),
          )
          .where('status', '=', 'paid')
          .execute();
        console.log(
          `[postgres] restart under load: ${answered.size} answered 200, ${refused.length} failed during the restart (${[...new Set(refused)].join(', ')}), ${ids.length - rows.length} lost, ${paid.length}/${list.length} verified paid, both processes up: ${apps.every((a) => a.child.exitCode === null)}`,
        );
        expect(rows).toHaveLength(ids.length);
        expect(paid).toHaveLength(list.length);
        // Failed during the restart means 503 (or a connection the restart cut), never a 500.
        expect(refused.filter((status) => status !== 503 && status !== 0)).toEqual([]);
        expect(apps.every((a) => a.child.exitCode === null)).toBe(true);
        expect(apps.some((a) => a.lines.some((l) => l.includes('database connection lost')))).toBe(true);
      } finally {
        await stopPair(apps);
      }
    },
  );
});
