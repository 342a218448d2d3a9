import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMonitorStack, type MonitorStack } from '../../../helpers/stack';

/** Hostile and broken requests over real HTTP: never a 500, always stored where they are evidence. */
describe('bad input over HTTP', () => {
  let s: MonitorStack;
  beforeAll(async () => {
    s = await startMonitorStack();
  });
  afterAll(() => s?.stop());

  /** Sends bytes exactly as given (fetch would normalise the request target). */
  const raw = (request: Buffer | string) =>
    new Promise<string>((resolve, reject) => {
      const port = Number(new URL(s.appUrl).port);
      // Write without half-closing: the server answers, then closes (Connection: close).
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('close', () => resolve(answer));
      socket.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' ? resolve(answer) : reject(error),
      );
    });
  const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

  it.each([
    ['malformed percent escapes', 'merchant_uid=%ZZ%E0%A4&imp_uid=imp_%'],
    ['EUC-KR bytes, percent-encoded', 'merchant_uid=%C1%D6%B9%AE-1&imp_success=true'],
    ['raw script tags', 'merchant_uid=<script>alert(1)</script>&error_msg=<img/src=x/onerror=alert(1)>'],
    ['repeated parameters', 'imp_uid=imp_1&imp_uid=imp_2&merchant_uid=a&merchant_uid=b'],
    ['only a flag', 'imp_success=true'],
    ['a path-like merchant_uid', 'merchant_uid=..'],
  ])('redirect with %s: no 500, the exact query stored', async (_label, query) => {
    const answer = await raw(
      `GET /payments/${s.store.slug}/complete?${query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect([202, 303, 400]).toContain(statusOf(answer));
    const hit = await s.t.db
      .selectFrom('redirect_hit')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(hit.query_string).toBe(query);
  });

  it('redirect with raw non-UTF-8 bytes in the request target is refused by the HTTP parser or stored, never a 500', async () => {
    const answer = await raw(
      Buffer.concat([
        Buffer.from(`GET /payments/${s.store.slug}/complete?merchant_uid=`),
        Buffer.from([0xc1, 0xd6]),
        Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ]),
    );
    expect(statusOf(answer)).not.toBe(500);
  });

  it.each([
    [
      'EUC-KR form body',
      'application/x-www-form-urlencoded',
      Buffer.concat([Buffer.from('imp_uid=imp_300000000001&merchant_uid='), Buffer.from([0xc1, 0xd6])]),
      400,
    ],
    [
      'percent-encoded EUC-KR form body',
      'application/x-www-form-urlencoded',
      Buffer.from('imp_uid=imp_300000000002&merchant_uid=%C1%D6'),
      200,
    ],
    [
      'JSON with script in every field but imp_uid',
      'application/json',
      Buffer.from(
        JSON.stringify({
          imp_uid: 'imp_300000000003',
          merchant_uid: '<script>x</script>',
          status: '<b>paid</b>',
          cancellation_id: '"><svg onload=alert(1)>',
        }),
      ),
      200,
    ],
    [
      'JSON with script in imp_uid',
      'application/json',
      Buffer.from(JSON.stringify({ imp_uid: '<script>x</script>', merchant_uid: 'm' })),
      400,
    ],
    [
      'JSON with script in merchant_uid only',
      'application/json',
      Buffer.from(JSON.stringify({ imp_uid: 'imp_300000000004', merchant_uid: '<script>x</script>', status: 'paid' })),
      200,
    ],
    ['a JSON number', 'application/json', Buffer.from('42'), 400],
    ['multipart', 'multipart/form-data; boundary=x', Buffer.from('--x\r\n\r\n--x--'), 415],
  ])('webhook with %s → %i, stored', async (_label, type, body, expected) => {
    const response = await fetch(`${s.appUrl}/webhooks/iamport/${s.store.slug}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    expect(response.status).toBe(expected);
    const { delivery_id } = (await response.json()) as { delivery_id: number };
    const row = await s.t.db
      .selectFrom('webhook_delivery')
      .selectAll()
      .where('id', '=', delivery_id)
      .executeTakeFirstOrThrow();
    expect(row.body_bytes).toBe(body.byteLength);
    expect(row.answer_status).toBe(expected);
  });

  it('a webhook larger than the limit is refused with 413 without reading it all', async () => {
    const answer = await raw(
      `POST /webhooks/iamport/${s.store.slug} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n{"imp_uid":"imp_1",`,
    );
    expect(statusOf(answer)).toBe(413);
    const row = await s.t.db
      .selectFrom('webhook_delivery')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ answer_status: 413, body_bytes: 0 });
  });

  it('a GET on the webhook URL is a 405 that says why', async () => {
    const response = await fetch(`${s.appUrl}/webhooks/iamport/${s.store.slug}`);
    expect(response.status).toBe(405);
  });
});
