import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveRulesFromForm } from '~/alerts/pages.server';
import { RULE_NAMES } from '~/alerts/rules';
import { createAppContext, type AppContext } from '~/context.server';
import type { LedgerEvent } from '~/monitor/verify/ledger-events';
import type { DbHandle } from '../../../db/connection';
import { addChannel, emailChannelFields } from '../../helpers/alerts';
import { createMonitorHarness, type MonitorHarness } from '../../helpers/monitor';

/**
 * Each instance keeps the alert configuration (rule settings, channels) in memory and re-reads it
 * only when the configuration version moved (docs/decisions/0161). A change made on another
 * instance, over its own connection, is seen by the next event here; a write that bypasses
 * db/alerts (no version bump) is not, which shows the cache is what answers.
 */
describe('the alert configuration cache across two instances', () => {
  let h: MonitorHarness;
  let second: DbHandle;
  let other: AppContext;
  let storeId: number;
  let firstChannel: number;
  let n = 0;

  /** One ledger transaction on instance one, opening amount_mismatch on a new order. */
  const mismatch = async (): Promise<void> => {
    n++;
    const event: LedgerEvent = {
      type: 'reason_opened',
      reason: 'amount_mismatch',
      detail: 'expected 15000 KRW, gateway has 100 KRW',
      orderId: 500 + n,
      storeId,
      merchantUid: `cache-${n}`,
      status: 'mismatch',
      expectedAmount: 15000,
      paidAmount: 100,
      currency: 'KRW',
      trigger: 'webhook',
      at: h.ctx.now().toISOString(),
    };
    await h.ctx.db.transaction().execute(async (trx) => {
      for (const listener of h.ctx.ledgerListeners) await listener(trx, [event]);
    });
  };
  const incidentOf = (i: number) =>
    h.t.db.selectFrom('alert_incident').selectAll().where('subject', '=', `cache-${i}`).executeTakeFirst();
  const outboxOf = async (i: number) => {
    const incident = await incidentOf(i);
    if (!incident) return [];
    return h.t.db.selectFrom('alert_outbox').select('channel_id').where('incident_id', '=', incident.id).execute();
  };
  /** The rules form as an admin on instance two sends it: every rule on except `off`. */
  const saveRules = (off: string[]) => {
    const form = new FormData();
    for (const rule of RULE_NAMES) if (!off.includes(rule)) form.append(`on.${rule}`, 'on');
    return saveRulesFromForm({ db: other.db, now: other.now }, { actor: 'system', ip: null }, 'store1', form);
  };

  beforeAll(async () => {
    h = await createMonitorHarness();
    storeId = (await h.addStore()).store.id;
    second = h.t.openSecond();
    other = createAppContext({ config: h.ctx.config, db: second.db, log: pino({ level: 'silent' }), now: h.ctx.now });
    firstChannel = (await addChannel(h.ctx, emailChannelFields(2525, { name: 'first' }))).channel.id;
  });
  afterAll(async () => {
    await second?.close();
    await h?.close();
  });

  it('sees rule and channel changes made on the other instance at the next event', async () => {
    await mismatch(); // fills instance one's cache: the rule on by default, one channel
    expect(await incidentOf(1)).toBeDefined();
    expect(await outboxOf(1)).toHaveLength(1);

    expect(await saveRules(['amount_mismatch'])).toMatchObject({ ok: true });
    await mismatch();
    expect(await incidentOf(2)).toBeUndefined();

    expect(await saveRules([])).toMatchObject({ ok: true });
    const { channel } = await addChannel(other, emailChannelFields(2526, { name: 'second' }));
    await mismatch();
    expect((await outboxOf(3)).map((r) => r.channel_id).sort()).toEqual([firstChannel, channel.id].sort());
  });

  it('answers from memory while the version stands still', async () => {
    await mismatch();
    expect(await outboxOf(4)).toHaveLength(2);
    // Behind db/alerts' back (no version bump): instance one keeps routing to both channels.
    await sql`update alert_channel set enabled = 0`.execute(second.db);
    await mismatch();
    expect(await outboxOf(5)).toHaveLength(2);
    // Once anything bumps the version, the change shows.
    await sql`update alert_config_version set version = version + 1`.execute(second.db);
    await mismatch();
    expect(await outboxOf(6)).toHaveLength(0);
  });
});
