import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runReconcile } from '../../app/monitor/jobs/reconcile.server';
import { startSandbox } from '../../sandbox/server';
import { createMonitorHarness } from '../helpers/monitor';
import { seedOrders } from '../helpers/reconcile';
import { formatLoad, runLoad } from './load';

/**
 * Reconciliation of N ambiguous orders (default 10,000: registered, imp_uid known, `unverified`
 * open, due now; their payments created in bulk in the sandbox) in one run, against the sandbox
 * on loopback in this process with the real clock. Prints orders settled per second and gateway
 * calls per order (batched `GET /payments?imp_uid[]=`, target < 0.02), and as the reference the
 * sandbox's own `GET /payments/{imp_uid}` rate measured here: without batching the run could not
 * settle orders faster than that.
 */
export async function main() {
  const n = Number(process.env.BENCH_ORDERS ?? 10_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-sandbox-'));
  const log = pino({ level: 'silent' });
  const sandbox = await startSandbox({
    config: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      publicUrl: null,
      merchant: { impKey: 'sandbox_imp_key', impSecret: 'sandbox_imp_secret', impCode: 'imp10000000' },
    },
    dataDir,
    log,
  });
  const h = await createMonitorHarness({
    clock: { now: () => new Date(), nowS: () => Math.floor(Date.now() / 1000), set: () => {}, advance: () => {} },
  });
  try {
    const control = async <T>(method: string, target: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${sandbox.url}/__sandbox/${target}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const parsed = (await response.json()) as { code: number; message: string; response: T };
      if (!response.ok || parsed.code !== 0) throw new Error(`sandbox ${method} ${target}: ${parsed.message}`);
      return parsed.response;
    };
    const merchant = await control<{ imp_code: string; imp_key: string; imp_secret: string }>('POST', 'merchants', {});
    const { store } = await h.addStore({
      impCode: merchant.imp_code,
      impKey: merchant.imp_key,
      impSecret: merchant.imp_secret,
      apiBaseUrl: sandbox.url,
    });

    let t = performance.now();
    const created = await control<{ payments: { imp_uid: string; merchant_uid: string; amount: number }[] }>(
      'POST',
      'payments',
      Array.from({ length: n }, (_, i) => ({
        merchant: merchant.imp_code,
        merchant_uid: `bench-${i}`,
        amount: 1000 + (i % 50),
        webhook: false,
      })),
    );
    await seedOrders(
      h,
      store,
      created.payments.map((p) => ({ merchantUid: p.merchant_uid, impUid: p.imp_uid, amount: p.amount })),
    );
    console.log(
      `setup: ${n.toLocaleString('en')} paid payments in the sandbox and ${n.toLocaleString('en')} ambiguous orders in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    // Reference: the sandbox answering one payment per request, as an unbatched job would ask.
    const token = await fetch(`${sandbox.url}/users/getToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imp_key: merchant.imp_key, imp_secret: merchant.imp_secret }),
    }).then(async (r) => ((await r.json()) as { response: { access_token: string } }).response.access_token);
    const one = `${sandbox.url}/payments/${created.payments[0]!.imp_uid}`;
    const headers = { authorization: `Bearer ${token}` };
    await runLoad({ url: one, total: 500, concurrency: 8, headers }); // warm-up
    const reference = await runLoad({ url: one, total: 5000, concurrency: 8, headers });
    console.log(formatLoad('sandbox GET /payments/{imp_uid}', reference));

    t = performance.now();
    const run = await runReconcile({ ...h.ctx, holder: 'bench' }, { trigger: 'cli', startedBy: 'bench' });
    const seconds = (performance.now() - t) / 1000;
    const perSecond = run.settled / seconds;
    const callsPerOrder = run.gatewayCalls / Math.max(1, run.examined);
    console.log(
      `reconcile run #${run.runId}: ${run.status}, examined ${run.examined}, settled ${run.settled}, still open ${run.stillOpen}, errors ${run.errors}, gateway calls ${run.gatewayCalls}`,
    );
    console.log(`  ${perSecond.toFixed(0)} orders settled/s (${seconds.toFixed(2)} s)`);
    console.log(`  ${callsPerOrder.toFixed(4)} gateway calls per order (target < 0.02)`);
    console.log(
      `  ${(perSecond / reference.perSecond).toFixed(2)}× the sandbox's single-payment look-up rate (${reference.perSecond.toFixed(0)}/s)`,
    );
    if (run.settled !== n || callsPerOrder >= 0.02) process.exitCode = 1;
  } finally {
    await h.close();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
