import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as login from '~/routes/login';
import {
  createAuthHarness,
  callRoute,
  cookieHeader,
  makeRequest,
  TEST_PASSWORD,
  type AuthHarness,
} from '../../helpers/auth';

describe('sign-in (/login action)', () => {
  let h: AuthHarness;
  beforeEach(async () => {
    h = await createAuthHarness();
  });
  afterEach(() => h.close());

  async function attempt(email: string, password: string, options: { ip?: string; redirectTo?: string } = {}) {
    const pre = await h.preSession();
    const request = makeRequest('/login', {
      cookie: pre.cookie,
      form: { _csrf: pre.csrf, email, password, redirectTo: options.redirectTo ?? '/' },
    });
    return callRoute(login.action, request, {}, h.context(request, options.ip));
  }

  it('signs in: 303 to redirectTo, an HttpOnly SameSite=Lax session cookie, only the token hash stored, audited', async () => {
    const admin = await h.addUser('ops@example.com', 'admin');
    const response = await attempt('  OPS@example.com ', TEST_PASSWORD, { redirectTo: '/users?tab=x' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/users?tab=x');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^monitor_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);

    const sessions = await h.t.db.selectFrom('session').selectAll().execute();
    expect(sessions).toHaveLength(1);
    const cookieValue = setCookie.split(';')[0]!.split('=')[1]!;
    const token = JSON.parse(Buffer.from(decodeURIComponent(cookieValue), 'base64').toString()) as string;
    expect(sessions[0]!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(sessions[0]!.id).not.toContain(token);
    expect(sessions[0]).toMatchObject({
      user_id: admin.id,
      revoked_at: null,
      ip: '198.51.100.7',
      expires_at: '2026-11-24T21:00:00.000Z',
    });

    const audit = await h.t.db.selectFrom('audit_event').selectAll().execute();
    expect(audit).toMatchObject([
      {
        action: 'auth.sign_in',
        actor_user_id: admin.id,
        actor_label: 'ops@example.com',
        target_type: 'user',
        target_id: String(admin.id),
      },
    ]);
    const user = await h.t.db
      .selectFrom('user')
      .select('last_sign_in_at')
      .where('id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(user.last_sign_in_at).toBe('2026-11-24T09:00:00.000Z');
  });

  it.each([
    ['a wrong password', 'ops@example.com', 'wrong password 123'],
    ['an unknown email', 'nobody@example.com', TEST_PASSWORD],
    ['a disabled account', 'gone@example.com', TEST_PASSWORD],
  ])('refuses %s with the same 401 and records the failure', async (_name, email, password) => {
    await h.addUser('ops@example.com', 'admin');
    await h.addUser('gone@example.com', 'operator', { disabled: true });
    const response = await attempt(email, password);
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.json()).toEqual({ error: 'invalid', email });
    expect(await h.t.db.selectFrom('session').selectAll().execute()).toHaveLength(0);
    const attempts = await h.t.db.selectFrom('login_attempt').selectAll().execute();
    expect(attempts).toMatchObject([{ email, outcome: 'failure', ip: '198.51.100.7' }]);
  });

  it('never redirects off-site after sign-in', async () => {
    await h.addUser('ops@example.com', 'admin');
    const response = await attempt('ops@example.com', TEST_PASSWORD, { redirectTo: '//evil.example/phish' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });

  it('replaces a session planted before sign-in with a fresh one', async () => {
    const admin = await h.addUser('ops@example.com', 'admin');
    const planted = await h.sessionFor(admin);
    const request = makeRequest('/login', {
      cookie: planted.cookie,
      form: { _csrf: planted.csrf, email: 'ops@example.com', password: TEST_PASSWORD },
    });
    const response = await callRoute(login.action, request, {}, h.context(request));
    expect(response.status).toBe(303);
    expect(cookieHeader(response.headers.getSetCookie(), planted.cookie)).not.toBe(planted.cookie);
    const sessions = await h.t.db.selectFrom('session').select(['revoked_at']).orderBy('created_at').execute();
    expect(sessions.map((s) => s.revoked_at !== null).sort()).toEqual([false, true]);
  });

  it('redirects a signed-in visitor away from the sign-in page', async () => {
    const admin = await h.addUser('ops@example.com', 'admin');
    const { cookie } = await h.sessionFor(admin);
    const request = makeRequest('/login?redirectTo=%2Forders', { cookie });
    const response = await callRoute(login.loader, request, {}, h.context(request));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/orders');
  });

  describe('throttling', () => {
    it('answers 429 with Retry-After after 5 failures for one (email, address), even for the right password, until the window passes', async () => {
      await h.addUser('ops@example.com', 'admin');
      for (let i = 0; i < 5; i++) {
        h.clock.advance(60_000);
        expect((await attempt('ops@example.com', `wrong-${i}-password`)).status).toBe(401);
      }
      const blocked = await attempt('ops@example.com', TEST_PASSWORD);
      expect(blocked.status).toBe(429);
      // The pair's window began with the first attempt at 09:01 and ends at 09:16 (now 09:05).
      expect(blocked.headers.get('retry-after')).toBe(String(11 * 60));
      expect(await blocked.json()).toMatchObject({ error: 'throttled', minutes: 11 });
      expect(await h.t.db.selectFrom('session').selectAll().execute()).toHaveLength(0);

      // The same account from another address is not affected (no lock for everyone).
      expect((await attempt('ops@example.com', TEST_PASSWORD, { ip: '203.0.113.9' })).status).toBe(303);

      h.clock.advance(11 * 60_000);
      expect((await attempt('ops@example.com', TEST_PASSWORD)).status).toBe(303);
      // A success clears the pair's count.
      for (let i = 0; i < 4; i++) expect((await attempt('ops@example.com', 'wrong-again-password')).status).toBe(401);
      expect((await attempt('ops@example.com', TEST_PASSWORD)).status).toBe(303);
    });

    it('answers 429 past 20 attempts from one address across many emails', async () => {
      await h.addUser('ops@example.com', 'admin');
      // 20 attempts already counted for the address (as the counter row: each real one costs a scrypt run).
      await h.t.db
        .insertInto('login_throttle')
        .values({
          scope: 'ip',
          email: '',
          ip: '203.0.113.66',
          window_start: h.clock.now().toISOString(),
          attempts: 20,
          next_at: null,
        })
        .execute();
      h.clock.advance(1_000);
      const refused = await attempt('ops@example.com', TEST_PASSWORD, { ip: '203.0.113.66' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBe(15 * 60 - 1);
      expect((await attempt('ops@example.com', TEST_PASSWORD, { ip: '203.0.113.67' })).status).toBe(303);
    });

    it('keeps counting across a restart (the counters live in the database)', async () => {
      await h.addUser('ops@example.com', 'admin');
      for (let i = 0; i < 5; i++) await attempt('ops@example.com', 'wrong password!');
      // A second "process": a new context on the same database file.
      const { createAppContext } = await import('~/context.server');
      const restarted = createAppContext({ config: h.config, db: h.t.db, log: h.ctx.log, now: h.clock.now });
      const pre = await h.preSession();
      const request = makeRequest('/login', {
        cookie: pre.cookie,
        form: { _csrf: pre.csrf, email: 'ops@example.com', password: TEST_PASSWORD },
      });
      const response = await callRoute(
        login.action,
        request,
        {},
        { ...restarted, clientIp: '198.51.100.7', rawUrl: '/login' },
      );
      expect(response.status).toBe(429);
    });

    it('counts 30 concurrent wrong passwords as 30 and checks at most 5 of them', async () => {
      await h.addUser('ops@example.com', 'admin');
      const statuses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => attempt('ops@example.com', `wrong-guess-${i}`).then((r) => r.status)),
      );
      const rows = await h.t.db.selectFrom('login_attempt').select('outcome').execute();
      const outcomes = rows.map((r) => r.outcome);
      expect(outcomes).toHaveLength(30);
      expect(outcomes.filter((o) => o === 'failure').length).toBeLessThanOrEqual(5);
      expect(outcomes.filter((o) => o === 'throttled').length).toBeGreaterThanOrEqual(25);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(25);
      const pair = await h.t.db
        .selectFrom('login_throttle')
        .select('attempts')
        .where('scope', '=', 'pair')
        .executeTakeFirstOrThrow();
      expect(pair.attempts).toBe(30);
    });

    it('a stranger’s guesses from other addresses slow the email down but never lock its owner out', async () => {
      await h.addUser('ops@example.com', 'admin');
      // The owner signed in from the office last week (a stored success; a real sign-in would
      // rehash the fixture's cheap password at full cost and make every later check slow).
      await h.t.db
        .insertInto('login_attempt')
        .values({
          at: new Date(h.clock.now().getTime() - 7 * 86_400_000).toISOString(),
          email: 'ops@example.com',
          ip: '198.51.100.7',
          outcome: 'success',
        })
        .execute();
      // A stranger spreads 5 guesses each over 4 addresses: 20 checked failures for the email.
      for (let a = 0; a < 4; a++)
        for (let i = 0; i < 5; i++) {
          h.clock.advance(61_000);
          await attempt('ops@example.com', `stranger-${a}-${i}`, { ip: `203.0.113.${10 + a}` });
        }
      // The stranger's next address is slowed (one try per minute for this email)...
      h.clock.advance(61_000);
      expect((await attempt('ops@example.com', 'stranger-next', { ip: '203.0.113.99' })).status).toBe(401);
      const slowed = await attempt('ops@example.com', 'stranger-again', { ip: '203.0.113.98' });
      expect(slowed.status).toBe(429);
      expect(Number(slowed.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      // ...while the owner still signs in from the office at once.
      expect((await attempt('ops@example.com', TEST_PASSWORD, { ip: '198.51.100.7' })).status).toBe(303);
      // And from a new address after at most the slow-down, not after a lockout.
      h.clock.advance(60_000);
      expect((await attempt('ops@example.com', TEST_PASSWORD, { ip: '192.0.2.44' })).status).toBe(303);
    });

    it('answers a throttled document POST with Retry-After on the HTML page too', async () => {
      await h.addUser('ops@example.com', 'admin');
      for (let i = 0; i < 5; i++) await attempt('ops@example.com', 'wrong password!');
      const blocked = await attempt('ops@example.com', 'wrong password!');
      expect(blocked.status).toBe(429);
      const documentHeaders = new Headers(
        login.headers({
          actionHeaders: blocked.headers,
          loaderHeaders: new Headers(),
          parentHeaders: new Headers(),
          errorHeaders: undefined,
        }),
      );
      expect(documentHeaders.get('retry-after')).toBe(blocked.headers.get('retry-after'));
    });
  });
});

describe('session cookie attributes', () => {
  it.each([
    [{ COOKIE_SECURE: 'on' }, true],
    [{ PUBLIC_URL: 'https://pay-monitor.example.com' }, true],
    [{ PUBLIC_URL: 'https://pay-monitor.example.com', COOKIE_SECURE: 'off' }, false],
    [{ PUBLIC_URL: 'http://localhost:3000' }, false],
  ])('%j → Secure: %s', async (env, secure) => {
    const h = await createAuthHarness(env);
    try {
      await h.addUser('ops@example.com', 'admin');
      const pre = await h.preSession();
      const request = makeRequest('/login', {
        cookie: pre.cookie,
        form: { _csrf: pre.csrf, email: 'ops@example.com', password: TEST_PASSWORD },
      });
      const response = await callRoute(login.action, request, {}, h.context(request));
      expect(response.status).toBe(303);
      expect(/; Secure(;|$)/.test(response.headers.get('set-cookie') ?? '')).toBe(secure);
    } finally {
      await h.close();
    }
  });
});
