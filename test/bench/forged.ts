import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openDatabase } from '../../db/connection';
import { startSandbox } from '../../sandbox/server';
import { startApp } from '../helpers/app-server';
import { addStoreWithCli } from '../helpers/monitor';
import { SANDBOX_MERCHANT } from '../helpers/stack';

/**
 * Forged evidence (issue 10): 1,000 redirects naming unregistered merchant_uids, paced over 10 s,
 * against the production build (its own process) and the sandbox as the gateway. Printed for each
 * setting: the answers, the gateway calls the monitor made and the rows it wrote. The baseline row
 * is the same run with the unknown-order budget lifted (what every forged id used to cost).
 *
 * Bound (per store, per minute window, whatever the number of clients): at most
 * UNKNOWN_ORDER_BUDGET admitted ids, each at most 2 gateway calls (look-up + prepare record) and
 * 1 order (with up to 3 reasons, 1 verification); every other forged id costs 1 redirect_hit row
 * and at most 1 queue row (coalesced per id), no gateway call. 10 s spans at most 2 windows.
 */
const TOTAL = Number(process.env.BENCH_FORGED ?? 1000);
const SECONDS = 10;
const CONCURRENCY = 20;

type Figures = {
  label: string;
  answers: Record<string, number>;
  gatewayCalls: number;
  rows: Record<string, number>;
  seconds: number;
};

async function runOnce(label: string, sandboxUrl: string, env: Record<string, string>): Promise<Figures> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-forged-app-'));
  const base = { APP_SECRET: 'bench-forged-secret-0123456789abcdef0123', LOG_LEVEL: 'warn', ...env };
  const added = await addStoreWithCli({ dataDir, env: base, slug: 'shop', sandboxUrl, merchant: SANDBOX_MERCHANT });
  if (added.code !== 0) throw new Error(added.stderr);
  const app = await startApp({ dataDir, env: { ...base, LOG_LEVEL: 'info' } });
  const answers: Record<string, number> = {};
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      // Paced: request i is sent no earlier than i × (10 s / 1,000).
      const due = started + (i * SECONDS * 1000) / TOTAL;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const response = await fetch(
        `${app.url}/payments/shop/complete?merchant_uid=forged-${i}-${Math.random().toString(36).slice(2, 8)}&imp_success=false&error_code=F400`,
        { redirect: 'manual' },
      );
      await response.arrayBuffer();
      answers[response.status] = (answers[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  await app.stop();
  const gatewayCalls = metrics
    .split('\n')
    .filter((l) => l.startsWith('monitor_gateway_calls_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  const handle = openDatabase({ dialect: 'sqlite', filename: path.join(dataDir, 'monitor.db') });
  const rows: Record<string, number> = {};
  for (const table of [
    'redirect_hit',
    'order',
    'attention_reason',
    'gateway_check',
    'verification',
    'unverified_evidence',
    'rate_window',
  ] as const) {
    const row = await handle.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    rows[table] = Number(row.n);
  }
  await handle.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { label, answers, gatewayCalls, rows, seconds };
}

export async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'bench-forged-'));
  const sandbox = await startSandbox({
    config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
    dataDir: work,
    log: pino({ level: 'silent' }),
  });
  const budget = 60;
  try {
    console.log(
      `${TOTAL} forged redirects for unregistered merchant_uids over ${SECONDS} s, ${CONCURRENCY} connections`,
    );
    const results = [
      await runOnce('baseline: no budget, no address limit', sandbox.url, {
        UNKNOWN_ORDER_BUDGET: '100000',
        RATE_LIMIT_PER_IP: '0',
      }),
      await runOnce(`budget ${budget}/min, no address limit (many clients)`, sandbox.url, {
        UNKNOWN_ORDER_BUDGET: String(budget),
        RATE_LIMIT_PER_IP: '0',
      }),
      await runOnce(`budget ${budget}/min, default address limit (one client)`, sandbox.url, {
        UNKNOWN_ORDER_BUDGET: String(budget),
      }),
    ];
    for (const r of results) {
      const written = Object.values(r.rows).reduce((a, b) => a + b, 0);
      console.log(`\n${r.label}  (${r.seconds.toFixed(1)} s)`);
      console.log(`  answers       ${JSON.stringify(r.answers)}`);
      console.log(`  gateway calls ${r.gatewayCalls}`);
      console.log(`  rows written  ${written}  ${JSON.stringify(r.rows)}`);
    }
    const [baseline, bounded] = results as [Figures, Figures, Figures];
    console.log(
      `\nratio gateway calls bounded/baseline ${(bounded.gatewayCalls / Math.max(1, baseline.gatewayCalls)).toFixed(3)}`,
    );
    console.log(
      `bound: ≤ ${budget} admitted ids per store per minute × 2 calls = ${2 * budget} gateway calls/min ` +
        `(≤ ${4 * budget} in a 10 s burst spanning two windows); rows ≤ 2 per request (the hit, its queue row) + ` +
        `7 per admitted id (order, ≤ 3 reasons, verification, 2 checks) + 1 per window`,
    );
    for (const r of results.slice(1)) {
      // A run of `seconds` touches at most this many budget windows (minutes).
      const windows = Math.floor(r.seconds / 60) + 2;
      const requests = Object.values(r.answers).reduce((a, b) => a + b, 0);
      const callBound = 2 * budget * windows;
      const rowBound = 2 * requests + 7 * budget * windows + windows;
      const written = Object.values(r.rows).reduce((a, b) => a + b, 0);
      console.log(
        `  ${r.label}: gateway calls ${r.gatewayCalls} ≤ ${callBound}: ${r.gatewayCalls <= callBound ? 'yes' : 'NO'}; ` +
          `rows ${written} ≤ ${rowBound}: ${written <= rowBound ? 'yes' : 'NO'}; orders ${r.rows.order} ≤ ${budget * windows}: ${(r.rows.order ?? 0) <= budget * windows ? 'yes' : 'NO'}`,
      );
    }
  } finally {
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  }
}
