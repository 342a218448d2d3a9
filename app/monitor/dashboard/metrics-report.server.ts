import { webhookQueueDepth } from '../../../db/webhook-jobs';
import type { AppContext } from '../../context.server';

/** The Prometheus exposition: process counters plus gauges read from the database now. */
export async function renderMetrics(ctx: Pick<AppContext, 'db' | 'metrics'>): Promise<string> {
  return ctx.metrics.render([
    {
      name: 'monitor_webhook_queue_depth',
      help: 'Webhook deliveries waiting for verification.',
      value: await webhookQueueDepth(ctx.db),
    },
  ]);
}
