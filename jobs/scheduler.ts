import cron from 'node-cron';
import type { AppContext } from '../app/context.server';
import { claimScheduledTick } from '../db/lease';

/** A scheduled job: a plain function of the app's dependencies, also runnable from the CLI. */
export type JobDefinition = {
  name: string;
  /** A node-cron expression (seconds optional). */
  schedule: string;
  run: (ctx: AppContext) => Promise<void>;
};

export type Scheduler = { stop: () => Promise<void> };

/**
 * Starts every job on its schedule. Each tick runs on one instance (the first to claim it in
 * the database); node-cron's `noOverlap` only guards this process, so jobs that must not overlap
 * a long run across instances also take a database lease themselves.
 */
export function startScheduler(ctx: AppContext, jobs: JobDefinition[]): Scheduler {
  const running = new Set<Promise<void>>();
  const tasks = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        // Several instances fire the same tick: the first to claim it runs, the others stay quiet.
        const now = ctx.now();
        const tick = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
        const mine = await claimScheduledTick(ctx.db, { name: job.name, tick, at: now.toISOString() }).catch(
          (error: unknown) => {
            ctx.log.error({ err: error, job: job.name }, 'job failed: could not claim its tick');
            return false;
          },
        );
        if (!mine) return;
        const run = job.run(ctx).catch((error: unknown) => ctx.log.error({ err: error, job: job.name }, 'job failed'));
        running.add(run);
        await run.finally(() => running.delete(run));
      },
      { name: job.name, noOverlap: true },
    ),
  );
  if (jobs.length) ctx.log.info({ jobs: jobs.map((j) => `${j.name} (${j.schedule})`) }, 'scheduler started');
  return {
    stop: async () => {
      for (const task of tasks) await task.stop();
      await Promise.allSettled([...running]);
    },
  };
}
