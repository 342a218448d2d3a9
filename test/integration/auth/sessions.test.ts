import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as dash from '~/routes/_dash';
import * as logout from '~/routes/logout';
import * as users from '~/routes/_dash.users';
import {
  createAuthHarness,
  callRoute,
  cookieHeader,
  makeRequest,
  type AuthHarness,
  type TestUser,
} from '../../helpers/auth';

describe('sessions', () => {
  let h: AuthHarness;
  let admin: TestUser;
  let viewer: TestUser;
  beforeEach(async () => {
    h = await createAuthHarness();
    admin = await h.addUser('admin@example.com', 'admin');
    viewer = await h.addUser('viewer@example.com', 'viewer');
  });
  afterEach(() => h.close());

  async function dashboard(cookie: string, path = '/') {
    const request = makeRequest(path, { cookie });
    return callRoute(dash.loader, request, {}, h.context(request));
  }

  it('lets a live session through the shell loader with its user', async () => {
    const { cookie } = await h.sessionFor(viewer);
    const response = await dashboard(cookie);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: { id: viewer.id, email: 'viewer@example.com', role: 'viewer' } });
  });

  it('sign-out revokes the session, clears the cookie, is audited, and the old cookie stops working', async () => {
    const { cookie, csrf } = await h.sessionFor(viewer);
    const request = makeRequest('/logout', { cookie, form: { _csrf: csrf } });
    const response = await callRoute(logout.action, request, {}, h.context(request));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
    const cleared = response.headers.getSetCookie();
    expect(cleared.some((c) => /^monitor_session=; Max-Age=0;/.test(c))).toBe(true);
    expect(cleared.some((c) => c.startsWith('monitor_flash='))).toBe(true);

    const session = await h.t.db.selectFrom('session').selectAll().executeTakeFirstOrThrow();
    expect(session.revoked_at).toBe('2026-11-24T09:00:00.000Z');
    const audit = await h.t.db.selectFrom('audit_event').selectAll().execute();
    expect(audit).toMatchObject([{ action: 'auth.sign_out', actor_user_id: viewer.id }]);

    const replay = await dashboard(cookie, '/orders?status=paid');
    expect(replay.status).toBe(302);
    expect(replay.headers.get('location')).toBe('/login?redirectTo=%2Forders%3Fstatus%3Dpaid');
    // The stale cookie is cleared with the redirect.
    expect(replay.headers.get('set-cookie')).toMatch(/^monitor_session=; Max-Age=0/);
  });

  it('GET /logout signs nobody out', async () => {
    const { cookie } = await h.sessionFor(viewer);
    const response = await callRoute(
      logout.loader,
      makeRequest('/logout', { cookie }),
      {},
      h.context(makeRequest('/logout')),
    );
    expect(response.status).toBe(302);
    expect((await dashboard(cookie)).status).toBe(200);
  });

  it('an admin revoking a user’s sessions signs them out everywhere', async () => {
    const phone = await h.sessionFor(viewer);
    const laptop = await h.sessionFor(viewer);
    const adminSession = await h.sessionFor(admin);
    const request = makeRequest('/users', {
      cookie: adminSession.cookie,
      form: { _csrf: adminSession.csrf, intent: 'revoke', userId: String(viewer.id) },
    });
    const response = await callRoute(users.action, request, {}, h.context(request));
    expect(response.status).toBe(303);

    expect((await dashboard(phone.cookie)).status).toBe(302);
    expect((await dashboard(laptop.cookie)).status).toBe(302);
    expect((await dashboard(adminSession.cookie)).status).toBe(200);
    const audit = await h.t.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'user.sessions_revoke')
      .execute();
    expect(audit).toMatchObject([
      { actor_user_id: admin.id, target_id: String(viewer.id), after_json: JSON.stringify({ revokedSessions: 2 }) },
    ]);
  });

  it('disabling a user ends their sessions at once', async () => {
    const victim = await h.sessionFor(viewer);
    const adminSession = await h.sessionFor(admin);
    const request = makeRequest('/users', {
      cookie: adminSession.cookie,
      form: { _csrf: adminSession.csrf, intent: 'disable', userId: String(viewer.id) },
    });
    expect((await callRoute(users.action, request, {}, h.context(request))).status).toBe(303);
    expect((await dashboard(victim.cookie)).status).toBe(302);
  });

  it('expires 12 hours after sign-in even when in use', async () => {
    const { cookie } = await h.sessionFor(viewer);
    // Active every 20 minutes: never idle, but the absolute limit still ends it.
    for (let i = 0; i < 35; i++) {
      h.clock.advance(20 * 60_000);
      expect((await dashboard(cookie)).status).toBe(200);
    }
    h.clock.advance(20 * 60_000 - 1);
    expect((await dashboard(cookie)).status).toBe(200);
    h.clock.advance(1);
    expect((await dashboard(cookie)).status).toBe(302);
  });

  it('ends after 30 minutes without a request (SESSION_IDLE_MINUTES)', async () => {
    const { cookie } = await h.sessionFor(viewer);
    h.clock.advance(30 * 60_000 - 1);
    expect((await dashboard(cookie)).status).toBe(200);
    h.clock.advance(30 * 60_000);
    expect((await dashboard(cookie)).status).toBe(302);
  });

  it('follows a configured idle timeout', async () => {
    const short = await createAuthHarness({ SESSION_IDLE_MINUTES: '5', SESSION_MAX_HOURS: '1' });
    try {
      const user = await short.addUser('short@example.com', 'viewer');
      const { cookie } = await short.sessionFor(user);
      const open = async () => {
        const request = makeRequest('/', { cookie });
        return callRoute(dash.loader, request, {}, short.context(request));
      };
      short.clock.advance(4 * 60_000);
      expect((await open()).status).toBe(200);
      short.clock.advance(5 * 60_000 + 1);
      expect((await open()).status).toBe(302);
    } finally {
      await short.close();
    }
  });

  it('records last_seen at most every five minutes', async () => {
    const { cookie } = await h.sessionFor(viewer);
    h.clock.advance(4 * 60_000);
    await dashboard(cookie);
    const seen = () => h.t.db.selectFrom('session').select('last_seen_at').executeTakeFirstOrThrow();
    expect((await seen()).last_seen_at).toBe('2026-11-24T09:00:00.000Z');
    h.clock.advance(2 * 60_000);
    await dashboard(cookie);
    expect((await seen()).last_seen_at).toBe('2026-11-24T09:06:00.000Z');
  });

  it('a forged cookie gets the sign-in redirect', async () => {
    const response = await dashboard(cookieHeader(['monitor_session=Im5vdC1hLXJlYWwtdG9rZW4i; Path=/']));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login');
  });
});
