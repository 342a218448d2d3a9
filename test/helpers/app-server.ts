import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { openDatabase, type DbHandle } from '../../db/connection';
import { createEmptyDatabase, onPostgres, type EmptyDatabase } from './db';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
const serverEntry = path.join(repoRoot, 'build/node/server/main.js');

/**
 * The one origin of the monitor in tests: the PUBLIC_URL a sandbox-less app gets unless the test
 * sets its own, the origin of in-process requests, the base of links in alert messages.
 */
export const ORIGIN = 'http://monitor.test';

export type RunningApp = {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines and plain errors). */
  lines: string[];
  /** The first line (already logged or still to come) that `match` accepts; rejects after `timeoutMs`. */
  waitForLine: (match: (line: string) => boolean, timeoutMs?: number) => Promise<string>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL: the process dies mid-flight, for durability tests. */
  kill: () => Promise<void>;
  /** Removes the data dir (after stop/kill), and on PostgreSQL the app's database. */
  cleanup: () => Promise<void>;
};

export type StartOptions = {
  env?: Record<string, string>;
  dataDir?: string;
  /** Which entry point to run (defaults to the production server). */
  entry?: string;
  cwd?: string;
  readyMessage?: string;
  timeoutMs?: number;
};

/** The APP_SECRET spawned apps get on PostgreSQL (where the start requires one). */
export const TEST_APP_SECRET = 'spawned-app-test-secret-'.padEnd(48, 'x');

const appDatabases = new Map<string, EmptyDatabase>();

/**
 * The environment that points a spawned process at the test engine's database for `dataDir`:
 * nothing on SQLite (the app opens DATA_DIR/monitor.db), on PostgreSQL a database created for
 * that data dir on first use and reused by every later process with the same one (a restart
 * finds its data), dropped by `dropAppDatabase`.
 */
export async function databaseEnvFor(dataDir: string): Promise<Record<string, string>> {
  if (!onPostgres) return {};
  let database = appDatabases.get(dataDir);
  if (!database) {
    database = await createEmptyDatabase(dataDir);
    appDatabases.set(dataDir, database);
  }
  return { DATABASE_URL: database.url, APP_SECRET: TEST_APP_SECRET };
}

/** Opens the database the app with `dataDir` uses (DATA_DIR/monitor.db, or its PostgreSQL database). */
export async function openAppDatabase(dataDir: string): Promise<DbHandle> {
  if (!onPostgres) return openDatabase({ dialect: 'sqlite', filename: path.join(dataDir, 'monitor.db') });
  const { DATABASE_URL } = await databaseEnvFor(dataDir);
  return openDatabase({ dialect: 'postgres', connectionString: DATABASE_URL! });
}

/** Drops the PostgreSQL database made for `dataDir` (no-op on SQLite). */
export async function dropAppDatabase(dataDir: string): Promise<void> {
  const database = appDatabases.get(dataDir);
  appDatabases.delete(dataDir);
  await database?.drop();
}

/**
 * Starts the built app as a child process on an ephemeral port (PORT=0) with its own DATA_DIR,
 * and resolves once it logged `listening`. The sandbox and jobs are off unless `env` says so.
 * On PostgreSQL (TEST_DATABASE_URL) it runs on a database of its own per data dir, unless
 * `env` names a DATABASE_URL.
 */
export async function startApp(options: StartOptions = {}): Promise<RunningApp> {
  const dataDir = options.dataDir ?? options.env?.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'monitor-app-'));
  const databaseEnv = options.env?.DATABASE_URL ? {} : await databaseEnvFor(dataDir);
  // Without the sandbox the server requires PUBLIC_URL (merchant URLs never come from Host).
  const sandboxOn = options.env?.SANDBOX === 'on';
  const child = spawn(process.execPath, [options.entry ?? serverEntry], {
    cwd: options.cwd ?? repoRoot,
    env: {
      ...(sandboxOn ? {} : { PUBLIC_URL: ORIGIN }),
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SANDBOX: 'off',
      SANDBOX_PORT: '0',
      JOBS: 'off',
      LOG_LEVEL: 'info',
      ...databaseEnv,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void }>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      for (const waiter of waiters) {
        if (!waiter.match(line)) continue;
        waiters.delete(waiter);
        waiter.resolve(line);
      }
      if (line.includes(`"msg":"${options.readyMessage ?? 'listening'}"`)) {
        const parsed = JSON.parse(line) as { port: number };
        resolve(parsed.port);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => reject(new Error(`app exited with ${code} before listening:\n${lines.join('\n')}`)));
    setTimeout(
      () => reject(new Error(`app did not listen in time:\n${lines.join('\n')}`)),
      options.timeoutMs ?? 60_000,
    ).unref();
  });
  const port = await ready;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    child,
    lines,
    waitForLine: (match, timeoutMs = 10_000) => {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) reject(new Error(`no matching line in time:\n${lines.join('\n')}`));
        }, timeoutMs).unref();
      });
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    cleanup: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropAppDatabase(dataDir);
    },
  };
}

/** Runs a built entry point to completion and returns its exit code and output. */
export function runNode(
  args: string[],
  env: Record<string, string>,
  cwd = repoRoot,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The built jobs CLI (`build/node/jobs/cli.js`) against a test's database, as an operator runs it. */
export function spawnJobsCli(
  args: string[],
  db: { dir: string; url: string; appSecret: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([path.join(repoRoot, 'build/node/jobs/cli.js'), ...args], {
    DATA_DIR: db.dir,
    DATABASE_URL: db.url,
    APP_SECRET: db.appSecret,
    SANDBOX: 'off',
    JOBS: 'off',
    LOG_LEVEL: 'info',
  });
}
