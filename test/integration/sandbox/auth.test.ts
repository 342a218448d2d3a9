import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, startTestSandbox, type TestSandbox } from './harness';

type Auth = { access_token: string; now: number; expired_at: number };

let t: TestSandbox;
beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => t.close());
beforeEach(() => t.control('POST', '/reset'));

const keys = { imp_key: DEMO.impKey, imp_secret: DEMO.impSecret };

describe('POST /users/getToken', () => {
  it('issues a 30-minute token with the server time, as JSON', async () => {
    const answer = await t.call<Auth>('POST', '/users/getToken', { json: keys });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(answer.body.code).toBe(0);
    expect(answer.body.message).toBeNull();
    expect(Object.keys(answer.body.response)).toEqual(['access_token', 'expired_at', 'now']);
    expect(answer.body.response.now).toBe(t.clock.nowS());
    expect(answer.body.response.expired_at - answer.body.response.now).toBe(1800);
  });

  it('accepts a form-urlencoded body', async () => {
    const answer = await t.call<Auth>('POST', '/users/getToken', {
      form: `imp_key=${DEMO.impKey}&imp_secret=${DEMO.impSecret}`,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.response.access_token).toMatch(/^[0-9a-f]{40}$/);
  });

  it('names the missing parameters', async () => {
    for (const json of [
      {},
      { imp_key: DEMO.impKey },
      { imp_secret: DEMO.impSecret },
      { imp_key: '', imp_secret: '' },
    ]) {
      const answer = await t.call('POST', '/users/getToken', { json });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        code: -1,
        message: 'imp_key, imp_secret 파라메터가 누락되었습니다.',
        response: null,
      });
    }
  });

  it('refuses wrong keys with 401', async () => {
    const wrongSecret = await t.call('POST', '/users/getToken', { json: { ...keys, imp_secret: 'nope' } });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toMatchObject({ code: -1, response: null });
    const wrongKey = await t.call('POST', '/users/getToken', {
      json: { imp_key: 'unknown', imp_secret: DEMO.impSecret },
    });
    expect(wrongKey.status).toBe(401);
  });

  it('refuses an unreadable JSON body with a 400 envelope', async () => {
    const res = await fetch(`${t.url}/users/getToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"imp_key":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: -1, response: null });
  });

  it('answers GET with 405', async () => {
    const answer = await t.call('GET', '/users/getToken');
    expect(answer.status).toBe(405);
  });
});

describe('token lifetime with the injected clock (reference §1.2)', () => {
  const getToken = async () => (await t.call<Auth>('POST', '/users/getToken', { json: keys })).body.response;

  it('returns the same token with the same expiry until the last minute', async () => {
    const first = await getToken();
    t.clock.advance(20 * 60_000);
    const second = await getToken();
    expect(second.access_token).toBe(first.access_token);
    expect(second.expired_at).toBe(first.expired_at);
    expect(second.now).toBe(first.now + 1200);
  });

  it('extends the token by 5 minutes when asked in its last minute', async () => {
    const first = await getToken();
    t.clock.advance((30 * 60 - 30) * 1000);
    const extended = await getToken();
    expect(extended.access_token).toBe(first.access_token);
    expect(extended.expired_at).toBe(first.expired_at + 300);
    // The token still works past its original expiry.
    t.clock.advance(60_000);
    const call = await t.call('GET', '/payments/imp_000000000000', { token: first.access_token });
    expect(call.status).toBe(404);
  });

  it('issues a new token after expiry and the old one gets 401', async () => {
    const first = await getToken();
    t.clock.advance(30 * 60_000);
    const expired = await t.call('GET', '/payments/imp_000000000000', { token: first.access_token });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ code: -1, response: null });
    const second = await getToken();
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.expired_at - second.now).toBe(1800);
  });

  it('gives each merchant its own token', async () => {
    const other = await t.control<{ imp_key: string; imp_secret: string }>('POST', '/merchants', {
      imp_key: 'other_key',
      imp_secret: 'other_secret',
    });
    const a = await getToken();
    const b = (
      await t.call<Auth>('POST', '/users/getToken', { json: { imp_key: other.imp_key, imp_secret: other.imp_secret } })
    ).body.response;
    expect(b.access_token).not.toBe(a.access_token);
  });
});

describe('Authorization header (reference §1.4)', () => {
  it('accepts "Bearer <token>" and the raw token', async () => {
    const token = await t.token();
    const created = await t.control<{ imp_uid: string }>('POST', '/payments', { merchant_uid: 'auth-1', amount: 1000 });
    expect((await t.call('GET', `/payments/${created.imp_uid}`, { token: `Bearer ${token}` })).status).toBe(200);
    expect((await t.call('GET', `/payments/${created.imp_uid}`, { token })).status).toBe(200);
  });

  it('answers 401 without a token, with an unknown one, and before anything else', async () => {
    expect((await t.call('GET', '/payments/imp_000000000000')).status).toBe(401);
    expect((await t.call('GET', '/payments/imp_000000000000', { token: 'Bearer nope' })).status).toBe(401);
    expect((await t.call('GET', '/payments/status/nonsense', { token: 'nope' })).status).toBe(401);
    expect((await t.call('POST', '/payments/cancel', { token: 'nope', json: {} })).status).toBe(401);
  });

  it('revoking tokens makes the next call a 401 and getToken issues a new one', async () => {
    const token = await t.token();
    expect(await t.control('POST', `/merchants/${DEMO.impCode}/revoke-tokens`)).toEqual({ revoked: 1 });
    expect((await t.call('GET', '/payments/imp_000000000000', { token })).status).toBe(401);
    const fresh = await t.token();
    expect(fresh).not.toBe(token);
    expect((await t.call('GET', '/payments/imp_000000000000', { token: fresh })).status).toBe(404);
  });

  it("a merchant's token never reads another merchant's payments", async () => {
    const other = await t.control<{ imp_code: string; imp_key: string; imp_secret: string }>('POST', '/merchants', {});
    const theirs = await t.control<{ imp_uid: string }>('POST', '/payments', {
      merchant: other.imp_code,
      merchant_uid: 'theirs',
      amount: 500,
    });
    const token = await t.token();
    expect((await t.call('GET', `/payments/${theirs.imp_uid}`, { token })).status).toBe(404);
    const theirToken = await t.token({ imp_key: other.imp_key, imp_secret: other.imp_secret });
    expect((await t.call('GET', `/payments/${theirs.imp_uid}`, { token: theirToken })).status).toBe(200);
  });
});
