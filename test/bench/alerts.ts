import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startAlertWorker } from '~/alerts/delivery.server';
import { loadConfig } from '~/config.server';
import { createAppContext } from '~/context.server';
import { createStore } from '~/monitor/stores/stores.server';
import { changeOrder } from '~/monitor/verify/ledger.server';
import type { LedgerEvent } from '~/monitor/verify/ledger-events';
import { openDatabase } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { startSandbox } from '../../sandbox/server';
import { addChannel, emailChannelFields } from '../helpers/alerts';
import { createTestDb } from '../helpers/db';
import { gatewayPayment, insertOrders } from '../helpers/factories';
import { ORIGIN, startApp } from '../helpers/app-server';
import { addStoreWithCli } from '../helpers/monitor';
import { startSmtpReceiver } from '../helpers/smtp-receiver';
import { SANDBOX_MERCHANT } from '../helpers/stack';
import { formatLoad } from './load';
import { createPayments, drainVerification, INGESTION_ENV, registerOrders, sendWebhooks } from './shared/webhook-load';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * 1. Latency from "reason opened" (the ledger transaction that wrote the outbox row) to "message
 *    accepted by the SMTP server" (250 reply), for 1,000 amount mismatches arriving one every
 *    few milliseconds, with the delivery worker running and a local smtp-server receiving.
 * 2. Webhook ingestion with alerts on next to alerts off, the production build, same run, for two
 *    kinds of traffic: honest payments (the everyday case: no reason opens, so alerts should cost
 *    nothing) and tampered ones (a storm: each opens an incident and writes outbox rows). Runs
 *    alternate off, on, off, … (BENCH_ALERT_ROUNDS on-runs, default 3; BENCH_DELIVERIES each,
 *    default 5000): one pair is within a shared machine's noise, so the ratio is of the means and
 *    the noise is the spread of the off runs.
 * 3. What ingestion's figure cannot resolve on a shared machine: the verification's own cost in
 *    process (the ledger change of one tampered or honest answer; SQLite, or PostgreSQL with
 *    BENCH_DATABASE_URL), alerts on next to alerts off, alternating rounds, median per verification.
 */
export async function main(args: string[] = []) {
  // `npm run bench -- alerts ledger` runs part 3 alone (it takes seconds; the others minutes).
  const only = args[0];
  const work = mkdtempSync(path.join(tmpdir(), 'bench-alerts-'));
  const smtp = await startSmtpReceiver();
  try {
    if (!only || only === 'latency') await latency(work, smtp.port, smtp);
    if (!only || only === 'ledger') await ledgerCost(work, smtp.port);
    if (!only || only === 'ingestion') {
      await ingestion(work, smtp.port, 'honest');
      await ingestion(work, smtp.port, 'tampered');
    }
  } finally {
    await smtp.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function latency(work: string, smtpPort: number, smtp: Awaited<ReturnType<typeof startSmtpReceiver>>) {
  const events = Number(process.env.BENCH_ALERT_EVENTS ?? 1000);
  const filename = path.join(work, 'latency.db');
  const handle = openDatabase({ dialect: 'sqlite', filename });
  await migrateToLatest(handle.db);
  const config = loadConfig({
    DATA_DIR: work,
    DATABASE_URL: `file:${filename}`,
    APP_SECRET: 'bench-secret-'.padEnd(40, 'x'),
  });
  const ctx = createAppContext({ config, db: handle.db, log: pino({ level: 'silent' }) });
  const { store } = await createStore(
    { db: ctx.db, now: ctx.now, appSecret: config.appSecret },
    {
      slug: 'bench',
      name: 'Bench',
      impCode: 'imp10000000',
      impKey: 'k',
      impSecret: 's',
      apiBaseUrl: 'http://127.0.0.1:9',
    },
  );
  await addChannel(ctx, emailChannelFields(smtpPort, { groupSeconds: '0' }));
  const worker = startAlertWorker({ ...ctx, appSecret: config.appSecret, linkBase: () => ORIGIN }, { pollMs: 200 });
  ctx.notifyAlertQueued = worker.wake;
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const event: LedgerEvent = {
      type: 'reason_opened',
      reason: 'amount_mismatch',
      detail: 'expected 15000 KRW, gateway has 100 KRW',
      orderId: i + 1,
      storeId: store.id,
      merchantUid: `lat-${i}`,
      status: 'mismatch',
      expectedAmount: 15000,
      paidAmount: 100,
      currency: 'KRW',
      trigger: 'webhook',
      at: new Date().toISOString(),
    };
    await ctx.db.transaction().execute(async (trx) => {
      for (const listener of ctx.ledgerListeners) await listener(trx, [event]);
    });
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20)); // ~500 events/s
  }
  const emitted = (performance.now() - started) / 1000;
  for (let i = 0; i < 600; i++) {
    const left = await ctx.db.selectFrom('alert_outbox').select('id').where('state', '=', 'pending').executeTakeFirst();
    const open = await ctx.db.selectFrom('alert_message').select('id').where('state', '!=', 'sent').executeTakeFirst();
    if (!left && !open) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await worker.stop();
  const rows = await ctx.db
    .selectFrom('alert_outbox as o')
    .innerJoin('alert_message as m', 'm.id', 'o.message_id')
    .select(['o.created_at', 'm.sent_at'])
    .execute();
  const latencies = rows
    .filter((r) => r.sent_at !== null)
    .map((r) => new Date(r.sent_at!).getTime() - new Date(r.created_at).getTime())
    .sort((a, b) => a - b);
  const messages = await ctx.db.selectFrom('alert_message').select(['item_count']).execute();
  console.log(
    `\nalert latency: ${events} amount mismatches over ${emitted.toFixed(1)} s, one email channel (grouping interval 0 s), local smtp-server`,
  );
  console.log(
    `reason opened → SMTP 250: p50 ${pct(latencies, 50)} ms, p90 ${pct(latencies, 90)} ms, p99 ${pct(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms; delivered ${latencies.length}/${events}`,
  );
  console.log(
    `messages: ${messages.length} (incidents per message: mean ${(events / messages.length).toFixed(1)}, max ${Math.max(...messages.map((m) => m.item_count))}); emails received by the SMTP server: ${smtp.mails.length}`,
  );
  await handle.close();
}

async function ingestion(work: string, smtpPort: number, traffic: 'honest' | 'tampered') {
  const total = Number(process.env.BENCH_DELIVERIES ?? 5000);
  const concurrency = 50;
  const log = pino({ level: 'silent' });
  const sandbox = await startSandbox({
    config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
    dataDir: path.join(work, 'sandbox'),
    log,
  });
  const results: {
    label: string;
    alerts: 'on' | 'off';
    perSecond: number;
    drain: number;
    incidents: number;
    messages: number;
  }[] = [];
  // Interleaved, off first and last: off, on, off, on, …, off (BENCH_ALERT_ROUNDS on-runs).
  const rounds = Number(process.env.BENCH_ALERT_ROUNDS ?? 3);
  const plan = Array.from({ length: 2 * rounds + 1 }, (_, i) => (i % 2 === 0 ? 'off' : 'on') as 'on' | 'off');
  for (const [i, alerts] of plan.entries()) {
    const label = `alerts ${alerts} #${Math.floor(i / 2) + 1}`;
    const dataDir = path.join(work, `app-${traffic}-${results.length}`);
    const env = {
      APP_SECRET: 'bench-secret-0123456789abcdef0123456789',
      LOG_LEVEL: 'info',
      ALERTS: alerts,
      ...INGESTION_ENV,
    };
    await addStoreWithCli({ dataDir, env, slug: 'bench', sandboxUrl: sandbox.url, merchant: SANDBOX_MERCHANT });
    // Tampered payments: the gateway took 100 for orders of 1,000, so every verification opens
    // amount_mismatch. Honest ones: paid in full, nothing opens.
    const payments = await createPayments(
      sandbox.url,
      `${traffic[0]}${results.length}`,
      total,
      traffic === 'tampered' ? { paidAmount: 100 } : {},
    );
    const handle = openDatabase({ dialect: 'sqlite', filename: path.join(dataDir, 'monitor.db') });
    const db = handle.db;
    await registerOrders(db, payments);
    const config = loadConfig({ DATA_DIR: dataDir, ...env });
    await addChannel(createAppContext({ config, db, log }), emailChannelFields(smtpPort, { groupSeconds: '10' }));
    const app = await startApp({ dataDir, env });
    const load = await sendWebhooks({ appUrl: app.url, storeSlug: 'bench', payments, total, concurrency });
    const drain = await drainVerification(db);
    const count = async (table: 'alert_incident' | 'alert_message') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    console.log(formatLoad(`webhook ingestion, ${label}`, load));
    results.push({
      label,
      alerts,
      perSecond: load.perSecond,
      drain,
      incidents: await count('alert_incident'),
      messages: await count('alert_message'),
    });
    await app.stop();
    await handle.close();
  }
  await sandbox.close();
  console.log(
    `\nwebhook ingestion of ${total} ${traffic} payments, ${concurrency} concurrent connections, production build:`,
  );
  for (const r of results)
    console.log(
      `${r.label.padEnd(20)} ${r.perSecond.toFixed(0).padStart(6)} req/s; verification queue drained ${r.drain.toFixed(1)} s after; incidents ${r.incidents}; alert messages ${r.messages}`,
    );
  const rates = (alerts: 'on' | 'off') => results.filter((r) => r.alerts === alerts).map((r) => r.perSecond);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = rates('off');
  const on = rates('on');
  console.log(
    `${traffic}: ratio alerts on / alerts off (means of ${on.length} on and ${off.length} off runs): ${(mean(on) / mean(off)).toFixed(3)}; ` +
      `off-run spread (noise, (max − min) / mean): ${((Math.max(...off) - Math.min(...off)) / mean(off)).toFixed(3)}; ` +
      `on-runs within the off runs' range: ${on.filter((r) => r >= Math.min(...off) && r <= Math.max(...off)).length}/${on.length}`,
  );
}

async function ledgerCost(work: string, smtpPort: number) {
  const perRound = Number(process.env.BENCH_LEDGER_ORDERS ?? 2000);
  const rounds = 5;
  // The engine under test: SQLite, or PostgreSQL with BENCH_DATABASE_URL (a database of its own).
  const t = await createTestDb();
  const context = (alerts: 'on' | 'off') =>
    createAppContext({
      config: loadConfig({
        DATA_DIR: work,
        DATABASE_URL: t.url,
        APP_SECRET: 'bench-secret-'.padEnd(40, 'x'),
        ALERTS: alerts,
      }),
      db: t.db,
      log: pino({ level: 'silent' }),
    });
  const contexts = { on: context('on'), off: context('off') };
  const { store } = await createStore(
    { db: t.db, now: () => new Date(), appSecret: contexts.on.config.appSecret },
    {
      slug: 'ledger',
      name: 'Ledger',
      impCode: 'imp10000000',
      impKey: 'k',
      impSecret: 's',
      apiBaseUrl: 'http://127.0.0.1:9',
    },
  );
  // A channel to route to (nothing delivers here: only the outbox rows are written).
  await addChannel(contexts.on, emailChannelFields(smtpPort, { groupSeconds: '60' }));
  const at = new Date().toISOString();
  let n = 0;
  const perVerification: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const traffic of ['honest', 'tampered'] as const) {
      for (const alerts of ['off', 'on'] as const) {
        const uids = Array.from({ length: perRound }, () => `ledger-${++n}`);
        const ids = await insertOrders(
          t.db,
          uids.map((merchantUid) => ({ storeId: store.id, merchantUid, at })),
        );
        const amount = traffic === 'tampered' ? 100 : 1000;
        const started = performance.now();
        for (const [i, id] of ids.entries())
          await changeOrder(contexts[alerts], id, {
            kind: 'observation',
            trigger: 'webhook',
            checkId: null,
            observation: { kind: 'found', payment: gatewayPayment({ merchantUid: uids[i]!, amount }) },
          });
        (perVerification[`${traffic} ${alerts}`] ??= []).push(((performance.now() - started) * 1000) / perRound);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `\nthe ledger change of one verification, in process (${t.dialect}, ${rounds} alternating rounds of ${perRound} orders, median µs):`,
  );
  for (const traffic of ['honest', 'tampered'] as const) {
    const off = median(perVerification[`${traffic} off`]!);
    const on = median(perVerification[`${traffic} on`]!);
    console.log(
      `${traffic.padEnd(9)} alerts off ${off.toFixed(0)} µs, on ${on.toFixed(0)} µs: alerts add ${(on - off).toFixed(0)} µs (${((on / off - 1) * 100).toFixed(0)} %)`,
    );
  }
  await t.close();
}
