import { exec, execFileSync, execSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runNode, startApp } from '../helpers/app-server';

/**
 * No Docker engine runs here, so this checks the Dockerfile's own commands on a clean copy of the
 * repository: the production install must not need dev dependencies, and the CMD must migrate
 * and serve /healthz.
 */
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const runtimeCmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
const prodInstall = /^RUN (npm ci --omit=dev.*)$/m.exec(dockerfile)![1]!;

describe('Dockerfile commands on a clean copy', () => {
  const copy = mkdtempSync(path.join(tmpdir(), 'monitor-docker-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('installs production dependencies only and starts with the CMD', { timeout: 300_000 }, async () => {
    const files = execSync('git ls-files --cached --others --exclude-standard', { cwd: repoRoot, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.startsWith('node_modules/'));
    for (const file of files) {
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(path.join(repoRoot, file), path.join(copy, file));
    }
    // The build stage's output, as `COPY --from=build` brings it.
    cpSync(path.join(repoRoot, 'build'), path.join(copy, 'build'), { recursive: true });
    cpSync(path.join(repoRoot, 'public'), path.join(copy, 'public'), { recursive: true });

    // Asynchronous on purpose: a minute-long synchronous install would starve vitest's worker RPC.
    await promisify(exec)(`${prodInstall} --prefer-offline`, { cwd: copy });
    const installed = execFileSync('npm', ['ls', '--omit=dev', '--depth=0', '--parseable'], {
      cwd: copy,
      encoding: 'utf8',
    });
    expect(installed).not.toMatch(/@remix-run\/dev|vitest|typescript|esbuild$/m);

    expect(runtimeCmd.slice(0, 2)).toEqual(['sh', '-c']);
    const [migrateCmd, startCmd] = runtimeCmd[2]!.split(' && exec ');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-docker-data-'));
    const env = { NODE_ENV: 'production', DATA_DIR: dataDir, SANDBOX: 'off', JOBS: 'off' };
    const migrated = await runNode(migrateCmd!.replace(/^node /, '').split(' '), env, copy);
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toMatch(/^applied 0001_create_app_setting/);

    const app = await startApp({ cwd: copy, dataDir, entry: startCmd!.replace(/^node /, ''), env });
    try {
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await app.stop();
      app.cleanup();
    }
  });
});
