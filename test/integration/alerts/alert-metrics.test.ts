import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loader as metricsLoader } from '~/routes/metrics';
import { newPendingOrder } from '../../../db/orders';
import { repoRoot } from '../../helpers/app-server';
import { callRoute, createMonitorHarness, requestContext, type MonitorHarness } from '../../helpers/monitor';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

/** /metrics carries the gauges the alert rules read, and the shipped Prometheus rules are valid. */
describe('alert gauges and the Prometheus rules file', () => {
  let h: MonitorHarness;
  beforeAll(async () => {
    h = await createMonitorHarness();
    const { store } = await h.addStore({ slug: 'quiet' });
    const at = h.clock.now().toISOString();
    const order = await h.t.db
      .insertInto('order')
      .values(
        newPendingOrder(
          {
            store_id: store.id,
            merchant_uid: 'm-1',
            expected_amount: 100,
            currency: 'KRW',
            name: null,
            source: 'api',
            at,
          },
          { open_reason_count: 1 },
        ),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('attention_reason')
      .values({
        order_id: order.id,
        reason: 'missing_flag',
        opened_at: at,
        detail: null,
        resolved_at: null,
        resolved_by: null,
        resolution_note: null,
      })
      .execute();
    await h.t.db
      .insertInto('redirect_hit')
      .values({
        store_slug: 'quiet',
        store_id: store.id,
        order_id: order.id,
        received_at: at,
        query_string: 'merchant_uid=m-1',
        query_truncated: 0,
        ip: '127.0.0.1',
        user_agent: null,
        parse_error: null,
        imp_uid: null,
        merchant_uid: 'm-1',
        flag_kind: 'none',
        flag_value: null,
        error_code: null,
        error_msg: null,
      })
      .execute();
    h.clock.advance(45 * 60_000);
  });
  afterAll(() => h?.close());

  it('exposes open incidents by rule, reason age, verification lag and webhook silence per store', async () => {
    const request = new Request('http://monitor.test/metrics');
    const text = await (await callRoute(metricsLoader, request, {}, requestContext(h.ctx, request))).text();
    expect(text).toContain('monitor_alert_incidents_open{rule="amount_mismatch"} 0');
    expect(text).toContain('monitor_oldest_open_reason_age_seconds{store="quiet"} 2700');
    expect(text).toContain('monitor_webhook_silence_seconds{store="quiet"} 2700');
    expect(text).toContain('monitor_verification_lag_seconds{store="quiet"} 0');
    if (promtool) {
      const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(checked.stderr + checked.stdout).not.toMatch(/error/i);
    }
  });

  it.runIf(promtool)('docs/prometheus/alerts.rules.yml passes `promtool check rules`', () => {
    const result = spawnSync('promtool', ['check', 'rules', path.join(repoRoot, 'docs/prometheus/alerts.rules.yml')], {
      encoding: 'utf8',
    });
    expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });
});
