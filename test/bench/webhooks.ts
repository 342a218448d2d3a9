import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { startSandbox } from '../../sandbox/server';
import { openAppDatabase, repoRoot, startApp } from '../helpers/app-server';
import { addStoreWithCli, sandboxControl } from '../helpers/monitor';
import { SANDBOX_MERCHANT } from '../helpers/stack';
import { formatLoad, type LoadResult } from './load';
import {
  createPayments,
  drainVerification,
  INGESTION_ENV,
  registerOrders,
  sendWebhooks,
  type BenchPayment,
} from './shared/webhook-load';

/**
 * Webhook ingestion: N deliveries at 50 concurrent connections against the production build,
 * next to a bare node:http + better-sqlite3 insert server measured in the same run (the ratio is
 * the figure), then again with the gateway made slow (100 ms per call) to show that answering
 * does not wait for verification. Every delivery answered 200 must be in the database.
 */
export async function main() {
  const total = Number(process.env.BENCH_DELIVERIES ?? 20_000);
  const concurrency = 50;
  const work = mkdtempSync(path.join(tmpdir(), 'bench-webhooks-'));
  const log = pino({ level: 'silent' });
  const sandbox = await startSandbox({
    config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
    dataDir: work,
    log,
  });
  const makePayments = (prefix: string) => createPayments(sandbox.url, prefix, total);

  // Baseline: bare node:http + one insert per request, in its own process.
  const bare = spawn(
    process.execPath,
    [path.join(repoRoot, 'test/bench/bare-insert-server.mjs'), path.join(work, 'bare.db')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const barePort = await new Promise<number>((resolve) =>
    createInterface({ input: bare.stdout! }).on('line', (line) => resolve((JSON.parse(line) as { port: number }).port)),
  );
  const warmPayments = await makePayments('warm');
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await sendWebhooks({ appUrl: bareUrl, storeSlug: 'bench', payments: warmPayments, total: 2000, concurrency });
  const baseline = await sendWebhooks({
    appUrl: bareUrl,
    storeSlug: 'bench',
    payments: warmPayments,
    total,
    concurrency,
  });
  bare.kill('SIGTERM');

  // The monitor: production build, its own process, a store whose gateway is the sandbox.
  const dataDir = path.join(work, 'app');
  const env = { APP_SECRET: 'bench-secret-0123456789abcdef0123456789', LOG_LEVEL: 'warn' };
  await addStoreWithCli({ dataDir, env, slug: 'bench', sandboxUrl: sandbox.url, merchant: SANDBOX_MERCHANT });
  // The merchant registered its orders before the buyers paid, as the orders API would record them.
  const fastPayments = await makePayments('fast');
  const slowPayments = await makePayments('slow');
  const db = (await openAppDatabase(dataDir)).db;
  await registerOrders(db, [...warmPayments, ...fastPayments, ...slowPayments]);
  const app = await startApp({
    dataDir,
    env: {
      ...env,
      LOG_LEVEL: 'info',
      ...INGESTION_ENV,
      ...(process.env.BENCH_APP_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS } : {}),
    },
  });
  const send = (payments: BenchPayment[], n: number) =>
    sendWebhooks({ appUrl: app.url, storeSlug: 'bench', payments, total: n, concurrency });
  const drain = () => drainVerification(db);
  const countAnswered = async () =>
    Number(
      (
        await db
          .selectFrom('webhook_delivery')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('answer_status', '=', 200)
          .executeTakeFirstOrThrow()
      ).n,
    );

  await send(warmPayments, 2000);
  await drain();
  const before = await countAnswered();
  const fast = await send(fastPayments, total);
  const fastDrain = await drain();
  const fastStored = (await countAnswered()) - before;

  await sandboxControl(sandbox.url, 'PUT', `merchants/${SANDBOX_MERCHANT.impCode}/faults`, { latency_ms: 100 });
  const before2 = await countAnswered();
  const slow = await send(slowPayments, total);
  const slowDrain = await drain();
  const slowStored = (await countAnswered()) - before2;
  const verified = Number(
    (
      await db
        .selectFrom('order')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'paid')
        .executeTakeFirstOrThrow()
    ).n,
  );

  const ok = (r: LoadResult) => r.statuses[200] ?? 0;
  console.log(
    `\nwebhook ingestion: ${total} deliveries, ${concurrency} concurrent keep-alive connections, loopback, 2 processes`,
  );
  console.log(formatLoad('bare node:http + sqlite insert', baseline));
  console.log(formatLoad('monitor (gateway fast)', fast));
  console.log(formatLoad('monitor (gateway +100 ms/call)', slow));
  console.log(
    `ratio monitor/bare: ${(fast.perSecond / baseline.perSecond).toFixed(3)} (gateway fast), ${(slow.perSecond / baseline.perSecond).toFixed(3)} (gateway slow)`,
  );
  console.log(
    `answered 200 / stored: ${ok(fast)} / ${fastStored} (fast), ${ok(slow)} / ${slowStored} (slow); lost: ${ok(fast) - fastStored + ok(slow) - slowStored}`,
  );
  const calls = Number(
    (
      await db
        .selectFrom('gateway_check')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  console.log(
    `queue drained ${fastDrain.toFixed(1)} s after the fast run, ${slowDrain.toFixed(1)} s after the slow run; orders verified paid: ${verified}; gateway look-ups recorded: ${calls}`,
  );

  await app.stop();
  await sandbox.close();
  rmSync(work, { recursive: true, force: true });
}
