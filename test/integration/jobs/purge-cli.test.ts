import { spawnJobsCli } from '../../helpers/app-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRedirectHit } from '../../../db/evidence';
import { insertOrderIfAbsent, newPendingOrder } from '../../../db/orders';
import { acquireLease } from '~/monitor/jobs/lease.server';
import type { Store } from '~/monitor/stores/stores.server';
import type { OrderStatus } from '~/monitor/status';
import { EXIT, runJobCli, type CliIo } from '../../../jobs/reconcile-cli';
import { createClock, createMonitorHarness, type MonitorHarness } from '../../helpers/monitor';

const DAY = 86_400_000;

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

/** Orders with one raw redirect hit each, `ageDays` old. */
async function seed(h: MonitorHarness, store: Store, label: string, status: OrderStatus, ageDays: number, n: number) {
  const at = new Date(h.clock.now().getTime() - ageDays * DAY).toISOString();
  for (let i = 0; i < n; i++) {
    const merchantUid = `${label}-${i}`;
    const { order } = await insertOrderIfAbsent(
      h.t.db,
      newPendingOrder(
        {
          store_id: store.id,
          merchant_uid: merchantUid,
          expected_amount: 1000,
          currency: 'KRW',
          name: null,
          source: 'api',
          at,
        },
        { status },
      ),
    );
    await insertRedirectHit(h.t.db, {
      store_slug: store.slug,
      store_id: store.id,
      order_id: order.id,
      received_at: at,
      query_string: `merchant_uid=${merchantUid}&imp_success=true`,
      query_truncated: 0,
      ip: '203.0.113.9',
      user_agent: 'agent',
      parse_error: null,
      imp_uid: null,
      merchant_uid: merchantUid,
      flag_kind: 'imp_success',
      flag_value: 'true',
      error_code: null,
      error_msg: null,
    });
  }
}

const rawLeft = async (h: MonitorHarness) =>
  Number(
    (
      await h.t.db
        .selectFrom('redirect_hit')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('purged_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** `npm run purge`: the retention purge as a command, with the lease and run history of the scheduled job. */
describe('purge command (in-process)', () => {
  let h: MonitorHarness;
  beforeAll(async () => {
    h = await createMonitorHarness();
    const shop = (await h.addStore({ slug: 'shop', evidenceRetentionDays: 30 })).store;
    const other = (await h.addStore({ slug: 'other', evidenceRetentionDays: 30 })).store;
    await seed(h, shop, 'old-paid', 'paid', 40, 7);
    await seed(h, shop, 'old-pending', 'pending', 40, 2);
    await seed(h, shop, 'recent', 'paid', 5, 3);
    await seed(h, other, 'other-old', 'failed', 60, 4);
  });
  afterAll(() => h.close());

  const deps = () => ({ ...h.ctx, holder: 'test-purge', sleep: async () => {} });

  it('--dry-run counts what the run would purge (every batch) and changes nothing', async () => {
    const io = captureIo();
    expect(await runJobCli('purge', ['--dry-run', '--store', 'shop'], deps(), io, 'cli:tester')).toBe(EXIT.ok);
    expect(io.stdout[0]).toMatch(/^purge run #\d+ \(dry run\): ok in \d+\.\d s$/);
    expect(io.stdout).toContain('nothing was changed (dry run)');
    expect(io.stdout.find((l) => l.startsWith('store'))).toMatch(/^store\s+status\s+would purge\s+errors$/);
    expect(io.stdout.some((l) => /^shop\s+ok\s+7\s+0$/.test(l))).toBe(true);
    expect(await rawLeft(h)).toBe(16);
    const [run] = await h.t.db
      .selectFrom('reconcile_run')
      .select(['kind', 'trigger', 'dry_run', 'status', 'started_by', 'examined'])
      .execute();
    expect(run).toEqual({
      kind: 'purge',
      trigger: 'cli',
      dry_run: 1,
      status: 'ok',
      started_by: 'cli:tester',
      examined: 7,
    });
  });

  it('exits 75 while another process holds the purge lease, and records the skipped run', async () => {
    const held = await acquireLease(h.ctx, 'purge', 'other-host:7:aaaaaa');
    if (!held.ok) throw new Error('expected the lease');
    try {
      const io = captureIo();
      expect(await runJobCli('purge', [], deps(), io)).toBe(EXIT.skipped);
      expect(io.stdout.join('\n')).toContain('another process is running purge: other-host:7:aaaaaa');
      expect(await rawLeft(h)).toBe(16);
    } finally {
      await held.lease.release();
    }
  });

  it('a real run purges what the dry run counted, per store, and a second run finds nothing', async () => {
    const dry = captureIo();
    expect(await runJobCli('purge', ['--dry-run'], deps(), dry)).toBe(EXIT.ok);
    expect(dry.stdout.some((l) => /^total\s+ok\s+11\s+0$/.test(l))).toBe(true);
    const io = captureIo();
    expect(await runJobCli('purge', [], deps(), io)).toBe(EXIT.ok);
    expect(io.stdout[0]).toMatch(/^purge run #\d+: ok in \d+\.\d s$/);
    expect(io.stdout.find((l) => l.startsWith('store'))).toMatch(/^store\s+status\s+rows purged\s+errors$/);
    expect(io.stdout.some((l) => /^other\s+ok\s+4\s+0$/.test(l))).toBe(true);
    expect(io.stdout.some((l) => /^shop\s+ok\s+7\s+0$/.test(l))).toBe(true);
    expect(io.stdout.some((l) => /^total\s+ok\s+11\s+0$/.test(l))).toBe(true);
    // Pending orders' and recent evidence keep their raw part.
    expect(await rawLeft(h)).toBe(5);
    const again = captureIo();
    expect(await runJobCli('purge', [], deps(), again)).toBe(EXIT.ok);
    expect(again.stdout.some((l) => /^total\s+ok\s+0\s+0$/.test(l))).toBe(true);
  });

  it.each([[['--what']], [['--store', 'nope']], [['--all']], [['--from', '2026-01-01']]])(
    'purge %j is a usage error: exit 2',
    async (args) => {
      const io = captureIo();
      expect(await runJobCli('purge', args, deps(), io)).toBe(EXIT.usage);
      expect(io.stderr.join('\n')).not.toBe('');
    },
  );
});

/** The built entry (`node build/node/jobs/cli.js purge`, what `npm run purge` runs) as its own process. */
describe('purge command (built, separate process)', () => {
  let h: MonitorHarness;
  beforeAll(async () => {
    // The child reads the real clock.
    h = await createMonitorHarness({ clock: createClock(new Date().toISOString()) });
    const shop = (await h.addStore({ slug: 'shop', evidenceRetentionDays: 30 })).store;
    await seed(h, shop, 'old-paid', 'paid', 40, 3);
  });
  afterAll(() => h.close());

  const run = (args: string[]) => spawnJobsCli(args, { dir: h.t.dir, url: h.t.url, appSecret: h.ctx.config.appSecret });

  it('--dry-run then a run: exit 0, the table, the raw part dropped only by the run', async () => {
    const dry = await run(['purge', '--dry-run', '--store', 'shop']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^purge run #1 \(dry run\): ok in \d+\.\d s\n/);
    expect(dry.stdout).toMatch(/\nshop\s+ok\s+3\s+0\n/);
    expect(await rawLeft(h)).toBe(3);
    const real = await run(['purge']);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^purge run #2: ok in \d+\.\d s\n/);
    expect(real.stdout).toMatch(/\nshop\s+ok\s+3\s+0\n/);
    expect(await rawLeft(h)).toBe(0);
  });
});
