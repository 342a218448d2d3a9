import type { KyselyPlugin } from 'kysely';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import { processWebhookBatch } from '~/monitor/capture/webhook-worker.server';
import { forEachLimited } from '~/monitor/concurrency';
import { testDialect } from '../helpers/db';
import { createReconcileHarness, seedOrders } from '../helpers/reconcile';
import { webhookRequest } from '../helpers/factories';

/**
 * `npm run bench -- webhook-drain`: the webhook queue's worker alone, in one process, on the
 * engine the run is on (BENCH_DATABASE_URL for PostgreSQL): N registered orders, their payments at
 * the in-process sandbox, N deliveries captured, then the queue drained by `processWebhookBatch`
 * as the worker calls it. Prints jobs per second and the SQL statements per job (each one a round
 * trip on PostgreSQL), the two figures that decide how fast a burst is verified.
 */
export async function main(): Promise<void> {
  const total = Number(process.env.BENCH_DELIVERIES ?? 3000);
  const h = await createReconcileHarness();
  try {
    let statements = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        statements += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const db = h.ctx.db.withPlugin(counter);
    const ctx = { ...h.ctx, db };
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: total }, (_, i) => ({ merchant_uid: `drain-${i}`, amount: 1000 })),
    );
    await seedOrders(
      h,
      h.store,
      payments.map((p) => ({
        merchantUid: p.merchant_uid,
        impUid: null,
        amount: 1000,
        reasons: [],
        nextCheckAt: null,
      })),
    );

    let started = performance.now();
    statements = 0;
    await forEachLimited(payments, 10, async (p) => {
      await captureWebhook(
        ctx,
        webhookRequest(h.store.slug, { imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, status: 'paid' }),
      );
    });
    const captureMs = performance.now() - started;
    const captureStatements = statements;

    started = performance.now();
    statements = 0;
    let batches = 0;
    // BENCH_LANES: how many transactions verify a batch side by side (the worker's default otherwise).
    const lanes = process.env.BENCH_LANES ? Number(process.env.BENCH_LANES) : undefined;
    while ((await processWebhookBatch(ctx, { lanes })) > 0) batches += 1;
    const drainMs = performance.now() - started;
    const paid = await h.t.db
      .selectFrom('order')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'paid')
      .executeTakeFirstOrThrow();

    const left = await h.t.db
      .selectFrom('webhook_job')
      .select(['state', 'last_error'])
      .where('state', '!=', 'done')
      .execute();
    const failedChecks = await h.t.db
      .selectFrom('gateway_check')
      .select(['operation', 'http_status', 'error_code', 'error_message'])
      .where('ok', '=', 0)
      .execute();
    console.log(`\nwebhook queue drain, ${testDialect}: ${total} deliveries, one process, in-process sandbox`);
    console.log(
      `capture: ${(captureMs / 1000).toFixed(2)} s, ${Math.round(total / (captureMs / 1000))} deliveries/s, ${(captureStatements / total).toFixed(1)} statements per delivery (10 concurrent)`,
    );
    console.log(
      `drain:   ${(drainMs / 1000).toFixed(2)} s, ${Math.round(total / (drainMs / 1000))} jobs/s, ${(statements / total).toFixed(1)} statements per job, ${batches} batches; orders paid: ${Number(paid.n)}/${total}`,
    );
    // (A job whose batched look-up failed waits for its retry, which this clock never reaches.)
    if (left.length) console.log(`jobs not done: ${left.length}, e.g. ${JSON.stringify(left[0])}`);
    if (failedChecks.length) console.log(`failed gateway checks: ${JSON.stringify(failedChecks.slice(0, 3))}`);
  } finally {
    await h.closeAll();
  }
}
