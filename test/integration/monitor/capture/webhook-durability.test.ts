import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../../sandbox/server';
import { dropAppDatabase, openAppDatabase, startApp, type RunningApp } from '../../../helpers/app-server';
import { addStoreWithCli, sandboxControl } from '../../../helpers/monitor';
import { SANDBOX_MERCHANT } from '../../../helpers/stack';

const DELIVERIES = 600;
const CONCURRENCY = 20;

/**
 * Webhooks are sent while the server process is killed with SIGKILL and started again on the
 * same data: every delivery that was answered 200 must be in the database and get verified.
 */
describe('webhook durability across SIGKILL', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-durable-'));
  // Durability, not the public limits: 600 deliveries from one address for orders the store never
  // registered would otherwise meet the per-address limit and the unknown-order budget.
  const env = {
    APP_SECRET: 'durability-test-secret-0123456789abcdef',
    RATE_LIMIT_PER_IP: '0',
    UNKNOWN_ORDER_BUDGET: '100000',
  };
  let sandbox: RunningSandbox;
  let payments: { imp_uid: string; merchant_uid: string }[];

  beforeAll(async () => {
    sandbox = await startSandbox({
      config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
      dataDir,
      log: pino({ level: 'silent' }),
    });
    const created = await sandboxControl<{ payments: { imp_uid: string; merchant_uid: string }[] }>(
      sandbox.url,
      'POST',
      'payments',
      Array.from({ length: DELIVERIES }, (_, i) => ({
        merchant_uid: `durable-${i}`,
        amount: 1000,
        status: 'paid',
        webhook: false,
      })),
    );
    payments = created.payments;
    const added = await addStoreWithCli({
      dataDir,
      env,
      slug: 'durable',
      sandboxUrl: sandbox.url,
      merchant: SANDBOX_MERCHANT,
    });
    expect(added.code, added.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropAppDatabase(dataDir);
  });

  it('loses no answered delivery and verifies every one', { timeout: 120_000 }, async () => {
    let app: RunningApp = await startApp({ dataDir, env });
    const answered = new Map<number, string>();
    let failures = 0;
    let next = 0;
    let killed = false;
    let restarted: Promise<void> = Promise.resolve();

    const sendOne = async (i: number) => {
      const payment = payments[i]!;
      await restarted;
      try {
        const response = await fetch(`${app.url}/webhooks/iamport/durable`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ imp_uid: payment.imp_uid, merchant_uid: payment.merchant_uid, status: 'paid' }),
        });
        const body = (await response.json()) as { delivery_id: number };
        if (response.status === 200) answered.set(body.delivery_id, payment.imp_uid);
      } catch {
        failures += 1; // the process died under this request: Iamport would see a network error
      }
    };
    const worker = async () => {
      while (next < DELIVERIES) {
        const i = next++;
        if (!killed && i === Math.floor(DELIVERIES / 3)) {
          // SIGKILL while the other clients' requests are in flight; they resume once it is back.
          killed = true;
          restarted = (async () => {
            await app.kill();
            app = await startApp({ dataDir, env });
          })();
        }
        await sendOne(i);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // Verification is asynchronous: wait (bounded) for the queue to drain on the new process.
    const handle = await openAppDatabase(dataDir);
    try {
      for (let i = 0; i < 400; i += 1) {
        const row = await handle.db
          .selectFrom('webhook_job')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', 'in', ['queued', 'running'])
          .executeTakeFirstOrThrow();
        if (Number(row.n) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const stored = await handle.db
        .selectFrom('webhook_delivery')
        .select(['id', 'imp_uid', 'answer_status'])
        .execute();
      const storedIds = new Set(stored.map((d) => d.id));
      const lost = [...answered.keys()].filter((id) => !storedIds.has(id));
      expect(lost).toEqual([]);

      const answeredUids = [...new Set(answered.values())];
      const paid = await handle.db
        .selectFrom('order')
        .select(['imp_uid', 'status'])
        .where('imp_uid', 'in', answeredUids)
        .where('status', '=', 'paid')
        .execute();
      expect(paid).toHaveLength(answeredUids.length);
      const jobs = await handle.db.selectFrom('webhook_job').select('state').distinct().execute();
      expect(jobs.map((j) => j.state)).toEqual(['done']);
      console.log(
        `durability: ${answered.size} answered 200, ${failures} network failures during the kill, 0 lost, ${paid.length} orders verified paid`,
      );
      expect(answered.size + failures).toBe(DELIVERIES);
    } finally {
      await handle.close();
      await app.stop();
    }
  });
});
