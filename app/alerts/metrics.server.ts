import type { Db } from '../../db/connection';
import {
  firstRedirectAfter,
  lastWebhookAt,
  oldestOpenReasonByStore,
  oldestQueuedWebhookJob,
} from '../../db/alert-aggregates';
import { messageStateCounts, openIncidentsByRule } from '../../db/alerts';
import { listStores } from '../../db/stores';
import { RULE_NAMES } from './rules';

type Series = { labels: Record<string, string>; value: number };
type Gauge = { name: string; help: string; series: Series[] };

/**
 * The gauges the alert rules read, for Prometheus users (docs/prometheus/alerts.rules.yml alerts
 * on them): open incidents by rule, the oldest open reason per store, verification lag per
 * store, webhook silence per store, and the outbox. Read from indexed aggregates at scrape time.
 */
export async function alertGauges(deps: { db: Db; now: () => Date }): Promise<Gauge[]> {
  const now = deps.now().getTime();
  const seconds = (iso: string) => Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  const stores = await listStores(deps.db);
  const byRule = new Map((await openIncidentsByRule(deps.db)).map((r) => [r.rule, r.n]));
  const oldest = new Map((await oldestOpenReasonByStore(deps.db)).map((r) => [r.storeId, r.oldest]));
  const queued = await oldestQueuedWebhookJob(deps.db);
  const silence: Series[] = [];
  for (const store of stores) {
    const last = await lastWebhookAt(deps.db, store.id);
    const since = last ?? new Date(now - 24 * 3_600_000).toISOString();
    const redirect = await firstRedirectAfter(deps.db, store.id, since);
    silence.push({ labels: { store: store.slug }, value: redirect ? seconds(redirect) : 0 });
  }
  const messages = await messageStateCounts(deps.db);
  return [
    {
      name: 'monitor_alert_incidents_open',
      help: 'Unresolved alert incidents (open or acknowledged), by rule.',
      series: RULE_NAMES.map((rule) => ({ labels: { rule }, value: byRule.get(rule) ?? 0 })),
    },
    {
      name: 'monitor_oldest_open_reason_age_seconds',
      help: 'Age of the oldest open attention reason, by store (0 when none is open).',
      series: stores.map((s) => ({
        labels: { store: s.slug },
        value: oldest.has(s.id) ? seconds(oldest.get(s.id)!) : 0,
      })),
    },
    {
      name: 'monitor_verification_lag_seconds',
      help: 'Age of the oldest webhook still waiting for its verification, by store (0 when none waits).',
      series: stores.map((s) => ({
        labels: { store: s.slug },
        value: queued.has(s.id) ? seconds(queued.get(s.id)!) : 0,
      })),
    },
    {
      name: 'monitor_webhook_silence_seconds',
      help: 'Seconds since the first redirect that no webhook followed, by store (0 when webhooks keep up).',
      series: silence,
    },
    {
      name: 'monitor_alert_messages',
      help: 'Alert messages by delivery state (sending, retry, sent, dead).',
      series: ['sending', 'retry', 'sent', 'dead'].map((state) => ({ labels: { state }, value: messages[state] ?? 0 })),
    },
  ];
}

export function renderGauges(gauges: Gauge[]): string {
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const lines: string[] = [];
  for (const g of gauges) {
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
    for (const s of g.series) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',');
      lines.push(`${g.name}${labels ? `{${labels}}` : ''} ${s.value}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
