import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../app/config.server';
import { createAppContext } from '../app/context.server';
import { AppError } from '../app/errors';
import { formatDateTime } from '../app/i18n/format';
import { createLogger } from '../app/logger.server';
import { runReconcile } from '../app/monitor/jobs/reconcile.server';
import { getRun } from '../app/monitor/dashboard/runs.server';
import type { JobDeps, RunProgress, RunSummary } from '../app/monitor/jobs/run-frame.server';
import { runSweep } from '../app/monitor/jobs/sweep.server';
import { runPurge } from '../app/monitor/jobs/purge.server';
import { openDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';

/**
 * `npm run reconcile -- [--store S] [--dry-run] [--all]`, `npm run sweep -- [--store S]
 * [--from ISO] [--to ISO] [--dry-run]` and `npm run purge -- [--store S] [--dry-run]`: one run now,
 * in this process, under the same lease and with the same run history as the scheduled job. A
 * progress bar on a terminal (plain lines otherwise), a summary table at the end.
 */

export const EXIT = { ok: 0, failed: 1, usage: 2, skipped: 75 } as const;

export const JOB_USAGE = `  reconcile [--store S] [--dry-run] [--all]
            re-query due ambiguous orders now (--all: every ambiguous order, due or not;
            --dry-run: ask the gateway and show what would change, write nothing)
  sweep [--store S] [--from ISO] [--to ISO] [--dry-run]
            list the gateway's payments of the window and flag those we do not know
  purge [--store S] [--dry-run]
            drop the raw part of evidence of settled orders past each store's retention
            (--dry-run: count what would be purged, change nothing)
  exit codes: 0 ok, 1 the run failed, 2 bad usage, 75 skipped (another process is running it)`;

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Draws the progress bar in place; absent when stderr is not a terminal. */
  progress?: (text: string) => void;
};

type Parsed =
  | { kind: 'reconcile'; store?: string; dryRun: boolean; all: boolean }
  | { kind: 'sweep'; store?: string; dryRun: boolean; from?: Date; to?: Date }
  | { kind: 'purge'; store?: string; dryRun: boolean };

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new AppError('bad_request', `--${name} must be an ISO date or time, e.g. 2026-11-24T09:00:00Z`);
  return date;
}

export type JobKind = 'reconcile' | 'sweep' | 'purge';

export function parseJobArgs(kind: JobKind, argv: string[]): Parsed {
  try {
    if (kind === 'reconcile') {
      const { values } = parseArgs({
        args: argv,
        strict: true,
        options: { store: { type: 'string' }, 'dry-run': { type: 'boolean' }, all: { type: 'boolean' } },
      });
      return { kind, store: values.store, dryRun: values['dry-run'] === true, all: values.all === true };
    }
    if (kind === 'purge') {
      const { values } = parseArgs({
        args: argv,
        strict: true,
        options: { store: { type: 'string' }, 'dry-run': { type: 'boolean' } },
      });
      return { kind, store: values.store, dryRun: values['dry-run'] === true };
    }
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        store: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    });
    return {
      kind,
      store: values.store,
      dryRun: values['dry-run'] === true,
      from: parseTime(values.from, 'from'),
      to: parseTime(values.to, 'to'),
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('bad_request', error instanceof Error ? error.message : String(error));
  }
}

/** Runs one command with the given dependencies and returns the exit code. */
export async function runJobCli(
  kind: JobKind,
  argv: string[],
  deps: JobDeps,
  io: CliIo,
  startedBy = `cli:${safeUser()}`,
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseJobArgs(kind, argv);
  } catch (error) {
    io.err(`${(error as Error).message}\nusage:\n${JOB_USAGE}`);
    return EXIT.usage;
  }
  const bar = progressReporter(io);
  let summary: RunSummary;
  try {
    const common = {
      trigger: 'cli' as const,
      storeSlug: parsed.store,
      dryRun: parsed.dryRun,
      startedBy,
      onProgress: bar.update,
    };
    summary =
      parsed.kind === 'reconcile'
        ? await runReconcile(deps, { ...common, all: parsed.all })
        : parsed.kind === 'purge'
          ? await runPurge(deps, common)
          : await runSweep(deps, { ...common, from: parsed.from, to: parsed.to });
  } catch (error) {
    bar.end();
    if (error instanceof AppError) {
      io.err(error.message);
      return error.code === 'bad_request' || error.code === 'not_found' ? EXIT.usage : EXIT.failed;
    }
    throw error;
  }
  bar.end();
  for (const line of await summaryLines(deps, summary)) io.out(line);
  if (summary.status === 'skipped') return EXIT.skipped;
  return summary.status === 'ok' ? EXIT.ok : EXIT.failed;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function progressReporter(io: CliIo): { update: (p: RunProgress) => void; end: () => void } {
  let drawn = false;
  const lastStep = new Map<string, number>();
  return {
    update(p) {
      if (p.total === 0) return;
      const ratio = Math.min(1, p.done / p.total);
      if (io.progress) {
        const width = 30;
        const full = Math.round(ratio * width);
        io.progress(
          `${p.store} ${p.phase === 'requery' ? 're-query' : 'sweep'} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')}`,
        );
        drawn = true;
        return;
      }
      // Without a terminal: a line per 10 % (and the first and last), not one per batch.
      const step = Math.floor(ratio * 10);
      const key = `${p.store}:${p.phase}`;
      if (lastStep.get(key) === step) return;
      lastStep.set(key, step);
      io.err(`${p.store}: ${p.phase === 'requery' ? 're-queried' : 'listed'} ${p.done}/${p.total}`);
    },
    end() {
      if (drawn) io.progress?.('');
      drawn = false;
    },
  };
}

/** A plain-text table: columns padded to their widest cell. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

async function summaryLines(deps: JobDeps, summary: RunSummary): Promise<string[]> {
  const lines: string[] = [];
  const seconds = summary.durationMs === null ? '' : ` in ${(summary.durationMs / 1000).toFixed(1)} s`;
  const flags = [summary.dryRun ? 'dry run' : null, summary.allOrders ? 'all' : null].filter(Boolean).join(', ');
  lines.push(`${summary.kind} run #${summary.runId}${flags ? ` (${flags})` : ''}: ${summary.status}${seconds}`);
  if (summary.status === 'skipped') {
    lines.push(summary.error ?? 'skipped');
    return lines;
  }
  if (summary.kind === 'purge') return [...lines, ...purgeLines(summary)];
  if (summary.windowFrom || summary.windowTo) {
    // In the display zone with the zone named, like every time the dashboard shows (issue 12).
    const at = (iso: string | null) => (iso ? formatDateTime('en', iso, { seconds: true }) : '…');
    lines.push(`window ${at(summary.windowFrom)} → ${at(summary.windowTo)}`);
  }
  const header = [
    'store',
    'status',
    'examined',
    'settled',
    'still open',
    'not reached',
    'reasons opened',
    'errors',
    'gateway calls',
  ];
  const rows = summary.stores.map((s) => [
    s.storeSlug,
    s.status,
    String(s.examined),
    String(s.settled),
    String(s.stillOpen),
    String(s.notReached),
    String(s.reasonsOpened),
    String(s.errors),
    String(s.gatewayCalls),
  ]);
  const total = (f: (s: RunSummary['stores'][number]) => number) =>
    String(summary.stores.reduce((n, s) => n + f(s), 0));
  rows.push([
    'total',
    summary.status,
    String(summary.examined),
    String(summary.settled),
    String(summary.stillOpen),
    total((s) => s.notReached),
    total((s) => s.reasonsOpened),
    String(summary.errors),
    String(summary.gatewayCalls),
  ]);
  lines.push('', ...table([header, ...rows]));
  const errors = summary.stores.filter((s) => s.error);
  if (errors.length) lines.push('', ...errors.map((s) => `${s.storeSlug}: ${s.error}`));
  else if (summary.error) lines.push('', summary.error);

  if (summary.dryRun) {
    const detail = await getRun(deps, summary.runId, { itemLimit: 1000 });
    const changes = (detail?.items ?? []).filter(
      (i) => i.statusBefore !== i.statusAfter || i.reasonsOpened.length > 0 || i.outcome === 'reason_resolved',
    );
    lines.push(
      '',
      changes.length ? 'would change (nothing was written):' : 'nothing would change (nothing was written)',
    );
    const shown = changes
      .slice(0, 50)
      .map((i) => [
        i.storeSlug,
        i.merchantUid ?? '',
        i.impUid ?? '',
        `${i.statusBefore ?? 'new'} → ${i.statusAfter ?? '?'}`,
        i.outcome,
        i.reasonsOpened.length ? `opens ${i.reasonsOpened.join(', ')}` : '',
      ]);
    if (shown.length) lines.push(...table(shown));
    if (changes.length > 50) lines.push(`… and ${changes.length - 50} more (see the run in the dashboard)`);
  }
  return lines;
}

/** A purge run's table: evidence rows whose raw part was dropped (or would be, in a dry run). */
function purgeLines(summary: RunSummary): string[] {
  const rows = summary.stores.map((s) => [s.storeSlug, s.status, String(s.examined), String(s.errors)]);
  rows.push(['total', summary.status, String(summary.examined), String(summary.errors)]);
  const lines = [
    '',
    ...table([['store', 'status', summary.dryRun ? 'would purge' : 'rows purged', 'errors'], ...rows]),
  ];
  const errors = summary.stores.filter((s) => s.error);
  if (errors.length) lines.push('', ...errors.map((s) => `${s.storeSlug}: ${s.error}`));
  else if (summary.error) lines.push('', summary.error);
  if (summary.dryRun) lines.push('', 'nothing was changed (dry run)');
  return lines;
}

/** The process entry for the job commands: configuration, database, context, one run, exit code. */
export async function jobCommand(kind: JobKind, argv: string[]): Promise<number> {
  const config = loadConfig();
  // Logs go to stderr below `info` so stdout carries the table and nothing else.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
  const handle = openDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const context = createAppContext({ config, db: handle.db, log });
    const tty = process.stderr.isTTY === true;
    return await runJobCli(kind, argv, context, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      progress: tty ? (text) => process.stderr.write(`\r\x1b[2K${text}`) : undefined,
    });
  } finally {
    await handle.close();
  }
}
