import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as users from '~/routes/_dash.users';
import {
  createAuthHarness,
  callRoute,
  errorOf,
  makeRequest,
  type AuthHarness,
  type TestUser,
} from '../../helpers/auth';

describe('role enforcement on the server (/users is admin only)', () => {
  let h: AuthHarness;
  const people: Record<'viewer' | 'operator' | 'admin', TestUser> = {} as never;
  beforeAll(async () => {
    h = await createAuthHarness();
    people.viewer = await h.addUser('viewer@example.com', 'viewer');
    people.operator = await h.addUser('operator@example.com', 'operator');
    people.admin = await h.addUser('admin@example.com', 'admin');
  });
  afterAll(() => h.close());

  it.each(['viewer', 'operator'] as const)('a %s gets 403 from the loader', async (role) => {
    const { cookie } = await h.sessionFor(people[role]);
    const request = makeRequest('/users', { cookie });
    const response = await callRoute(users.loader, request, {}, h.context(request));
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ code: 'forbidden', reason: 'role', required: 'admin' });
  });

  it.each(['viewer', 'operator'] as const)(
    'a %s posting a valid form (right CSRF token) still gets 403, and nothing changes',
    async (role) => {
      const { cookie, csrf } = await h.sessionFor(people[role]);
      const before = await h.t.db.selectFrom('user').selectAll().orderBy('id').execute();
      const forms: Record<string, string>[] = [
        { intent: 'create', email: `made-by-${role}@example.com`, role: 'admin', password: '' },
        { intent: 'role', userId: String(people[role].id), role: 'admin' },
        { intent: 'disable', userId: String(people.admin.id) },
      ];
      for (const form of forms) {
        const request = makeRequest('/users', { cookie, form: { _csrf: csrf, ...form } });
        const response = await callRoute(users.action, request, {}, h.context(request));
        expect(response.status).toBe(403);
      }
      expect(await h.t.db.selectFrom('user').selectAll().orderBy('id').execute()).toEqual(before);
      expect(await h.t.db.selectFrom('audit_event').selectAll().execute()).toEqual([]);
    },
  );

  it('an admin gets the list', async () => {
    const { cookie } = await h.sessionFor(people.admin);
    const request = makeRequest('/users', { cookie });
    const response = await callRoute(users.loader, request, {}, h.context(request));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { users: { email: string; role: string }[] };
    expect(body.users.map((u) => [u.email, u.role])).toEqual([
      ['admin@example.com', 'admin'],
      ['operator@example.com', 'operator'],
      ['viewer@example.com', 'viewer'],
    ]);
  });

  it('signed out, the loader and the action redirect to the sign-in page', async () => {
    const get = makeRequest('/users?x=1');
    const loaderResponse = await callRoute(users.loader, get, {}, h.context(get));
    expect(loaderResponse.status).toBe(302);
    expect(loaderResponse.headers.get('location')).toBe('/login?redirectTo=%2Fusers%3Fx%3D1');
    const post = makeRequest('/users', { form: { intent: 'create', email: 'x@example.com', role: 'admin' } });
    const actionResponse = await callRoute(users.action, post, {}, h.context(post));
    expect(actionResponse.status).toBe(302);
    expect(actionResponse.headers.get('location')).toBe('/login?redirectTo=%2Fusers');
  });
});
