import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as root from '~/root';
import * as language from '~/routes/language';
import * as login from '~/routes/login';
import * as users from '~/routes/_dash.users';
import {
  createAuthHarness,
  callRoute,
  cookieHeader,
  errorOf,
  makeRequest,
  TEST_PASSWORD,
  type AuthHarness,
  type TestUser,
} from '../../helpers/auth';

describe('CSRF protection', () => {
  let h: AuthHarness;
  let admin: TestUser;
  beforeAll(async () => {
    h = await createAuthHarness();
    admin = await h.addUser('admin@example.com', 'admin');
  });
  afterAll(() => h.close());

  async function createUserWith(cookie: string, csrf: string | undefined) {
    const form: Record<string, string> = {
      intent: 'create',
      email: `u${Math.random()}@example.com`,
      role: 'viewer',
      password: '',
    };
    if (csrf !== undefined) form._csrf = csrf;
    const request = makeRequest('/users', { cookie, form });
    return callRoute(users.action, request, {}, h.context(request));
  }

  it.each([
    ['missing', undefined, 'csrf_missing'],
    ['empty', '', 'csrf_missing'],
    ['made up', 'x'.repeat(43), 'csrf_invalid'],
  ])('refuses a %s token with 403 and the reason', async (_name, token, reason) => {
    const { cookie } = await h.sessionFor(admin);
    const response = await createUserWith(cookie, token);
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ code: 'forbidden', reason });
  });

  it('refuses the token of another session of the same user', async () => {
    const mine = await h.sessionFor(admin);
    const other = await h.sessionFor(admin);
    const response = await createUserWith(mine.cookie, other.csrf);
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ reason: 'csrf_invalid' });
  });

  it('refuses a pre-session token once signed in', async () => {
    const pre = await h.preSession();
    const mine = await h.sessionFor(admin);
    const response = await createUserWith(cookieHeader([], `${pre.cookie}; ${mine.cookie}`), pre.csrf);
    expect(response.status).toBe(403);
  });

  it('accepts the token the root loader rendered for this session', async () => {
    const { cookie } = await h.sessionFor(admin);
    const page = makeRequest('/users', { cookie });
    const shell = (await (await callRoute(root.loader, page, {}, h.context(page))).json()) as { csrfToken: string };
    const response = await createUserWith(cookie, shell.csrfToken);
    expect(response.status).toBe(200);
    const count = await h.t.db
      .selectFrom('user')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBeGreaterThan(1);
  });

  it('protects the sign-in form with a pre-session token the root loader issues', async () => {
    const noToken = makeRequest('/login', { form: { email: 'admin@example.com', password: TEST_PASSWORD } });
    const refused = await callRoute(login.action, noToken, {}, h.context(noToken));
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ reason: 'csrf_missing' });

    // First visit: no cookie at all, so the root loader sets the pre-session cookie with its token.
    const visit = makeRequest('/login');
    const shellResponse = await callRoute(root.loader, visit, {}, h.context(visit));
    const cookie = cookieHeader(shellResponse.headers.getSetCookie());
    expect(cookie).toMatch(/^monitor_csrf=/);
    const { csrfToken } = (await shellResponse.json()) as { csrfToken: string };

    const wrongCookie = makeRequest('/login', {
      cookie: 'monitor_csrf=ImFub3RoZXIi',
      form: { _csrf: csrfToken, email: 'admin@example.com', password: TEST_PASSWORD },
    });
    expect((await callRoute(login.action, wrongCookie, {}, h.context(wrongCookie))).status).toBe(403);

    const ok = makeRequest('/login', {
      cookie,
      form: { _csrf: csrfToken, email: 'admin@example.com', password: TEST_PASSWORD },
    });
    expect((await callRoute(login.action, ok, {}, h.context(ok))).status).toBe(303);
  });

  it('protects the language switch', async () => {
    const pre = await h.preSession();
    const refused = makeRequest('/language', { cookie: pre.cookie, form: { locale: 'ko', redirectTo: '/login' } });
    expect((await callRoute(language.action, refused, {}, h.context(refused))).status).toBe(403);
    const ok = makeRequest('/language', {
      cookie: pre.cookie,
      form: { _csrf: pre.csrf, locale: 'ko', redirectTo: '/login' },
    });
    const response = await callRoute(language.action, ok, {}, h.context(ok));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
    expect(response.headers.get('set-cookie')).toMatch(
      /^monitor_lang=[^;]+; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });
});
