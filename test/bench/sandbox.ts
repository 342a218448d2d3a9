import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startSandbox } from '../../sandbox/server';
import { formatLoad, runLoad, type LoadResult } from './load';

/**
 * How fast does the sandbox answer `GET /payments/{imp_uid}` (token check, SQLite read, the
 * 54-key Payment as JSON)? 50 concurrent keep-alive clients on loopback, against a bare
 * node:http server answering a fixed JSON payment of the same size in the same process.
 */
export async function main() {
  const total = Number(process.env.BENCH_REQUESTS ?? 20000);
  const concurrency = 50;
  const seeded = Number(process.env.BENCH_PAYMENTS ?? 10000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sandbox-bench-'));
  const merchant = { impKey: 'bench_key', impSecret: 'bench_secret', impCode: 'imp10000000' };
  const sandbox = await startSandbox({
    config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant },
    dataDir,
    log: pino({ level: 'silent' }),
  });
  try {
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${sandbox.url}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await res.json()) as { response: never };
    };
    const t0 = performance.now();
    const created: { count: number; payments: { imp_uid: string }[] } = (
      await post(
        '/__sandbox/payments',
        Array.from({ length: seeded }, (_, i) => ({ merchant_uid: `bench-${i}`, amount: 1000 + i, webhook: false })),
      )
    ).response;
    console.log(`seeded ${created.count} payments in one call: ${(performance.now() - t0).toFixed(0)} ms`);
    const token: string = (
      (await post('/users/getToken', { imp_key: merchant.impKey, imp_secret: merchant.impSecret })).response as {
        access_token: string;
      }
    ).access_token;
    const target = created.payments[Math.floor(created.count / 2)]!.imp_uid;
    const url = `${sandbox.url}/payments/${target}`;
    const sample = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();

    const bare: Server = createServer((_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=UTF-8',
        'Content-Length': Buffer.byteLength(sample),
      });
      res.end(sample);
    });
    const barePort = await new Promise<number>((resolve) =>
      bare.listen(0, '127.0.0.1', () => resolve((bare.address() as { port: number }).port)),
    );

    console.log(
      `GET /payments/{imp_uid}, ${total} requests, ${concurrency} concurrent, loopback, ${sample.length}-byte answer`,
    );
    const rows: [string, string, Record<string, string>][] = [
      ['bare node:http fixed JSON (baseline)', `http://127.0.0.1:${barePort}/payments/${target}`, {}],
      ['sandbox GET /payments/{imp_uid}', url, { authorization: `Bearer ${token}` }],
    ];
    const results: LoadResult[] = [];
    for (const [label, target, headers] of rows) {
      await runLoad({ url: target, total: 2000, concurrency, headers }); // warm-up
      const result = await runLoad({ url: target, total, concurrency, headers });
      results.push(result);
      console.log(formatLoad(label, result));
    }
    bare.close();
    const [baseline, ours] = results as [LoadResult, LoadResult];
    if (ours.errors || Object.keys(ours.statuses).some((s) => s !== '200'))
      console.log('warning: the sandbox answered something other than 200');
    console.log(
      `ratio sandbox/baseline ${(ours.perSecond / baseline.perSecond).toFixed(3)}  p99 ${(ours.p99 / baseline.p99).toFixed(2)}x`,
    );
  } finally {
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
