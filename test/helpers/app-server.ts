import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
const serverEntry = path.join(repoRoot, 'build/node/server/main.js');

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
  /** Removes the data dir (after stop/kill). */
  cleanup: () => void;
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

/**
 * Starts the built app as a child process on an ephemeral port (PORT=0) with its own DATA_DIR,
 * and resolves once it logged `listening`. The sandbox and jobs are off unless `env` says so.
 */
export async function startApp(options: StartOptions = {}): Promise<RunningApp> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'monitor-app-'));
  const child = spawn(process.execPath, [options.entry ?? serverEntry], {
    cwd: options.cwd ?? repoRoot,
    env: {
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
      options.timeoutMs ?? 20_000,
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
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
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
