import { spawnJobsCli } from '../../helpers/app-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease } from '~/monitor/jobs/lease.server';
import { EXIT, runJobCli, type CliIo } from '../../../jobs/reconcile-cli';
import { createClock } from '../../helpers/monitor';
import { createReconcileHarness, orderOf, seedOrders, type ReconcileHarness } from '../../helpers/reconcile';

function captureIo(tty = false): CliIo & { stdout: string[]; stderr: string[]; bars: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const bars: string[] = [];
  return {
    stdout,
    stderr,
    bars,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progress: tty ? (text) => bars.push(text) : undefined,
  };
}

/** `npm run reconcile` / `npm run sweep`: exit codes, output, progress. */
describe('reconcile and sweep commands (in-process)', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    h = await createReconcileHarness();
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: 150 }, (_, i) => ({ merchant_uid: `o-cli-${i}`, amount: 1000 })),
    );
    await seedOrders(
      h,
      h.store,
      payments.map((p) => ({ merchantUid: p.merchant_uid, impUid: p.imp_uid, amount: 1000 })),
    );
  });
  afterAll(() => h.closeAll());

  it('--dry-run lists what would change and exits 0, writing nothing', async () => {
    const io = captureIo();
    expect(await runJobCli('reconcile', ['--dry-run', '--store', h.store.slug], h.deps(), io, 'cli:tester')).toBe(
      EXIT.ok,
    );
    expect(io.stdout[0]).toMatch(/^reconcile run #\d+ \(dry run\): ok in \d+\.\d s$/);
    expect(io.stdout).toContain('would change (nothing was written):');
    expect(io.stdout.some((l) => /o-cli-0\s+imp_\d{12}\s+pending → paid\s+paid$/.test(l))).toBe(true);
    expect((await orderOf(h, h.store.id, 'o-cli-0')).status).toBe('pending');
    // Not a terminal: a plain progress line per 10 %, not one per batch.
    expect(io.stderr.length).toBeGreaterThan(0);
    expect(io.stderr.length).toBeLessThanOrEqual(11);
  });

  it('a run draws a progress bar on a terminal, prints the summary table and exits 0', async () => {
    const io = captureIo(true);
    expect(await runJobCli('reconcile', [], h.deps(), io, 'cli:tester')).toBe(EXIT.ok);
    expect(io.bars.some((b) => /\[#{30}\] 150\/150$/.test(b))).toBe(true);
    expect(io.bars.at(-1)).toBe('');
    const header = io.stdout.find((l) => l.startsWith('store'));
    expect(header).toMatch(
      /^store\s+status\s+examined\s+settled\s+still open\s+not reached\s+reasons opened\s+errors\s+gateway calls$/,
    );
    expect(io.stdout.find((l) => l.startsWith(h.store.slug))).toMatch(
      new RegExp(`^${h.store.slug}\\s+ok\\s+150\\s+150\\s+0\\s+0\\s+0\\s+0\\s+[1-3]$`),
    );
    expect((await orderOf(h, h.store.id, 'o-cli-0')).status).toBe('paid');
  });

  it('exits 1 when the run failed, with the store error', async () => {
    await seedOrders(h, h.store, [{ merchantUid: 'o-cli-down', impUid: 'imp_999999999997', amount: 1000 }]);
    await h.sb.setFaults(h.merchant, { status: 500 });
    const io = captureIo();
    expect(await runJobCli('reconcile', [], h.deps(), io)).toBe(EXIT.failed);
    expect(io.stdout[0]).toMatch(/: failed in/);
    expect(io.stdout).toContainEqual(
      expect.stringMatching(new RegExp(`^${h.store.slug}: gateway unavailable: retryable \\(HTTP 500\\)`)),
    );
    await h.sb.clearFaults(h.merchant);
  });

  it('exits 75 when another process holds the lease', async () => {
    const held = await acquireLease(h.ctx, 'reconcile', 'other-host:7:aaaaaa');
    if (!held.ok) throw new Error('expected the lease');
    const io = captureIo();
    expect(await runJobCli('reconcile', [], h.deps(), io)).toBe(EXIT.skipped);
    expect(io.stdout.join('\n')).toContain('another process is running reconcile: other-host:7:aaaaaa');
    await held.lease.release();
  });

  it.each([
    ['reconcile', ['--what']],
    ['reconcile', ['--store', 'nope']],
    ['sweep', ['--from', 'last tuesday']],
    ['sweep', ['--to', '2999-01-01T00:00:00Z']],
  ] as const)('%s %j is a usage error: exit 2', async (kind, args) => {
    const io = captureIo();
    expect(await runJobCli(kind, [...args], h.deps(), io)).toBe(EXIT.usage);
    expect(io.stderr.join('\n')).not.toBe('');
  });

  it('sweep prints its window in the display time zone, the zone named', async () => {
    const io = captureIo();
    expect(await runJobCli('sweep', ['--store', h.store.slug], h.deps(), io)).toBe(EXIT.ok);
    expect(io.stdout[1]).toMatch(/^window 2026-11-2\d \d\d:\d\d:\d\d KST → 2026-11-2\d \d\d:\d\d:\d\d KST$/);
    const run = await h.ctx.db
      .selectFrom('reconcile_run')
      .select(['window_from', 'window_to'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const kst = (iso: string) => new Date(Date.parse(iso) + 9 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(io.stdout[1]).toBe(`window ${kst(run.window_from!)} KST → ${kst(run.window_to!)} KST`);
  });
});

/** The built entry (`node build/node/jobs/cli.js`, what `npm run reconcile` runs) as its own process. */
describe('reconcile command (built, separate process)', () => {
  let h: ReconcileHarness;
  beforeAll(async () => {
    // The child reads the real clock: start the shared clock at the real now.
    h = await createReconcileHarness({ clock: createClock(new Date().toISOString()) });
    const payments = await h.sb.createPayments(
      h.merchant,
      Array.from({ length: 3 }, (_, i) => ({ merchant_uid: `o-proc-${i}`, amount: 1000 })),
    );
    await seedOrders(
      h,
      h.store,
      payments.map((p) => ({ merchantUid: p.merchant_uid, impUid: p.imp_uid, amount: 1000 })),
    );
  });
  afterAll(() => h.closeAll());

  const run = (args: string[]) => spawnJobsCli(args, { dir: h.t.dir, url: h.t.url, appSecret: h.ctx.config.appSecret });

  it('exits 0 after a run and leaves the orders settled', async () => {
    const { code, stdout, stderr } = await run(['reconcile', '--store', h.store.slug]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(stdout).toMatch(/^reconcile run #1: ok in \d+\.\d s\n/);
    expect(stdout).toMatch(new RegExp(`\\n${h.store.slug}\\s+ok\\s+3\\s+3\\s+0`));
    expect((await orderOf(h, h.store.id, 'o-proc-2')).status).toBe('paid');
    const [row] = await h.t.db.selectFrom('reconcile_run').select(['trigger', 'started_by', 'status']).execute();
    expect(row).toMatchObject({ trigger: 'cli', status: 'ok', started_by: expect.stringMatching(/^cli:/) });
  });

  it('exits 75 and records a skipped run while another process holds the lease', async () => {
    // The child released its lease on the real clock, a little ahead of the test's frozen one.
    h.clock.advance(60_000);
    const held = await acquireLease(h.ctx, 'reconcile', 'the-server:1:bbbbbb');
    if (!held.ok) throw new Error('expected the lease');
    try {
      const { code, stdout } = await run(['reconcile']);
      expect(code).toBe(75);
      expect(stdout).toContain('another process is running reconcile: the-server:1:bbbbbb');
      const last = await h.t.db
        .selectFrom('reconcile_run')
        .select(['status', 'lease_holder'])
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(last).toEqual({ status: 'skipped', lease_holder: 'the-server:1:bbbbbb' });
    } finally {
      await held.lease.release();
    }
  });

  it('exits 2 on bad usage', async () => {
    const { code, stderr } = await run(['reconcile', '--nope']);
    expect(code).toBe(2);
    expect(stderr).toContain('usage:');
  });
});
