import { describe, expect, it } from 'vitest';
import { createIamportClient, type IamportClientOptions } from '~/iamport/client';
import type { GatewayError } from '~/iamport/types';
import { connectionRefused, fakeFetch, socketClosed, tokenReply, type Reply, type SeenRequest } from './fake-fetch';
import {
  cancelRefused200,
  envelope,
  liveCardPayment,
  notFound404,
  partiallyCancelled,
  usdPayment,
  vbankReady,
} from './fixtures';

const SERVER_NOW = 1_700_000_000; // 2023-11-14T22:13:20Z by the gateway's clock

function clock(start = '2026-11-24T09:00:00.000Z') {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

/** A client whose token requests get `tok-1`, `tok-2`…, and whose other requests go to `handler`. */
function setup(
  handler: (request: SeenRequest, index: number) => Reply | Promise<Reply>,
  options: Partial<IamportClientOptions> = {},
) {
  const c = clock();
  let tokens = 0;
  const fake = fakeFetch((request, index) =>
    request.url.pathname === '/users/getToken' ? tokenReply(`tok-${++tokens}`, SERVER_NOW) : handler(request, index),
  );
  const client = createIamportClient({
    baseUrl: 'https://api.example.test/',
    impKey: 'key',
    impSecret: 'secret-value',
    fetch: fake.fetch,
    now: c.now,
    ...options,
  });
  const dataRequests = () => fake.requests.filter((r) => r.url.pathname !== '/users/getToken');
  const tokenRequests = () => fake.requests.filter((r) => r.url.pathname === '/users/getToken');
  return { client, fake, clock: c, dataRequests, tokenRequests };
}

const json = (status: number, body: unknown): Reply => ({ status, json: body });
const ok = (response: unknown, status = 200): Reply => json(status, envelope(response));

describe('classification of every answer (getPayment)', () => {
  type Row = [string, Reply | Reply[], Partial<GatewayError> | 'ok', { rawText?: boolean; dataCalls?: number }?];
  const table: Row[] = [
    ['200 code 0', ok(liveCardPayment), 'ok'],
    [
      'connection refused',
      { error: connectionRefused() },
      { kind: 'retryable', httpStatus: null, code: null, notFound: false },
    ],
    // A GET is sent once more on a new connection (see 'a connection closed under the request').
    [
      'connection closed mid-way, twice',
      { error: socketClosed() },
      { kind: 'indeterminate', httpStatus: null },
      { dataCalls: 2 },
    ],
    ['an unknown fetch failure', { error: new Error('boom') }, { kind: 'indeterminate', httpStatus: null }],
    ['timeout', { hang: true }, { kind: 'indeterminate', httpStatus: null, message: 'no answer within 50 ms' }],
    [
      '401 twice',
      [
        json(401, { code: -1, message: 'Unauthorized', response: null }),
        json(401, { code: -1, message: 'Unauthorized', response: null }),
      ],
      { kind: 'rejected', httpStatus: 401, code: -1 },
      { dataCalls: 2 },
    ],
    [
      '401 without a JSON body, twice',
      { status: 401, text: '' },
      { kind: 'rejected', httpStatus: 401, code: null },
      { rawText: true, dataCalls: 2 },
    ],
    [
      '404 code -1',
      json(404, notFound404),
      { kind: 'rejected', httpStatus: 404, code: -1, message: '존재하지 않는 결제정보입니다.', notFound: true },
    ],
    [
      '404 from a proxy (HTML)',
      { status: 404, text: '<html>Not Found</html>' },
      { kind: 'rejected', httpStatus: 404, code: null, notFound: false },
      { rawText: true },
    ],
    [
      '200 code 1',
      json(200, cancelRefused200),
      { kind: 'rejected', httpStatus: 200, code: 1, message: '취소할 결제건이 존재하지 않습니다.', notFound: false },
    ],
    [
      '200 code -1',
      json(200, { code: -1, message: '카드정보 인증에 실패하였습니다.', response: null }),
      { kind: 'rejected', httpStatus: 200, code: -1 },
    ],
    [
      '400 enveloped',
      json(400, { code: -1, message: '지원되지 않는 상태값입니다.', response: null }),
      { kind: 'rejected', httpStatus: 400, code: -1 },
    ],
    [
      '500 enveloped',
      json(500, { code: -1, message: 'internal', response: null }),
      { kind: 'retryable', httpStatus: 500, code: -1 },
    ],
    [
      '502 HTML',
      { status: 502, text: '<html>Bad Gateway</html>' },
      { kind: 'retryable', httpStatus: 502, code: null },
      { rawText: true },
    ],
    [
      '429',
      json(429, { code: -1, message: 'Too Many Requests', response: null }),
      { kind: 'retryable', httpStatus: 429 },
    ],
    ['302 redirect', { status: 302, text: '' }, { kind: 'rejected', httpStatus: 302 }, { rawText: true }],
    [
      '200 non-JSON',
      { status: 200, text: '<html>maintenance</html>' },
      { kind: 'indeterminate', httpStatus: 200, code: null },
      { rawText: true },
    ],
    [
      '200 schema mismatch',
      ok({ ...liveCardPayment, imp_uid: undefined }),
      { kind: 'indeterminate', httpStatus: 200 },
      { rawText: true },
    ],
    ['200 code 0 but response null', ok(null), { kind: 'indeterminate', httpStatus: 200 }, { rawText: true }],
    [
      '200 with fractional KRW',
      ok({ ...liveCardPayment, amount: 1000.5 }),
      { kind: 'indeterminate', httpStatus: 200 },
      { rawText: true },
    ],
    ['500 non-JSON', { status: 500, text: 'oops' }, { kind: 'retryable', httpStatus: 500 }, { rawText: true }],
  ];

  it.each(table)('%s', async (_name, reply, expected, extra = {}) => {
    const replies = Array.isArray(reply) ? reply : [reply];
    const { client, dataRequests } = setup((_r, i) => replies[Math.min(i - 1, replies.length - 1)] ?? replies[0]!, {
      timeoutMs: 50,
    });
    const result = await client.getPayment('imp_448280090638');
    expect(dataRequests()).toHaveLength(extra.dataCalls ?? 1);
    if (expected === 'ok') {
      expect(result.ok).toBe(true);
      expect(result.meta).toMatchObject({
        method: 'GET',
        path: '/payments/imp_448280090638',
        httpStatus: 200,
        rawText: null,
      });
      expect(result.meta.raw).toEqual(envelope(liveCardPayment));
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject(expected);
    expect(result.error.message.length).toBeGreaterThan(0);
    expect(result.meta.httpStatus).toBe(result.error.httpStatus);
    if (extra.rawText) expect(result.meta.rawText).toEqual(expect.any(String));
    else expect(result.meta.rawText).toBeNull();
  });

  it('keeps the parsed body of an error answer as evidence', async () => {
    const { client } = setup(() => json(404, notFound404));
    const result = await client.getPayment('imp_000000000000');
    expect(result.meta.raw).toEqual(notFound404);
  });

  it('keeps the headers status when the body never arrives', async () => {
    const fake = fakeFetch((request) => {
      if (request.url.pathname === '/users/getToken') return tokenReply('t');
      return { status: 200, json: {} };
    });
    const slowBody: typeof fetch = async (input, init) => {
      const response = await fake.fetch(input, init);
      if (new URL(String(input)).pathname === '/users/getToken') return response;
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"code":0,'));
          init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(stream, { status: 200 });
    };
    const client = createIamportClient({
      baseUrl: 'https://api.example.test',
      impKey: 'k',
      impSecret: 's',
      fetch: slowBody,
      timeoutMs: 50,
    });
    const result = await client.getPayment('imp_1');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ kind: 'indeterminate', httpStatus: 200 });
  });
});

describe('access token', () => {
  it('posts the key and secret as JSON, then sends Authorization: Bearer on API calls', async () => {
    const { client, fake } = setup(() => ok(liveCardPayment));
    await client.getPayment('imp_1');
    const [tokenRequest, apiRequest] = fake.requests;
    expect(tokenRequest).toMatchObject({
      method: 'POST',
      path: '/users/getToken',
      body: { imp_key: 'key', imp_secret: 'secret-value' },
    });
    expect(tokenRequest?.headers['content-type']).toBe('application/json');
    expect(tokenRequest?.headers.authorization).toBeUndefined();
    expect(apiRequest?.headers.authorization).toBe('Bearer tok-1');
  });

  it('sends the Tier header only on API calls', async () => {
    const { client, fake } = setup(() => ok(liveCardPayment), { tier: 'lt0' });
    await client.getPayment('imp_1');
    expect(fake.requests.map((r) => r.headers.tier ?? null)).toEqual([null, 'lt0']);
  });

  it('is reused until 30 s before expiry, by the server’s lifetime, whatever the local clock says', async () => {
    // The gateway's clock says 2023; ours says 2026: only expired_at − now (1800 s) matters.
    const { client, clock: c, tokenRequests } = setup(() => ok(liveCardPayment));
    const first = await client.getToken();
    expect(first.ok && first.value).toEqual({ accessToken: 'tok-1', expiresAt: new Date('2026-11-24T09:30:00.000Z') });
    c.advance(1800_000 - 30_001);
    await client.getPayment('imp_1');
    const cachedAnswer = await client.getToken();
    expect(cachedAnswer.meta.fromCache).toBe(true);
    expect(tokenRequests()).toHaveLength(1);
    c.advance(1);
    await client.getPayment('imp_1');
    expect(tokenRequests()).toHaveLength(2);
    const refreshed = await client.getToken();
    expect(refreshed.ok && refreshed.value.accessToken).toBe('tok-2');
  });

  it('shares one token request among concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeFetch(async (request) => {
      if (request.url.pathname === '/users/getToken') {
        await gate;
        return tokenReply('shared');
      }
      return ok(liveCardPayment);
    });
    const client = createIamportClient({
      baseUrl: 'https://api.example.test',
      impKey: 'k',
      impSecret: 's',
      fetch: fake.fetch,
    });
    const pending = Promise.all([
      client.getPayment('imp_1'),
      client.getPayment('imp_2'),
      client.getToken(),
      client.findPayment('m1'),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await pending;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/users/getToken')).toHaveLength(1);
    expect(
      fake.requests
        .filter((r) => r.path !== '/users/getToken')
        .every((r) => r.headers.authorization === 'Bearer shared'),
    ).toBe(true);
  });

  it('retries once with a fresh token after a 401, and records both answers', async () => {
    const { client, dataRequests, tokenRequests } = setup((request) =>
      request.headers.authorization === 'Bearer tok-1'
        ? json(401, { code: -1, message: 'Unauthorized', response: null })
        : ok(liveCardPayment),
    );
    const result = await client.getPayment('imp_1');
    expect(result.ok).toBe(true);
    expect(dataRequests().map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(tokenRequests()).toHaveLength(2);
    expect(result.meta.calls?.map((c) => c.httpStatus)).toEqual([401, 200]);
    expect(result.meta.tokenCalls).toHaveLength(2);
    expect(result.meta.httpStatus).toBe(200);
  });

  it('reports bad credentials as a rejected token request, and does not cache the failure', async () => {
    let fail = true;
    const fake = fakeFetch((request) => {
      if (request.url.pathname === '/users/getToken') {
        return fail
          ? json(401, { code: -1, message: 'imp_key, imp_secret 인증에 실패하였습니다.', response: null })
          : tokenReply('good');
      }
      return ok(liveCardPayment);
    });
    const client = createIamportClient({
      baseUrl: 'https://api.example.test',
      impKey: 'k',
      impSecret: 's',
      fetch: fake.fetch,
    });
    const result = await client.getPayment('imp_1');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ kind: 'rejected', httpStatus: 401, code: -1 });
    expect(result.error.message).toContain('access token');
    expect(result.meta).toMatchObject({ method: 'POST', path: '/users/getToken', httpStatus: 401 });
    expect(fake.requests).toHaveLength(1);
    fail = false;
    expect((await client.getPayment('imp_1')).ok).toBe(true);
  });

  it('reports an unreachable gateway as retryable from the token request', async () => {
    const fake = fakeFetch(() => ({ error: connectionRefused() }));
    const client = createIamportClient({
      baseUrl: 'http://127.0.0.1:9',
      impKey: 'k',
      impSecret: 's',
      fetch: fake.fetch,
    });
    const result = await client.getPayment('imp_1');
    expect(!result.ok && result.error).toMatchObject({ kind: 'retryable', httpStatus: null });
  });

  it('never lets the token, the key secret or the raw token text into any meta', async () => {
    const { client } = setup(() => ok(liveCardPayment));
    const token = await client.getToken();
    const payment = await client.getPayment('imp_1');
    for (const result of [token, payment]) {
      const serialised = JSON.stringify(result.meta);
      expect(serialised).not.toContain('tok-1');
      expect(serialised).not.toContain('secret-value');
    }
    expect(token.meta.raw).toMatchObject({ response: { access_token: '[redacted]', now: SERVER_NOW } });
    const bad = fakeFetch(() => ({
      status: 200,
      text: '{"code":0,"message":null,"response":{"access_token":"leak-me","now":"x"}}',
    }));
    const badClient = createIamportClient({ baseUrl: 'https://x.test', impKey: 'k', impSecret: 's', fetch: bad.fetch });
    const unreadable = await badClient.getToken();
    expect(unreadable.ok).toBe(false);
    expect(JSON.stringify(unreadable.meta)).not.toContain('leak-me');
    expect(unreadable.meta.rawText).toContain('[redacted]');
  });
});

describe('look-ups and their wire formats', () => {
  it('asks for test-channel payments only when configured', async () => {
    const plain = setup(() => ok(liveCardPayment));
    await plain.client.getPayment('imp_1');
    const withSandbox = setup(() => ok(liveCardPayment), { includeSandbox: true });
    await withSandbox.client.getPayment('imp_1');
    expect([plain.dataRequests()[0]?.path, withSandbox.dataRequests()[0]?.path]).toEqual([
      '/payments/imp_1',
      '/payments/imp_1?include_sandbox=true',
    ]);
  });

  it('finds by merchant_uid with and without a status, escaping the id', async () => {
    const { client, dataRequests } = setup(() => ok(liveCardPayment));
    await client.findPayment('order 1/2');
    await client.findPayment('m1', { status: 'paid', sorting: '-paid' });
    expect(dataRequests().map((r) => r.path)).toEqual([
      '/payments/find/order%201%2F2',
      '/payments/find/m1/paid?sorting=-paid',
    ]);
  });

  it('getPayments: imp_uid[] brackets, batches of 100, 207 and 404 answers become missing ids', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `imp_${String(i).padStart(12, '0')}`);
    const { client, dataRequests } = setup((request) => {
      const asked = request.url.searchParams.getAll('imp_uid[]');
      if (asked.includes(ids[200]!)) return json(404, notFound404); // third batch: none exist
      const found = asked.filter((_, i) => i % 10 !== 0).map((id) => ({ ...liveCardPayment, imp_uid: id }));
      return ok(found, 207);
    });
    const result = await client.getPayments([...ids, ids[0]!]);
    expect(dataRequests().map((r) => r.url.searchParams.getAll('imp_uid[]').length)).toEqual([100, 100, 50]);
    expect(dataRequests()[0]?.url.search.startsWith('?imp_uid[]=imp_000000000000&imp_uid[]=imp_000000000001&')).toBe(
      true,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.payments).toHaveLength(180);
    expect(result.value.missing).toEqual([...ids.slice(0, 200).filter((_, i) => i % 10 === 0), ...ids.slice(200)]);
    expect(result.meta.calls?.map((c) => c.httpStatus)).toEqual([207, 207, 404]);
  });

  it('getPayments: a failed batch fails the operation and keeps the earlier answers', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `imp_${i}`);
    const { client } = setup((_r, i) => (i === 1 ? ok([]) : json(503, { code: -1, message: 'busy', response: null })));
    const result = await client.getPayments(ids);
    expect(!result.ok && result.error).toMatchObject({ kind: 'retryable', httpStatus: 503 });
    expect(result.meta.calls?.map((c) => c.httpStatus)).toEqual([200, 503]);
    expect(result.meta.httpStatus).toBe(503);
  });

  it('getPayments: nothing to ask is answered without a request', async () => {
    const { client, fake } = setup(() => ok([]));
    const result = await client.getPayments([]);
    expect(result.ok && result.value).toEqual({ payments: [], missing: [] });
    expect(fake.requests).toHaveLength(0);
  });

  it('findAllPayments pages until next is 0 and filters by status', async () => {
    const pages: Record<string, unknown> = {
      '1': { total: 5, previous: 0, next: 2, list: [liveCardPayment, vbankReady] },
      '2': {
        total: 5,
        previous: 1,
        next: 3,
        list: [partiallyCancelled, { ...vbankReady, imp_uid: 'imp_900000000001' }],
      },
      '3': { total: 5, previous: 2, next: 0, list: [{ ...liveCardPayment, imp_uid: 'imp_900000000002' }] },
    };
    const { client, dataRequests } = setup((request) => ok(pages[request.url.searchParams.get('page') ?? '']));
    const all = await client.findAllPayments('merchant_1512446906', { sorting: 'started' });
    expect(dataRequests().map((r) => r.path)).toEqual([
      '/payments/findAll/merchant_1512446906?limit=100&sorting=started&page=1',
      '/payments/findAll/merchant_1512446906?limit=100&sorting=started&page=2',
      '/payments/findAll/merchant_1512446906?limit=100&sorting=started&page=3',
    ]);
    expect(all.ok && all.value.map((p) => p.impUid)).toEqual([
      'imp_448280090638',
      'imp_100000000002',
      'imp_100000000003',
      'imp_900000000001',
      'imp_900000000002',
    ]);
    expect(all.meta.calls).toHaveLength(3);
    const ready = await client.findAllPayments('merchant_1512446906', { status: 'ready' });
    expect(dataRequests().at(-1)?.path).toBe('/payments/findAll/merchant_1512446906/ready?limit=100&page=3');
    expect(ready.ok && ready.value.map((p) => p.status)).toEqual(['ready', 'ready']);
  });

  it('findAllPayments of an unknown merchant_uid is not found', async () => {
    const { client } = setup(() => json(404, notFound404));
    const result = await client.findAllPayments('nope');
    expect(!result.ok && result.error.notFound).toBe(true);
  });

  it('listPaymentsByStatus sends the window in unix seconds and keeps a payment seen twice once', async () => {
    const { client, dataRequests } = setup((request) =>
      request.url.searchParams.get('page') === '1'
        ? ok({ total: 3, previous: 0, next: 2, list: [liveCardPayment, usdPayment] })
        : ok({ total: 3, previous: 1, next: 0, list: [usdPayment, vbankReady] }),
    );
    const result = await client.listPaymentsByStatus('all', {
      from: new Date('2026-11-01T00:00:00.500Z'),
      to: new Date('2026-11-24T00:00:00Z'),
      limit: 2,
      sorting: '-updated',
    });
    expect(dataRequests()[0]?.path).toBe(
      '/payments/status/all?limit=2&from=1793491200&to=1795478400&sorting=-updated&page=1',
    );
    expect(result.ok && { total: result.value.total, ids: result.value.payments.map((p) => p.impUid) }).toEqual({
      total: 3,
      ids: ['imp_448280090638', 'imp_100000000005', 'imp_100000000002'],
    });
  });

  it('listPaymentsByStatus asks for one page only when given one', async () => {
    const { client, dataRequests } = setup(() => ok({ total: 40, previous: 1, next: 3, list: [liveCardPayment] }));
    const result = await client.listPaymentsByStatus('paid', { page: 2, limit: 20 });
    expect(dataRequests().map((r) => r.path)).toEqual(['/payments/status/paid?limit=20&page=2']);
    expect(result.ok && result.value.total).toBe(40);
    expect(result.meta.calls).toBeUndefined();
  });

  it('stops with an error when paging does not advance', async () => {
    const { client, dataRequests } = setup(() => ok({ total: 40, previous: 0, next: 1, list: [] }));
    const result = await client.listPaymentsByStatus('paid', {});
    expect(dataRequests()).toHaveLength(1);
    expect(!result.ok && result.error.kind).toBe('indeterminate');
  });

  it('refuses arguments that cannot be sent', async () => {
    const { client } = setup(() => ok(liveCardPayment));
    expect(() => client.getPayment('')).toThrow(RangeError);
    expect(() => client.findPayment('..')).toThrow(RangeError);
    await expect(client.getPayments(['imp_1', ' '])).rejects.toThrow(RangeError);
    expect(() => client.listPaymentsByStatus('paid', { limit: 1001 })).toThrow(RangeError);
    expect(() => client.prepare({ merchantUid: 'm', amount: 10.5 })).toThrow(RangeError);
    expect(() => createIamportClient({ baseUrl: 'x', impKey: 'k', impSecret: 's', timeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('a connection closed under the request (a kept-alive one the server dropped)', () => {
  it('sends a look-up once more and answers from the second', async () => {
    const { client, dataRequests } = setup((_r, i) => (i === 1 ? { error: socketClosed() } : ok(liveCardPayment)));
    const result = await client.getPayment('imp_448280090638');
    expect(result.ok).toBe(true);
    expect(dataRequests()).toHaveLength(2);
  });

  it('sends the token exchange once more', async () => {
    let tokenCalls = 0;
    const fake = fakeFetch((request) => {
      if (request.url.pathname !== '/users/getToken') return ok(liveCardPayment);
      return ++tokenCalls === 1 ? { error: socketClosed() } : tokenReply('tok-1', SERVER_NOW);
    });
    const client = createIamportClient({
      baseUrl: 'https://api.example.test',
      impKey: 'k',
      impSecret: 's',
      fetch: fake.fetch,
    });
    expect((await client.getPayment('imp_448280090638')).ok).toBe(true);
    expect(tokenCalls).toBe(2);
  });

  it.each([
    ['a cancel', (c: ReturnType<typeof setup>['client']) => c.cancel({ impUid: 'imp_1', checksum: null, reason: 'r' })],
    ['a prepare', (c: ReturnType<typeof setup>['client']) => c.prepare({ merchantUid: 'o', amount: 1000 })],
  ])('never sends %s twice: the gateway may have done it', async (_name, call) => {
    const { client, dataRequests } = setup(() => ({ error: socketClosed() }));
    const result = await call(client);
    expect(!result.ok && result.error).toMatchObject({ kind: 'indeterminate', httpStatus: null });
    expect(dataRequests()).toHaveLength(1);
  });

  it('does not send a timed-out look-up again', async () => {
    const { client, dataRequests } = setup(() => ({ hang: true }), { timeoutMs: 30 });
    expect((await client.getPayment('imp_448280090638')).ok).toBe(false);
    expect(dataRequests()).toHaveLength(1);
  });
});

describe('prepare and cancel bodies', () => {
  it('prepare converts minor units and omits an absent currency', async () => {
    const { client, dataRequests } = setup((request) =>
      ok({
        merchant_uid: 'o',
        amount: (request.body as { amount: number }).amount,
        currency: (request.body as { currency?: string }).currency ?? null,
      }),
    );
    const usd = await client.prepare({ merchantUid: 'o', amount: 1250, currency: 'USD' });
    const krw = await client.updatePrepared({ merchantUid: 'o', amount: 5000 });
    expect(dataRequests().map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/payments/prepare', { merchant_uid: 'o', amount: 12.5, currency: 'USD' }],
      ['PUT', '/payments/prepare', { merchant_uid: 'o', amount: 5000 }],
    ]);
    expect(usd.ok && usd.value).toEqual({ merchantUid: 'o', amount: 1250, currency: 'USD' });
    expect(krw.ok && krw.value).toEqual({ merchantUid: 'o', amount: 5000, currency: null });
  });

  it('getPrepared of nothing registered is not found', async () => {
    const { client, dataRequests } = setup(() =>
      json(404, { code: -1, message: '사전등록된 결제정보가 존재하지 않습니다.', response: null }),
    );
    const result = await client.getPrepared('order-x');
    expect(dataRequests()[0]?.path).toBe('/payments/prepare/order-x');
    expect(!result.ok && result.error).toMatchObject({ notFound: true, kind: 'rejected' });
  });

  it.each([
    [
      'partial with checksum, USD',
      { impUid: 'imp_1', amount: 500, checksum: 1999, reason: 'r', currency: 'USD' },
      { imp_uid: 'imp_1', amount: 5, checksum: 19.99, reason: 'r' },
    ],
    ['full, no checksum', { merchantUid: 'm1', checksum: null, reason: 'r' }, { merchant_uid: 'm1', reason: 'r' }],
    [
      'vbank refund with webhook',
      {
        impUid: 'imp_1',
        checksum: 1000,
        reason: 'r',
        enableWebhook: true,
        refund: { holder: '홍길동', bank: '004', account: '123' },
      },
      {
        imp_uid: 'imp_1',
        checksum: 1000,
        reason: 'r',
        enable_webhook: true,
        refund_holder: '홍길동',
        refund_bank: '004',
        refund_account: '123',
      },
    ],
  ])('cancel: %s', async (_name, input, body) => {
    const { client, dataRequests } = setup(() => ok(partiallyCancelled));
    const result = await client.cancel(input);
    expect(dataRequests()[0]).toMatchObject({ method: 'POST', path: '/payments/cancel', body });
    expect(result.ok && result.value.cancelAmount).toBe(3000);
  });

  it.each([
    ['amount 0 (the gateway would refund everything)', { impUid: 'imp_1', amount: 0, checksum: null, reason: 'r' }],
    ['no id at all', { checksum: null, reason: 'r' }],
    ['a fractional checksum', { impUid: 'imp_1', checksum: 10.5, reason: 'r' }],
    ['an empty reason', { impUid: 'imp_1', checksum: null, reason: ' ' }],
  ])('cancel refuses %s', (_name, input) => {
    const { client } = setup(() => ok(partiallyCancelled));
    expect(() => client.cancel(input)).toThrow(RangeError);
  });

  it.each([
    ['a timeout', { hang: true } as Reply, 'indeterminate'],
    ['a 500', json(500, { code: -1, message: 'internal', response: null }), 'retryable'],
    ['a refusal (200 code 1)', json(200, cancelRefused200), 'rejected'],
  ])('cancel is never retried after %s', async (_name, reply, kind) => {
    const { client, dataRequests } = setup(() => reply, { timeoutMs: 50 });
    const result = await client.cancel({ impUid: 'imp_1', checksum: 1000, reason: 'r' });
    expect(dataRequests()).toHaveLength(1);
    expect(!result.ok && result.error.kind).toBe(kind);
  });
});
