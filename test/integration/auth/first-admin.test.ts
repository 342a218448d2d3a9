import { afterEach, describe, expect, it } from 'vitest';
import { ensureFirstAdmin, signIn } from '~/auth/users.server';
import { createAuthHarness, type AuthHarness } from '../../helpers/auth';

describe('ensureFirstAdmin', () => {
  let h: AuthHarness;
  afterEach(() => h.close());

  const signInWith = (email: string, password: string) =>
    signIn(h.ctx, { email, password, ip: '127.0.0.1', userAgent: null, previousSessionId: null }).then((r) => r.kind);

  it('creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD, logs no password, and runs once', async () => {
    h = await createAuthHarness({ ADMIN_EMAIL: 'Boss@Example.com', ADMIN_PASSWORD: 'a long admin password' });
    expect(await ensureFirstAdmin(h.ctx)).toEqual({
      created: true,
      email: 'boss@example.com',
      source: 'env',
      generatedPassword: null,
    });
    expect(await signInWith('boss@example.com', 'a long admin password')).toBe('signed_in');
    expect(h.logLines.join('\n')).not.toContain('a long admin password');
    expect(h.logLines.some((l) => l.includes('first admin created from ADMIN_EMAIL/ADMIN_PASSWORD'))).toBe(true);

    const audit = await h.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'user.create').execute();
    expect(audit).toMatchObject([
      {
        actor_user_id: null,
        actor_label: 'system',
        after_json: JSON.stringify({ email: 'boss@example.com', role: 'admin', disabled: false, source: 'env' }),
      },
    ]);

    expect(await ensureFirstAdmin(h.ctx)).toEqual({ created: false });
    expect(await h.t.db.selectFrom('user').selectAll().execute()).toHaveLength(1);
  });

  it('without ADMIN_PASSWORD creates admin@localhost with a random password printed once in the log', async () => {
    h = await createAuthHarness();
    const outcome = await ensureFirstAdmin(h.ctx);
    expect(outcome).toMatchObject({ created: true, email: 'admin@localhost', source: 'generated' });
    const password = outcome.created ? outcome.generatedPassword! : '';
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const lines = h.logLines.filter((l) => l.includes(password));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 40,
      email: 'admin@localhost',
      initialPassword: password,
      msg: expect.stringContaining('first admin created'),
    });
    expect(await signInWith('admin@localhost', password)).toBe('signed_in');
    expect(await ensureFirstAdmin(h.ctx)).toEqual({ created: false });
  });

  it('does nothing once any user exists, whatever the environment says', async () => {
    h = await createAuthHarness({ ADMIN_EMAIL: 'boss@example.com', ADMIN_PASSWORD: 'a long admin password' });
    await h.addUser('someone@example.com', 'viewer');
    expect(await ensureFirstAdmin(h.ctx)).toEqual({ created: false });
    expect((await h.t.db.selectFrom('user').select('email').execute()).map((u) => u.email)).toEqual([
      'someone@example.com',
    ]);
  });

  it('creates exactly one admin when two instances start together', async () => {
    h = await createAuthHarness();
    const outcomes = await Promise.all([ensureFirstAdmin(h.ctx), ensureFirstAdmin(h.ctx)]);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(await h.t.db.selectFrom('user').selectAll().execute()).toHaveLength(1);
    expect(h.logLines.filter((l) => l.includes('initialPassword'))).toHaveLength(1);
  });
});
