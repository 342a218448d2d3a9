import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn } from '~/auth/users.server';
import * as users from '~/routes/_dash.users';
import * as account from '~/routes/_dash.account';
import { consumeFlash } from '~/auth/flash.server';
import {
  createAuthHarness,
  callRoute,
  cookieHeader,
  makeRequest,
  TEST_PASSWORD,
  type AuthHarness,
  type TestUser,
} from '../../helpers/auth';

describe('user administration (/users actions)', () => {
  let h: AuthHarness;
  let admin: TestUser;
  let session: { cookie: string; csrf: string };
  beforeEach(async () => {
    h = await createAuthHarness();
    admin = await h.addUser('admin@example.com', 'admin');
    session = await h.sessionFor(admin);
  });
  afterEach(() => h.close());

  async function post(form: Record<string, string>) {
    const request = makeRequest('/users', { cookie: session.cookie, form: { _csrf: session.csrf, ...form } });
    return callRoute(users.action, request, {}, h.context(request, '203.0.113.20'));
  }
  async function flashOf(response: Response) {
    const request = makeRequest('/users', { cookie: cookieHeader(response.headers.getSetCookie()) });
    return (await consumeFlash(request, h.config)).flash;
  }
  const audit = () => h.t.db.selectFrom('audit_event').selectAll().orderBy('id').execute();

  it('creates a user with a generated password shown once, audited without the password', async () => {
    const response = await post({ intent: 'create', email: 'New@Example.com', role: 'operator', password: '' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { intent: string; email: string; generatedPassword: string };
    expect(body).toMatchObject({ intent: 'created', email: 'new@example.com' });
    expect(body.generatedPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(response.headers.get('set-cookie')).toBeNull();

    const signedIn = await signIn(h.ctx, {
      email: 'new@example.com',
      password: body.generatedPassword,
      ip: '1.1.1.1',
      userAgent: null,
      previousSessionId: null,
    });
    expect(signedIn.kind).toBe('signed_in');

    const [event] = await audit();
    expect(event).toMatchObject({
      action: 'user.create',
      actor_user_id: admin.id,
      actor_label: 'admin@example.com',
      target_type: 'user',
      ip: '203.0.113.20',
    });
    expect(JSON.parse(event!.after_json!)).toEqual({
      email: 'new@example.com',
      role: 'operator',
      disabled: false,
      password: 'generated',
    });
    expect(JSON.stringify(await audit())).not.toContain(body.generatedPassword);
    const row = await h.t.db
      .selectFrom('user')
      .selectAll()
      .where('email', '=', 'new@example.com')
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$3\$/);
  });

  it('creates a user with a chosen password and says so in a flash', async () => {
    const response = await post({
      intent: 'create',
      email: 'chosen@example.com',
      role: 'viewer',
      password: 'a chosen password',
    });
    expect(response.status).toBe(303);
    expect(await flashOf(response)).toEqual({
      kind: 'success',
      key: 'users.created',
      params: { email: 'chosen@example.com' },
    });
  });

  it.each([
    [{ email: 'not-an-email', role: 'viewer', password: '' }, 400, 'invalid_email'],
    [{ email: 'short@example.com', role: 'viewer', password: 'short' }, 400, 'weak_password'],
    [{ email: 'ADMIN@example.com', role: 'viewer', password: '' }, 409, 'email_taken'],
    [{ email: 'x@example.com', role: 'superuser', password: '' }, 400, 'bad_input'],
  ])('refuses to create %j: %i %s', async (form, status, error) => {
    const response = await post({ intent: 'create', ...form });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ intent: 'create', error });
    expect(await audit()).toEqual([]);
  });

  it('changes a role, audited with before and after', async () => {
    const viewer = await h.addUser('v@example.com', 'viewer');
    const response = await post({ intent: 'role', userId: String(viewer.id), role: 'operator' });
    expect(response.status).toBe(303);
    expect(await flashOf(response)).toEqual({
      kind: 'success',
      key: 'users.roleChanged',
      params: { email: 'v@example.com', role: 'operator' },
    });
    const [event] = await audit();
    expect(event).toMatchObject({ action: 'user.role_change', target_id: String(viewer.id) });
    expect(JSON.parse(event!.before_json!)).toEqual({ email: 'v@example.com', role: 'viewer', disabled: false });
    expect(JSON.parse(event!.after_json!)).toEqual({ email: 'v@example.com', role: 'operator', disabled: false });
  });

  it('never leaves the system without an enabled admin', async () => {
    const demote = await post({ intent: 'role', userId: String(admin.id), role: 'viewer' });
    expect(demote.status).toBe(303);
    expect(await flashOf(demote)).toMatchObject({ kind: 'error', key: 'users.error.last_admin' });
    const row = await h.t.db.selectFrom('user').select('role').where('id', '=', admin.id).executeTakeFirstOrThrow();
    expect(row.role).toBe('admin');
    expect(await audit()).toEqual([]);

    const second = await h.addUser('second@example.com', 'admin');
    expect(await flashOf(await post({ intent: 'disable', userId: String(second.id) }))).toMatchObject({
      kind: 'success',
    });
    // With the second admin disabled, the first is again the last one.
    expect(await flashOf(await post({ intent: 'role', userId: String(admin.id), role: 'operator' }))).toMatchObject({
      key: 'users.error.last_admin',
    });
  });

  it('refuses to disable yourself', async () => {
    const response = await post({ intent: 'disable', userId: String(admin.id) });
    expect(await flashOf(response)).toMatchObject({ kind: 'error', key: 'users.error.self' });
  });

  it('disables and enables a user, each audited', async () => {
    const op = await h.addUser('op@example.com', 'operator');
    await h.sessionFor(op);
    await post({ intent: 'disable', userId: String(op.id) });
    await post({ intent: 'enable', userId: String(op.id) });
    const events = await audit();
    expect(events.map((e) => e.action)).toEqual(['user.disable', 'user.enable']);
    expect(JSON.parse(events[0]!.after_json!)).toEqual({
      email: 'op@example.com',
      role: 'operator',
      disabled: true,
      revokedSessions: 1,
    });
    const signedIn = await signIn(h.ctx, {
      email: 'op@example.com',
      password: 'correct horse battery staple',
      ip: '1.1.1.1',
      userAgent: null,
      previousSessionId: null,
    });
    expect(signedIn.kind).toBe('signed_in');
  });

  it('answers not_found for a user that does not exist', async () => {
    const response = await post({ intent: 'revoke', userId: '999' });
    expect(await flashOf(response)).toMatchObject({ kind: 'error', key: 'users.error.not_found' });
  });

  const signInAs = (email: string, password: string, ip = '198.51.100.30') =>
    signIn(h.ctx, { email, password, ip, userAgent: null, previousSessionId: null });

  it('unlocks a user whose sign-in is limited, audited', async () => {
    const viewer = await h.addUser('viewer@example.com', 'viewer');
    for (let i = 0; i < 6; i++) await signInAs('viewer@example.com', `wrong password ${i}`);
    expect((await signInAs('viewer@example.com', TEST_PASSWORD)).kind).toBe('throttled');
    const listed = await callRoute(
      users.loader,
      makeRequest('/users', { cookie: session.cookie }),
      {},
      h.context(makeRequest('/users')),
    );
    const before = (await listed.json()) as { users: { email: string; throttled: boolean }[] };
    expect(before.users.find((u) => u.email === 'viewer@example.com')?.throttled).toBe(true);

    const response = await post({ intent: 'unlock', userId: String(viewer.id) });
    expect(await flashOf(response)).toMatchObject({ kind: 'success', key: 'users.unlockedDone' });
    expect((await signInAs('viewer@example.com', TEST_PASSWORD)).kind).toBe('signed_in');
    const [event] = (await audit()).filter((e) => e.action === 'user.unlock');
    expect(event).toMatchObject({ actor_label: 'admin@example.com', target_id: String(viewer.id), ip: '203.0.113.20' });
  });

  it('resets another user’s password: shown once, their sessions end, audited without it', async () => {
    const viewer = await h.addUser('viewer@example.com', 'viewer');
    const theirs = await h.sessionFor(viewer);
    const response = await post({ intent: 'reset_password', userId: String(viewer.id) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { intent: string; email: string; generatedPassword: string };
    expect(body).toMatchObject({ intent: 'reset', email: 'viewer@example.com' });
    expect(body.generatedPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await signInAs('viewer@example.com', TEST_PASSWORD)).kind).toBe('invalid');
    expect((await signInAs('viewer@example.com', body.generatedPassword)).kind).toBe('signed_in');
    const theirsNow = await callRoute(
      account.loader,
      makeRequest('/account', { cookie: theirs.cookie }),
      {},
      h.context(makeRequest('/account')),
    );
    expect(theirsNow.status).toBe(302);
    const events = (await audit()).filter((e) => e.action === 'user.password_reset');
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(body.generatedPassword);
    // Not for yourself: that is "Change password".
    const self = await post({ intent: 'reset_password', userId: String(admin.id) });
    expect(await flashOf(self)).toMatchObject({ kind: 'error', key: 'users.error.self_reset' });
  });

  it('changes your own password: the current one is checked, other sessions end, audited', async () => {
    const other = await h.sessionFor(admin);
    const change = (form: Record<string, string>) => {
      const request = makeRequest('/account', { cookie: session.cookie, form: { _csrf: session.csrf, ...form } });
      return callRoute(account.action, request, {}, h.context(request, '203.0.113.20'));
    };
    const wrong = await change({ current: 'not the password', next: 'a brand new password' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'wrong_password' });
    const weak = await change({ current: TEST_PASSWORD, next: 'short' });
    expect(weak.status).toBe(400);
    expect(await weak.json()).toEqual({ error: 'weak_password' });

    const done = await change({ current: TEST_PASSWORD, next: 'a brand new password' });
    expect(done.status).toBe(303);
    expect((await signInAs('admin@example.com', 'a brand new password')).kind).toBe('signed_in');
    // This session still works; the other one ended.
    const stillMe = await callRoute(
      account.loader,
      makeRequest('/account', { cookie: session.cookie }),
      {},
      h.context(makeRequest('/account')),
    );
    expect(stillMe.status).toBe(200);
    const otherNow = await callRoute(
      account.loader,
      makeRequest('/account', { cookie: other.cookie }),
      {},
      h.context(makeRequest('/account')),
    );
    expect(otherNow.status).toBe(302);
    expect((await audit()).filter((e) => e.action === 'user.password_change')).toHaveLength(1);
  });
});
