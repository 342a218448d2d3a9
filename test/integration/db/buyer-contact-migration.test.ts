import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../db/migrate';
import { migrations } from '../../../db/migrations/index';
import { createTestDb, type TestDb } from '../../helpers/db';
import { insertOrder } from '../../helpers/factories';

/**
 * Migration 0075 fills the new buyer contact columns of orders that existed before it, from
 * their latest successful gateway answer (the payment of their own merchant_uid), on both engines.
 */
describe('migration 0075: buyer contact on the order', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb({ migrate: false });
    const migrator = new Migrator({ db: t.db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo('0060_create_alert_tables');
    if (error) throw error;
  });
  afterAll(() => t.close());

  it('backfills email, phone and phone digits from the latest answer, and leaves the rest null', async () => {
    const at = '2026-11-20T01:00:00.000Z';
    const store = await t.db
      .insertInto('store')
      .values({
        slug: 's',
        name: 'S',
        imp_code: 'imp1',
        imp_key: 'k',
        imp_secret_enc: 'x',
        api_base_url: 'http://127.0.0.1:9',
        webhook_ip_policy: 'off',
        mismatch_policy: 'flag',
        webhook_grace_seconds: 60,
        stale_pending_seconds: 3600,
        api_key_hash: 'h',
        api_key_prefix: 'p',
        created_at: at,
        updated_at: at,
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const order = (merchantUid: string, impUid: string | null) =>
      insertOrder(t.db, {
        storeId: store.id,
        merchantUid,
        name: 'item',
        at,
        status: impUid ? 'paid' : 'pending',
        imp_uid: impUid,
      });
    const check = (orderId: number, raw: unknown, ok = 1) =>
      t.db
        .insertInto('gateway_check')
        .values({
          store_id: store.id,
          order_id: orderId,
          trigger: 'schedule',
          operation: 'getPayment',
          imp_uid: null,
          merchant_uid: null,
          checked_at: at,
          ok,
          http_status: 200,
          error_kind: null,
          error_code: null,
          error_message: null,
          latency_ms: 5,
          raw_json: raw === null ? null : JSON.stringify(raw),
        })
        .execute();
    const payment = (uid: string, email: string | null, tel: string | null) => ({
      imp_uid: `imp_${uid}`,
      merchant_uid: uid,
      buyer_email: email,
      buyer_tel: tel,
    });
    const a = await order('a', 'imp_a');
    await check(a, { code: 0, response: payment('a', 'old@example.com', '010-0000-0000') });
    await check(a, { code: 0, response: payment('a', 'Kim@Example.com', '+82 10-1234-5678') });
    await check(a, null, 0);
    const b = await order('b', 'imp_b');
    // A list answer: only the order's own payment counts.
    await check(b, { code: 0, response: { list: [payment('x', 'x@x', '1'), payment('b', null, '02 123 4567')] } });
    const c = await order('c', null);
    await check(c, { code: 0, response: payment('c', 'c@example.com', null) });
    const d = await order('d', 'imp_d');
    await check(d, 'not json {');

    expect((await migrateToLatest(t.db)).applied).toContain('0075_add_order_buyer_contact');
    const rows = await t.db
      .selectFrom('order')
      .select(['merchant_uid', 'buyer_email', 'buyer_tel', 'buyer_tel_digits'])
      .orderBy('merchant_uid')
      .execute();
    expect(rows).toEqual([
      {
        merchant_uid: 'a',
        buyer_email: 'Kim@Example.com',
        buyer_tel: '+82 10-1234-5678',
        buyer_tel_digits: '01012345678',
      },
      { merchant_uid: 'b', buyer_email: null, buyer_tel: '02 123 4567', buyer_tel_digits: '021234567' },
      // No payment at the gateway yet: nothing to copy.
      { merchant_uid: 'c', buyer_email: null, buyer_tel: null, buyer_tel_digits: null },
      { merchant_uid: 'd', buyer_email: null, buyer_tel: null, buyer_tel_digits: null },
    ]);
  });
});
