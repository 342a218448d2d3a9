import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '~/config.server';
import { jobDefinitions } from '../../../jobs/index';

describe('scheduled reconciliation jobs', () => {
  it('runs the re-query job every minute, the sweep hourly and the retention purge daily by default', () => {
    const env = parseEnv({});
    expect(
      jobDefinitions({
        reconcileCron: env.RECONCILE_CRON,
        sweepCron: env.SWEEP_CRON,
        purgeCron: env.PURGE_CRON,
        alertsCron: env.ALERTS_CRON,
      }).map((j) => [j.name, j.schedule]),
    ).toEqual([
      ['reconcile', '* * * * *'],
      ['sweep', '0 * * * *'],
      ['purge', '17 3 * * *'],
      ['alerts', '* * * * *'],
    ]);
  });

  it('takes its schedules from the configuration', () => {
    const env = parseEnv({
      RECONCILE_CRON: '*/5 * * * *',
      SWEEP_CRON: '15 */2 * * *',
      PURGE_CRON: '0 4 * * 0',
      ALERTS_CRON: '*/2 * * * *',
    });
    expect(
      jobDefinitions({
        reconcileCron: env.RECONCILE_CRON,
        sweepCron: env.SWEEP_CRON,
        purgeCron: env.PURGE_CRON,
        alertsCron: env.ALERTS_CRON,
      }).map((j) => j.schedule),
    ).toEqual(['*/5 * * * *', '15 */2 * * *', '0 4 * * 0', '*/2 * * * *']);
  });

  it.each([
    [{ RECONCILE_CRON: 'every minute' }, /^Invalid RECONCILE_CRON: must be a cron expression/],
    [{ SWEEP_CRON: '0 25 * * *' }, /^Invalid SWEEP_CRON: must be a cron expression/],
  ])('refuses %j with a one-line reason', (source, message) => {
    expect(() => parseEnv(source)).toThrow(ConfigError);
    expect(() => parseEnv(source)).toThrow(message);
  });
});
