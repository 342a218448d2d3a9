import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateTimedRules } from '~/alerts/evaluate.server';
import { captureRedirect } from '~/monitor/capture/redirect.server';
import { captureWebhook } from '~/monitor/capture/webhook.server';
import type { Store } from '~/monitor/stores/stores.server';
import { createMonitorHarness, type MonitorHarness } from '../../helpers/monitor';
import { webhookRequest } from '../../helpers/factories';

const MINUTE = 60_000;

/**
 * Webhook silence (the store's notification URL is probably wrong) from real redirects and
 * webhooks: buyers who come back claiming a payment with no webhook after them raise it; buyers
 * whose payment failed do not (Iamport sends no webhook for a failed payment); a webhook clears it.
 */
describe('alert rule: webhook silence', () => {
  let h: MonitorHarness;
  let store: Store;
  const evaluate = () =>
    evaluateTimedRules({
      db: h.ctx.db,
      now: h.ctx.now,
      log: h.ctx.log,
      dialect: h.ctx.config.database.dialect,
      dataDir: h.ctx.config.dataDir,
    });
  const silence = () =>
    h.t.db
      .selectFrom('alert_incident')
      .select(['state', 'subject', 'resolved_by'])
      .where('rule', '=', 'webhook_silence')
      .orderBy('id')
      .execute();
  const redirect = (query: string) =>
    captureRedirect(h.ctx, { storeSlug: store.slug, rawQuery: query, ip: '203.0.113.7', userAgent: 'test' });

  beforeAll(async () => {
    h = await createMonitorHarness();
    ({ store } = await h.addStore({ slug: 'quiet' }));
  });
  afterAll(() => h?.close());

  it('stays quiet after buyers whose payment failed, however long no webhook comes', async () => {
    await redirect('imp_uid=imp_100000000001&merchant_uid=failed-1&imp_success=false&error_msg=cancelled');
    await redirect('imp_uid=imp_100000000002&merchant_uid=failed-2&success=false&error_code=F400');
    h.clock.advance(45 * MINUTE);
    await evaluate();
    expect(await silence()).toEqual([]);
  });

  it('opens when a buyer came back paid and no webhook followed for 30 minutes', async () => {
    await redirect('imp_uid=imp_100000000003&merchant_uid=paid-1&imp_success=true');
    h.clock.advance(29 * MINUTE);
    await evaluate();
    expect(await silence()).toEqual([]);
    h.clock.advance(MINUTE);
    await evaluate();
    expect(await silence()).toEqual([{ state: 'open', subject: 'webhooks', resolved_by: null }]);
  });

  it('resolves once a webhook arrives', async () => {
    const answer = await captureWebhook(
      h.ctx,
      webhookRequest(store.slug, { imp_uid: 'imp_100000000003', merchant_uid: 'paid-1', status: 'paid' }),
    );
    expect(answer.status).toBe(200);
    h.clock.advance(MINUTE);
    await evaluate();
    expect(await silence()).toEqual([{ state: 'resolved', subject: 'webhooks', resolved_by: 'condition' }]);
  });
});
