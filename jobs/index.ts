import type { Config } from '../app/config.server';
import { runReconcile } from '../app/monitor/jobs/reconcile.server';
import { runPurge } from '../app/monitor/jobs/purge.server';
import { runSweep } from '../app/monitor/jobs/sweep.server';
import { runAlertEvaluation } from '../app/alerts/evaluate.server';
import type { JobDefinition } from './scheduler';

/**
 * Every scheduled job of the monitor, on the schedules from the configuration. Each takes the
 * job's database lease itself, so any number of instances may run the scheduler (JOBS=on): one
 * runs, the others record a `skipped` run.
 */
export function jobDefinitions(
  config: Pick<Config, 'reconcileCron' | 'sweepCron' | 'purgeCron' | 'alertsCron'>,
): JobDefinition[] {
  return [
    {
      name: 'reconcile',
      schedule: config.reconcileCron,
      run: async (ctx) => {
        await runReconcile(ctx, { trigger: 'schedule', startedBy: 'scheduler' });
      },
    },
    {
      name: 'sweep',
      schedule: config.sweepCron,
      run: async (ctx) => {
        await runSweep(ctx, { trigger: 'schedule', startedBy: 'scheduler' });
      },
    },
    {
      name: 'purge',
      schedule: config.purgeCron,
      run: async (ctx) => {
        await runPurge(ctx, { trigger: 'schedule', startedBy: 'scheduler' });
      },
    },
    {
      name: 'alerts',
      schedule: config.alertsCron,
      run: async (ctx) => {
        if (!ctx.config.alerts) return;
        await runAlertEvaluation({
          db: ctx.db,
          now: ctx.now,
          log: ctx.log,
          dialect: ctx.config.database.dialect,
          dataDir: ctx.config.dataDir,
        });
        ctx.notifyAlertQueued();
      },
    },
  ];
}
