import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runNode, startApp } from '../../helpers/app-server';

/** server/main.ts starts the reconciliation jobs on their configured schedules when JOBS=on. */
describe('reconciliation jobs in the server', () => {
  it('starts the re-query job and the sweep on their schedules with JOBS=on', async () => {
    const app = await startApp({
      env: { JOBS: 'on', RECONCILE_CRON: '*/2 * * * *' },
      readyMessage: 'scheduler started',
    });
    try {
      const line = app.lines.find((l) => l.includes('"msg":"scheduler started"'))!;
      expect((JSON.parse(line) as { jobs: string[] }).jobs).toEqual([
        'reconcile (*/2 * * * *)',
        'sweep (0 * * * *)',
        'purge (17 3 * * *)',
        'alerts (* * * * *)',
      ]);
    } finally {
      await app.stop();
      app.cleanup();
    }
  });

  it('refuses to start with an invalid schedule, in one line', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-cron-'));
    try {
      const { code, stderr } = await runNode([path.join(repoRoot, 'build/node/server/main.js')], {
        DATA_DIR: dataDir,
        SWEEP_CRON: 'hourly',
        SANDBOX: 'off',
      });
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        'Invalid SWEEP_CRON: must be a cron expression like "* * * * *" (minute hour day month weekday, seconds optional) (got "hourly")',
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
