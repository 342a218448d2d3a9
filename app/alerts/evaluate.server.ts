import { statfs } from 'node:fs/promises';
import type { Db } from '../../db/connection';
import {
  backlogByStore,
  firstRedirectAfter,
  lastWebhookAt,
  oldOpenReasons,
  oldestQueuedWebhookJob,
} from '../../db/alert-aggregates';
import { databaseSizeBytes, type Dialect } from '../../db/dialect';
import { listStores } from '../../db/stores';
import { getDisplayTimeZone } from '../i18n/format';
import type { Log } from '../logger.server';
import { acquireLease } from '../monitor/jobs/lease.server';
import { toDbTime } from '../monitor/time';
import { clearIncident, createLookups, queueReminders, raiseIncident, type IncidentSignal } from './incidents.server';
import { BUSINESS_WINDOW, type RuleName } from './rules';

/**
 * The time-based rules, evaluated by a scheduled job under its lease (one runner across
 * instances): reasons open too long, the attention backlog, webhook silence, verification lag,
 * database size and disk usage. Each reads an indexed aggregate, raises the incident while the
 * condition holds and resolves it once it no longer does. Then due reminders are queued.
 */

export type EvaluateDeps = {
  db: Db;
  now: () => Date;
  log: Log;
  dialect: Dialect;
  dataDir: string;
  holder?: string;
};

export type EvaluateSummary = { skipped: boolean; raised: number; cleared: number; reminders: number };

const minutes = (ms: number) => Math.floor(ms / 60_000);

function hourIn(zone: string, date: Date): number {
  return Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(date));
}

export async function runAlertEvaluation(deps: EvaluateDeps): Promise<EvaluateSummary> {
  const attempt = await acquireLease(deps, 'alerts', deps.holder ?? 'alerts-evaluator', 5 * 60_000);
  if (!attempt.ok) return { skipped: true, raised: 0, cleared: 0, reminders: 0 };
  try {
    const counts = await evaluateTimedRules(deps);
    const reminders = await queueReminders(deps);
    return { skipped: false, ...counts, reminders };
  } finally {
    await attempt.lease.release();
  }
}

export async function evaluateTimedRules(deps: EvaluateDeps): Promise<{ raised: number; cleared: number }> {
  const now = deps.now();
  const at = toDbTime(now);
  let raised = 0;
  let cleared = 0;
  const stores = await listStores(deps.db);
  const backlog = await backlogByStore(deps.db);
  const queued = await oldestQueuedWebhookJob(deps.db);

  await deps.db.transaction().execute(async (trx) => {
    const lookups = createLookups(trx);
    const apply = async (
      rule: RuleName,
      storeId: number | null,
      subject: string,
      signal: Omit<IncidentSignal, 'rule' | 'storeId' | 'subject' | 'at'> | null,
    ) => {
      const setting = await lookups.setting(storeId, rule);
      if (signal && setting.enabled) {
        const incident = await raiseIncident(trx, { rule, storeId, subject, at, ...signal }, lookups);
        if (incident) raised++;
      } else if (
        await clearIncident(
          trx,
          { rule, storeId, subject, at, by: setting.enabled ? 'condition' : 'rule_disabled' },
          lookups,
        )
      ) {
        cleared++;
      }
    };
    const threshold = async (rule: RuleName, storeId: number | null) =>
      (await lookups.setting(storeId, rule)).threshold ?? 0;

    for (const store of stores) {
      // Reasons open longer than N minutes.
      const ageMin = await threshold('reason_age', store.id);
      const old = await oldOpenReasons(trx, store.id, toDbTime(new Date(now.getTime() - ageMin * 60_000)));
      await apply(
        'reason_age',
        store.id,
        'reasons',
        old.count > 0
          ? {
              value: minutes(now.getTime() - new Date(old.oldest!).getTime()),
              threshold: ageMin,
              detail: `${old.count} reason(s) open longer than ${ageMin} min`,
            }
          : null,
      );

      // The attention backlog.
      const maxBacklog = await threshold('backlog', store.id);
      const ambiguous = backlog.get(store.id) ?? 0;
      await apply(
        'backlog',
        store.id,
        'orders',
        ambiguous > maxBacklog ? { value: ambiguous, threshold: maxBacklog } : null,
      );

      // Buyers come back through redirects but no webhook follows: the notification URL is probably wrong.
      const silenceMin = await threshold('webhook_silence', store.id);
      const lastWebhook = await lastWebhookAt(trx, store.id);
      const since = lastWebhook ?? toDbTime(new Date(now.getTime() - 24 * 3_600_000));
      const firstRedirect = await firstRedirectAfter(trx, store.id, since);
      const silentFor = firstRedirect ? minutes(now.getTime() - new Date(firstRedirect).getTime()) : 0;
      await apply(
        'webhook_silence',
        store.id,
        'webhooks',
        firstRedirect && silentFor >= silenceMin
          ? {
              value: silentFor,
              threshold: silenceMin,
              detail: `redirects since ${firstRedirect}, last webhook ${lastWebhook ?? 'never'}`,
            }
          : null,
      );

      // No webhook at all for N minutes inside the business window.
      const quietMin = await threshold('webhook_none_in_window', store.id);
      const hour = hourIn(getDisplayTimeZone(), now);
      const inWindow = hour >= BUSINESS_WINDOW.fromHour && hour < BUSINESS_WINDOW.toHour;
      const quietFor = lastWebhook
        ? minutes(now.getTime() - new Date(lastWebhook).getTime())
        : Number.POSITIVE_INFINITY;
      await apply(
        'webhook_none_in_window',
        store.id,
        'webhooks',
        inWindow && quietFor >= quietMin
          ? {
              value: Number.isFinite(quietFor) ? quietFor : null,
              threshold: quietMin,
              detail: `last webhook ${lastWebhook ?? 'never'}`,
            }
          : null,
      );

      // Verification lag: the oldest webhook still waiting for its verification.
      const lagMax = await threshold('verification_lag', store.id);
      const oldestJob = queued.get(store.id);
      const lag = oldestJob ? Math.floor((now.getTime() - new Date(oldestJob).getTime()) / 1000) : 0;
      await apply(
        'verification_lag',
        store.id,
        'webhook_queue',
        lag > lagMax ? { value: lag, threshold: lagMax } : null,
      );
    }

    // The system: database size and disk usage.
    const dbMax = await threshold('db_size', null);
    const dbMb = Math.round((await databaseSizeBytes(trx, deps.dialect)) / 1_048_576);
    await apply('db_size', null, 'database', dbMb > dbMax ? { value: dbMb, threshold: dbMax } : null);
    const diskMax = await threshold('disk_usage', null);
    const disk = await diskUsagePercent(deps.dataDir);
    await apply(
      'disk_usage',
      null,
      'data_dir',
      disk !== null && disk > diskMax ? { value: disk, threshold: diskMax, detail: deps.dataDir } : null,
    );
  });
  return { raised, cleared };
}

export async function diskUsagePercent(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    if (s.blocks === 0) return null;
    return Math.round(((s.blocks - s.bavail) / s.blocks) * 100);
  } catch {
    return null;
  }
}
