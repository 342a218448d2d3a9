import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '~/monitor/jobs/reconcile.server';
import { startMonitorStack, type MonitorStack } from '../../../helpers/stack';

const BUDGET = 10;
const BURST = 100;

/**
 * Forged evidence for unregistered merchant_uids, sent concurrently over HTTP: every hit is stored,
 * but only the store's per-minute budget of them costs gateway calls and orders; the rest are
 * queued (coalesced) and verified later by the scheduled job from the same budget.
 */
describe('the unknown-order budget under concurrency', () => {
  let s: MonitorStack;
  beforeAll(async () => {
    s = await startMonitorStack();
    s.ctx.config.limits.unknownOrdersPerMinute = BUDGET;
  });
  afterAll(() => s?.stop());

  const count = async (table: 'order' | 'redirect_hit' | 'gateway_check' | 'unverified_evidence') =>
    Number(
      (
        await s.t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('a concurrent burst of forged ids costs at most the budget; the rest wait for the job, and none is lost', async () => {
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        s.redirect(`merchant_uid=forged-${i}&imp_success=false`).then((r) => r.status),
      ),
    );
    // The buyer-facing answer is the same for everyone (the failure page), budget or not.
    expect(new Set(answers)).toEqual(new Set([303]));
    expect(await count('redirect_hit')).toBe(BURST);
    expect(await count('order')).toBe(BUDGET);
    // Each admitted id: one look-up by merchant_uid and one prepare-record read.
    expect(await count('gateway_check')).toBe(2 * BUDGET);
    expect(await count('unverified_evidence')).toBe(BURST - BUDGET);

    // The same ids again are coalesced: no new queue rows, no gateway call.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.redirect(`merchant_uid=forged-${BURST - 1 - i}&imp_success=false`)),
    );
    expect(await count('unverified_evidence')).toBe(BURST - BUDGET);
    expect(await count('gateway_check')).toBe(2 * BUDGET);
    const coalesced = await s.t.db
      .selectFrom('unverified_evidence')
      .select('hits')
      .where('merchant_uid', '=', `forged-${BURST - 1}`)
      .executeTakeFirstOrThrow();
    expect(coalesced.hits).toBe(2);

    // The next minute, the job verifies the next budget's worth from the queue.
    s.clock.advance(60_000);
    const run = await runReconcile({ ...s.ctx, holder: 'test', sleep: async () => {} }, { trigger: 'cli' });
    expect(run.status).toBe('ok');
    expect(await count('order')).toBe(2 * BUDGET);
    expect(await count('unverified_evidence')).toBe(BURST - 2 * BUDGET);
    const queued = await s.t.db.selectFrom('order').select(['merchant_uid', 'status']).execute();
    // Only the gateway settles: every one of them is still pending.
    expect(new Set(queued.map((o) => o.status))).toEqual(new Set(['pending']));
  });

  it('evidence for a registered order never waits for the budget', async () => {
    const response = await s.registerOrder({ merchant_uid: 'registered-1', amount: 1000 });
    expect(response.status).toBe(201);
    const created = await s.control<{ imp_uid: string }>('POST', 'payments', {
      merchant_uid: 'registered-1',
      amount: 1000,
      status: 'paid',
      webhook: false,
    });
    const redirect = await s.redirect(`imp_uid=${created.imp_uid}&merchant_uid=registered-1&imp_success=true`);
    expect(new URL(redirect.headers.get('location')!, 'http://x').searchParams.get('status')).toBe('paid');
  });
});
