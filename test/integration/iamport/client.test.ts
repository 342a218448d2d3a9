import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIamportClient, type IamportClientOptions } from '~/iamport/client';
import { refundableBalance } from '~/iamport/payment';
import { liveCardPayment } from '../../unit/iamport/fixtures';
import { countingFetch, startTestSandbox, type SandboxMerchant, type TestSandbox } from './sandbox-harness';

/** The client against the sandbox over real HTTP, on a clock shared by both sides. */
describe('Iamport client ↔ sandbox', () => {
  let sb: TestSandbox;
  let merchant: SandboxMerchant;

  function client(options: Partial<IamportClientOptions> = {}, who: SandboxMerchant = merchant) {
    const counter = countingFetch();
    const c = createIamportClient({
      baseUrl: sb.url,
      impKey: who.impKey,
      impSecret: who.impSecret,
      now: sb.clock.now,
      fetch: counter.fetch,
      ...options,
    });
    return { c, counter };
  }

  beforeAll(async () => {
    sb = await startTestSandbox();
    merchant = await sb.newMerchant();
  });
  afterAll(async () => {
    await sb?.close();
  });

  describe('look-ups', () => {
    it('getPayment reads a payment with minor units and dates', async () => {
      const created = await sb.createPayment(merchant, { merchant_uid: 'i-one', amount: 15000, status: 'paid' });
      const { c } = client();
      const result = await c.getPayment(created.imp_uid);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value).toMatchObject({
        impUid: created.imp_uid,
        merchantUid: 'i-one',
        status: 'paid',
        amount: 15000,
        cancelAmount: 0,
        currency: 'KRW',
        failedAt: null,
        vbankDate: null,
      });
      expect(result.value.paidAt).toBeInstanceOf(Date);
      expect(result.meta).toMatchObject({ method: 'GET', httpStatus: 200 });
    });

    it('getPayment of an unknown imp_uid is rejected and notFound', async () => {
      const { c } = client();
      const result = await c.getPayment('imp_000000000000');
      expect(!result.ok && result.error).toMatchObject({ kind: 'rejected', httpStatus: 404, code: -1, notFound: true });
    });

    it('getPayments splits 230 ids into batches of 100 and lists the 207 misses', async () => {
      const created = await sb.createPayments(
        merchant,
        Array.from({ length: 210 }, (_, i) => ({
          merchant_uid: `i-batch-${i}`,
          amount: 1000 + i,
          status: 'paid' as const,
        })),
      );
      const unknown = Array.from({ length: 20 }, (_, i) => `imp_9${String(i).padStart(11, '0')}`);
      const ids = [...created.map((p) => p.imp_uid), ...unknown];
      const { c, counter } = client();
      const result = await c.getPayments(ids);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.payments).toHaveLength(210);
      expect(result.value.missing).toEqual(unknown);
      expect(result.meta.calls?.map((call) => call.httpStatus)).toEqual([200, 200, 207]);
      expect(counter.count('/payments')).toBe(3);
      expect(counter.paths.find((p) => p.startsWith('/payments?'))).toMatch(
        /^\/payments\?imp_uid\[\]=imp_\d{12}&imp_uid\[\]=/,
      );
    });

    it('getPayments of ids that do not exist is ok with all of them missing (404)', async () => {
      const { c } = client();
      const result = await c.getPayments(['imp_900000000001', 'imp_900000000002']);
      expect(result.ok && result.value).toEqual({ payments: [], missing: ['imp_900000000001', 'imp_900000000002'] });
      expect(result.meta.httpStatus).toBe(404);
    });

    it('findPayment returns the latest attempt, or the one with the asked status', async () => {
      sb.clock.advance(1000);
      await sb.createPayment(merchant, { merchant_uid: 'i-find', amount: 2000, status: 'paid' });
      sb.clock.advance(1000);
      const latest = await sb.createPayment(merchant, { merchant_uid: 'i-find', amount: 2000, status: 'failed' });
      const { c } = client();
      const found = await c.findPayment('i-find');
      expect(found.ok && found.value.impUid).toBe(latest.imp_uid);
      const paid = await c.findPayment('i-find', { status: 'paid' });
      expect(paid.ok && paid.value.status).toBe('paid');
      const none = await c.findPayment('i-find', { status: 'cancelled' });
      expect(!none.ok && none.error.notFound).toBe(true);
    });

    it('findAllPayments pages to the end', async () => {
      await sb.createPayments(
        merchant,
        Array.from({ length: 7 }, () => ({ merchant_uid: 'i-many', amount: 700, status: 'failed' as const })),
      );
      const { c } = client({ pageSize: 3 });
      const result = await c.findAllPayments('i-many');
      expect(result.ok && result.value).toHaveLength(7);
      expect(result.meta.calls).toHaveLength(3);
    });

    it('listPaymentsByStatus pages to the end, or fetches one page', async () => {
      const other = await sb.newMerchant();
      sb.clock.advance(60_000);
      const from = sb.clock.now();
      await sb.createPayments(
        other,
        Array.from({ length: 45 }, (_, i) => ({ merchant_uid: `i-status-${i}`, amount: 100, status: 'paid' as const })),
      );
      await sb.createPayments(other, [{ merchant_uid: 'i-status-failed', amount: 100, status: 'failed' }]);
      const { c, counter } = client({}, other);
      const all = await c.listPaymentsByStatus('paid', { from, to: sb.clock.now(), limit: 20 });
      expect(all.ok && { total: all.value.total, count: all.value.payments.length }).toEqual({ total: 45, count: 45 });
      expect(counter.count('/payments/status/paid')).toBe(3);
      const page = await c.listPaymentsByStatus('all', { limit: 20, page: 3 });
      expect(page.ok && { total: page.value.total, count: page.value.payments.length }).toEqual({
        total: 46,
        count: 6,
      });
      const past = await c.listPaymentsByStatus('paid', { limit: 20, page: 9 });
      expect(!past.ok && past.error).toMatchObject({ kind: 'rejected', httpStatus: 400 });
    });
  });

  describe('access token', () => {
    afterEach(async () => {
      await sb.clearFaults(merchant);
    });

    it('reuses the token until 30 s before expiry on the injected clock, then refreshes', async () => {
      const own = await sb.newMerchant();
      const created = await sb.createPayment(own, { amount: 1000, status: 'paid' });
      const { c, counter } = client({}, own);
      const first = await c.getToken();
      expect(first.ok && first.value.expiresAt.getTime() - sb.clock.now().getTime()).toBe(1800_000);
      await c.getPayment(created.imp_uid);
      sb.clock.advance(1800_000 - 31_000);
      await c.getPayment(created.imp_uid);
      expect(counter.count('/users/getToken')).toBe(1);
      sb.clock.advance(2_000); // 29 s left: refresh; the sandbox extends the same token by 5 minutes (§1.2)
      const payment = await c.getPayment(created.imp_uid);
      expect(payment.ok).toBe(true);
      expect(counter.count('/users/getToken')).toBe(2);
      const refreshed = await c.getToken();
      expect(refreshed.ok && refreshed.value.accessToken).toBe(first.ok && first.value.accessToken);
      expect(refreshed.ok && refreshed.value.expiresAt.getTime() - sb.clock.now().getTime()).toBe(29_000 + 300_000);
      sb.clock.advance(400_000); // past the extension: a new token
      expect((await c.getPayment(created.imp_uid)).ok).toBe(true);
      const renewed = await c.getToken();
      expect(renewed.ok && renewed.value.accessToken).not.toBe(first.ok && first.value.accessToken);
    });

    it('concurrent callers share one token request', async () => {
      const own = await sb.newMerchant();
      const created = await sb.createPayment(own, { amount: 1000, status: 'paid' });
      const { c, counter } = client({}, own);
      const results = await Promise.all(Array.from({ length: 8 }, () => c.getPayment(created.imp_uid)));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(counter.count('/users/getToken')).toBe(1);
    });

    it('a revoked token gives 401, then one refresh and a successful retry', async () => {
      const own = await sb.newMerchant();
      const created = await sb.createPayment(own, { amount: 1000, status: 'paid' });
      const { c, counter } = client({}, own);
      expect((await c.getPayment(created.imp_uid)).ok).toBe(true);
      expect(await sb.revokeTokens(own)).toBe(1);
      const result = await c.getPayment(created.imp_uid);
      expect(result.ok).toBe(true);
      expect(result.meta.calls?.map((call) => call.httpStatus)).toEqual([401, 200]);
      expect(counter.count('/users/getToken')).toBe(2);
    });

    it('wrong credentials are a rejected 401 from the token request', async () => {
      const { c } = client({ impSecret: 'wrong' });
      const result = await c.getPayment('imp_000000000001');
      expect(!result.ok && result.error).toMatchObject({ kind: 'rejected', httpStatus: 401 });
      expect(result.meta.path).toBe('/users/getToken');
    });
  });

  describe('faults', () => {
    let created: { imp_uid: string };
    beforeAll(async () => {
      created = await sb.createPayment(merchant, { merchant_uid: 'i-faults', amount: 1000, status: 'paid' });
    });
    afterEach(async () => {
      await sb.clearFaults(merchant);
    });

    it('a hanging gateway is an indeterminate timeout', async () => {
      const { c } = client({ timeoutMs: 200 });
      expect((await c.getToken()).ok).toBe(true);
      await sb.setFaults(merchant, { hang: true });
      const started = performance.now();
      const result = await c.getPayment(created.imp_uid);
      expect(!result.ok && result.error).toMatchObject({
        kind: 'indeterminate',
        httpStatus: null,
        message: 'no answer within 200 ms',
      });
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('latency beyond timeoutMs is indeterminate; within it, fine', async () => {
      const fast = client({ timeoutMs: 150 });
      const patient = client({ timeoutMs: 3_000 });
      expect((await fast.c.getToken()).ok && (await patient.c.getToken()).ok).toBe(true);
      await sb.setFaults(merchant, { latency_ms: 400 });
      const timedOut = await fast.c.getPayment(created.imp_uid);
      expect(!timedOut.ok && timedOut.error).toMatchObject({
        kind: 'indeterminate',
        message: 'no answer within 150 ms',
      });
      const slow = await patient.c.getPayment(created.imp_uid);
      expect(slow.ok).toBe(true);
      expect(slow.meta.latencyMs).toBeGreaterThanOrEqual(400);
    });

    it.each([
      [500, 'envelope' as const],
      [502, 'html' as const],
      [503, 'envelope' as const],
    ])('HTTP %i (%s body) is retryable, with the body kept', async (status, body) => {
      const { c } = client();
      await sb.setFaults(merchant, { status, body, remaining: 1 });
      const result = await c.getPayment(created.imp_uid);
      expect(!result.ok && result.error).toMatchObject({ kind: 'retryable', httpStatus: status });
      if (body === 'html') expect(result.meta.rawText).toContain(`${status}`);
      else expect(result.meta.raw).toMatchObject({ code: -1 });
      // The fault was for one request only: the next call (not retried by the client) succeeds.
      expect((await c.getPayment(created.imp_uid)).ok).toBe(true);
    });

    it('a gateway that is not listening is retryable', async () => {
      // A port that was free a moment ago: connection refused, nothing sent.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise((resolve) => probe.close(resolve));
      const c = createIamportClient({
        baseUrl: `http://127.0.0.1:${port}`,
        impKey: 'k',
        impSecret: 's',
        timeoutMs: 2_000,
      });
      const result = await c.getPayment('imp_000000000001');
      expect(!result.ok && result.error).toMatchObject({ kind: 'retryable', httpStatus: null });
    });
  });

  describe('prepare', () => {
    it('registers, reads, changes, and reports the missing ones as notFound', async () => {
      const { c } = client();
      expect((await c.prepare({ merchantUid: 'i-prep', amount: 42000, currency: 'KRW' })).ok).toBe(true);
      const got = await c.getPrepared('i-prep');
      expect(got.ok && got.value).toEqual({ merchantUid: 'i-prep', amount: 42000, currency: 'KRW' });
      const changed = await c.updatePrepared({ merchantUid: 'i-prep', amount: 43000, currency: 'KRW' });
      expect(changed.ok && changed.value.amount).toBe(43000);
      const again = await c.prepare({ merchantUid: 'i-prep', amount: 1 });
      expect(!again.ok && again.error.kind).toBe('rejected');
      const missing = await c.getPrepared('i-prep-none');
      expect(!missing.ok && missing.error).toMatchObject({ notFound: true, httpStatus: 404 });
      const missingPut = await c.updatePrepared({ merchantUid: 'i-prep-none', amount: 1 });
      expect(!missingPut.ok && missingPut.error.notFound).toBe(true);
    });

    it('sends USD in major units and reads it back in cents', async () => {
      const { c } = client();
      const result = await c.prepare({ merchantUid: 'i-prep-usd', amount: 1999, currency: 'USD' });
      expect(result.ok && result.value).toEqual({ merchantUid: 'i-prep-usd', amount: 1999, currency: 'USD' });
      expect(result.meta.raw).toMatchObject({ response: { amount: 19.99 } });
    });
  });

  describe('cancel', () => {
    it('partial with the right checksum, then the rest; a stale checksum is refused', async () => {
      const created = await sb.createPayment(merchant, { merchant_uid: 'i-cancel', amount: 10000, status: 'paid' });
      const { c } = client();
      const partial = await c.cancel({ impUid: created.imp_uid, amount: 3000, checksum: 10000, reason: '부분 환불' });
      expect(partial.ok).toBe(true);
      if (!partial.ok) return;
      expect(partial.value).toMatchObject({ cancelAmount: 3000, amount: 10000 });
      expect(refundableBalance(partial.value)).toBe(7000);
      expect(partial.value.cancelHistory).toHaveLength(1);

      const stale = await c.cancel({ impUid: created.imp_uid, checksum: 10000, reason: '전액' });
      expect(!stale.ok && stale.error).toMatchObject({ kind: 'rejected', httpStatus: 200, code: 1 });

      const rest = await c.cancel({
        impUid: created.imp_uid,
        checksum: refundableBalance(partial.value),
        reason: '전액',
      });
      expect(rest.ok && rest.value).toMatchObject({ status: 'cancelled', cancelAmount: 10000 });
      expect(rest.ok && rest.value.cancelHistory.map((h) => h.amount)).toEqual([3000, 7000]);
    });

    it('a cancel of an unknown payment is rejected with code 1 and not notFound', async () => {
      const { c } = client();
      const result = await c.cancel({ merchantUid: 'i-cancel-none', checksum: null, reason: 'x' });
      expect(!result.ok && result.error).toMatchObject({
        kind: 'rejected',
        httpStatus: 200,
        code: 1,
        notFound: false,
        message: '취소할 결제건이 존재하지 않습니다.',
      });
    });
  });
});

/**
 * A gateway that, when told to, drops the next request that arrives on a kept-alive connection,
 * without answering: what a server whose keep-alive timeout fires just as the client reuses the
 * connection does. Real HTTP, Node's own fetch and connection pool.
 */
describe('Iamport client ↔ a gateway that drops a kept-alive connection', () => {
  const seen: { method: string; path: string; dropped: boolean }[] = [];
  let dropNextReuse = false;
  let server: HttpServer;
  let baseUrl: string;
  /** Lets the pool take back the connections of the last exchange. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

  beforeAll(async () => {
    const requestsOn = new WeakMap<object, number>();
    server = createHttpServer((req, res) => {
      const n = (requestsOn.get(req.socket) ?? 0) + 1;
      requestsOn.set(req.socket, n);
      const dropped = dropNextReuse && n > 1;
      seen.push({ method: req.method ?? '', path: req.url ?? '', dropped });
      if (dropped) {
        dropNextReuse = false;
        return void req.socket.destroy();
      }
      const now = Math.floor(Date.now() / 1000);
      const body = req.url?.startsWith('/users/getToken')
        ? { code: 0, message: null, response: { access_token: 'tok', now, expired_at: now + 1800 } }
        : { code: 0, message: null, response: liveCardPayment };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const exchanges = async (run: () => Promise<unknown>) => {
    await settle();
    seen.length = 0;
    dropNextReuse = true;
    const result = await run();
    return { result, seen: seen.map((s) => `${s.method} ${s.path.split('?')[0]}${s.dropped ? ' dropped' : ''}`) };
  };

  it('sends a look-up and the token exchange again on a new connection, and a cancel never', async () => {
    const c = createIamportClient({ baseUrl, impKey: 'k', impSecret: 's' });
    expect((await c.getPayment(liveCardPayment.imp_uid)).ok).toBe(true); // token and a kept-alive connection

    const lookUp = await exchanges(() => c.getPayment(liveCardPayment.imp_uid));
    expect(lookUp.result).toMatchObject({ ok: true });
    const path = `/payments/${liveCardPayment.imp_uid}`;
    expect(lookUp.seen).toEqual([`GET ${path} dropped`, `GET ${path}`]);

    const token = await exchanges(() =>
      createIamportClient({ baseUrl, impKey: 'k', impSecret: 's' }).getPayment(liveCardPayment.imp_uid),
    );
    expect(token.result).toMatchObject({ ok: true });
    expect(token.seen).toEqual(['POST /users/getToken dropped', 'POST /users/getToken', `GET ${path}`]);

    const cancel = await exchanges(() => c.cancel({ impUid: liveCardPayment.imp_uid, checksum: null, reason: 'test' }));
    expect(cancel.result).toMatchObject({ ok: false, error: { kind: 'indeterminate', httpStatus: null } });
    expect(cancel.seen).toEqual(['POST /payments/cancel dropped']);
  });
});
