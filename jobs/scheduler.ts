import cron from 'node-cron';
import type { AppContext } from '../app/context.server';

/** A scheduled job: a plain function of the app's dependencies, also runnable from the CLI. */
export type JobDefinition = {
  name: string;
  /** A node-cron expression (seconds optional). */
  schedule: string;
  run: (ctx: AppContext) => Promise<void>;
};

export type Scheduler = { stop: () => Promise<void> };

/**
 * Starts every job on its schedule. node-cron's `noOverlap` only guards this process; jobs
 * that must run once across instances take a database lease themselves.
 */
export function startScheduler(ctx: AppContext, jobs: JobDefinition[]): Scheduler {
  const running = new Set<Promise<void>>();
  const tasks = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
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
