import { webhookQueueDepth } from '../../../db/webhook-jobs';
import type { AppContext } from '../../context.server';
import { alertGauges, renderGauges } from '../../alerts/metrics.server';

/** The Prometheus exposition: process counters plus gauges read from the database now. */
export async function renderMetrics(ctx: Pick<AppContext, 'db' | 'metrics' | 'now'>): Promise<string> {
  const counters = ctx.metrics.render([
    {
      name: 'monitor_webhook_queue_depth',
      help: 'Webhook deliveries waiting for verification.',
      value: await webhookQueueDepth(ctx.db),
    },
  ]);
  // Labelled gauges of the alert rules (docs/prometheus/alerts.rules.yml).
  return counters + renderGauges(await alertGauges(ctx));
}
