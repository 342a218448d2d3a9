import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action as webhookAction } from '~/routes/webhooks.iamport.$store';
import { callRoute, createMonitorHarness, requestContext, type MonitorHarness } from '../../../helpers/monitor';

/** Bad input on the webhook action: a clear 4xx, never a 500, and the raw delivery stored. */
describe('webhook action: bad input', () => {
  let h: MonitorHarness;
  let slug: string;
  let enforced: string;
  beforeAll(async () => {
    h = await createMonitorHarness();
    slug = (await h.addStore()).store.slug;
    enforced = (await h.addStore({ webhookIpPolicy: 'enforce' })).store.slug;
  });
  afterAll(() => h.close());

  const send = async (body: BodyInit, contentType: string | null, store = slug, ip = '127.0.0.1') => {
    const request = new Request(`http://localhost/webhooks/iamport/${store}`, {
      method: 'POST',
      headers: contentType ? { 'content-type': contentType } : {},
      body,
    });
    const response = await callRoute(webhookAction, request, { store }, requestContext(h.ctx, request, ip));
    const json = (await response.json()) as { delivery_id: number; error?: { message: string } };
    const row = await h.t.db
      .selectFrom('webhook_delivery')
      .selectAll()
      .where('id', '=', json.delivery_id)
      .executeTakeFirstOrThrow();
    return { status: response.status, json, row };
  };
  const jobs = async (deliveryId: number) =>
    h.t.db.selectFrom('webhook_job').selectAll().where('delivery_id', '=', deliveryId).execute();

  it('accepts JSON, stores it raw and queues its verification', async () => {
    const body = '{"imp_uid":"imp_100000000001","merchant_uid":"o-1","status":"paid"}';
    const { status, row } = await send(body, 'application/json');
    expect(status).toBe(200);
    expect(row).toMatchObject({
      body_text: body,
      answer_status: 200,
      imp_uid: 'imp_100000000001',
      status: 'paid',
      ip_listed: 0,
      parse_error: null,
    });
    expect(await jobs(row.id)).toHaveLength(1);
  });

  it('accepts form-urlencoded with cancellation_id', async () => {
    const { status, row } = await send(
      'imp_uid=imp_100000000002&merchant_uid=o-2&status=cancelled&cancellation_id=c-9',
      'application/x-www-form-urlencoded; charset=UTF-8',
    );
    expect(status).toBe(200);
    expect(row).toMatchObject({ cancellation_id: 'c-9', status: 'cancelled' });
  });

  it('records a duplicate delivery without queueing it again', async () => {
    const body = '{"imp_uid":"imp_100000000003","merchant_uid":"o-3","status":"paid"}';
    const first = await send(body, 'application/json');
    const second = await send(body, 'application/json');
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ duplicate_of: first.row.id });
    expect(second.row.duplicate_of).toBe(first.row.id);
    expect(await jobs(second.row.id)).toHaveLength(0);
  });

  it.each([
    ['{"imp_uid":', 'application/json', 400, 'body is not valid JSON'],
    ['{"merchant_uid":"o"}', 'application/json', 400, 'imp_uid is required'],
    ['"just a string"', 'application/json', 400, 'body must be a JSON object'],
    ['{"imp_uid":"<script>alert(1)</script>"}', 'application/json', 400, 'imp_uid is malformed'],
    ['imp_uid=imp_1', 'text/plain', 415, 'unsupported content type'],
    ['imp_uid=imp_1', null, 415, 'unsupported content type'],
  ])('%s (%s) → %i', async (body, type, expected, message) => {
    const { status, json, row } = await send(body, type);
    expect(status).toBe(expected);
    expect(json.error?.message).toContain(message);
    expect(row).toMatchObject({
      body_text: body,
      answer_status: expected,
      parse_error: expect.stringContaining(message),
    });
    expect(await jobs(row.id)).toHaveLength(0);
  });

  it('keeps the exact bytes of a body that is not UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0xff, 0x22, 0x7d]);
    const { status, row } = await send(bytes, 'application/json');
    expect(status).toBe(400);
    expect(Buffer.from(row.body_base64!, 'base64')).toEqual(Buffer.from(bytes));
  });

  it('refuses a body over 64 KiB with 413 and records it', async () => {
    const { status, row } = await send(`{"imp_uid":"imp_1","pad":"${'x'.repeat(70_000)}"}`, 'application/json');
    expect(status).toBe(413);
    expect(row.answer_status).toBe(413);
  });

  it('answers 404 for an unknown store: counted per slug, never stored in full', async () => {
    const before = await h.t.db.selectFrom('webhook_delivery').select('id').execute();
    const request = new Request('http://localhost/webhooks/iamport/no-such-store', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"imp_uid":"imp_1","pad":"${'x'.repeat(60_000)}"}`,
    });
    const response = await callRoute(
      webhookAction,
      request,
      { store: 'no-such-store' },
      requestContext(h.ctx, request),
    );
    expect(response.status).toBe(404);
    expect(await h.t.db.selectFrom('webhook_delivery').select('id').execute()).toEqual(before);
    expect(
      await h.t.db.selectFrom('unknown_store_hit').selectAll().where('slug', '=', 'no-such-store').execute(),
    ).toMatchObject([{ route: 'webhook', count: 1 }]);
  });

  it('enforces the IP allow-list when the store asks for it', async () => {
    const refused = await send('{"imp_uid":"imp_100000000009"}', 'application/json', enforced, '10.0.0.1');
    expect(refused.status).toBe(403);
    const listed = await send('{"imp_uid":"imp_100000000009"}', 'application/json', enforced, '::ffff:52.78.100.19');
    expect(listed.status).toBe(200);
    expect(listed.row.ip_listed).toBe(1);
  });

  it('never stores authorization or cookie headers', async () => {
    const request = new Request(`http://localhost/webhooks/iamport/${slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret', cookie: 'sid=1', 'x-trace': 't' },
      body: '{"imp_uid":"imp_100000000010"}',
    });
    const response = await callRoute(webhookAction, request, { store: slug }, requestContext(h.ctx, request));
    const { delivery_id } = (await response.json()) as { delivery_id: number };
    const row = await h.t.db
      .selectFrom('webhook_delivery')
      .select('headers_json')
      .where('id', '=', delivery_id)
      .executeTakeFirstOrThrow();
    expect(row.headers_json).toContain('x-trace');
    expect(row.headers_json).not.toMatch(/authorization|cookie|secret/);
  });
});
