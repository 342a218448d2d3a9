import { afterAll, describe, expect, it } from 'vitest';
import { runNode, startApp, type RunningApp } from '../../helpers/app-server';

/** server/main.ts wiring: the first start prints a password that works; a restart prints nothing. */
describe('first admin at server start', () => {
  const apps: RunningApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.stop();
    apps[0]?.cleanup();
  });

  async function signIn(url: string, email: string, password: string): Promise<number> {
    const page = await fetch(`${url}/login`);
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const response = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, email, password }),
      redirect: 'manual',
    });
    return response.status;
  }

  it('logs a generated admin@localhost password once, and it signs in', async () => {
    const first = await startApp();
    apps.push(first);
    const lines = first.lines.filter((l) => l.includes('first admin created'));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as { email: string; initialPassword: string; msg: string };
    expect(entry).toMatchObject({
      email: 'admin@localhost',
      msg: 'first admin created: sign in as admin@localhost with this password (shown once)',
    });
    expect(await signIn(first.url, 'admin@localhost', 'not the password')).toBe(401);
    expect(await signIn(first.url, 'admin@localhost', entry.initialPassword)).toBe(303);
    await first.stop();

    const second = await startApp({ dataDir: first.dataDir });
    apps.push(second);
    expect(second.lines.some((l) => l.includes('first admin created'))).toBe(false);
    expect(await signIn(second.url, 'admin@localhost', entry.initialPassword)).toBe(303);
  });

  it('refuses ADMIN_PASSWORD without ADMIN_EMAIL at start, in one line', async () => {
    // The configuration is refused before DATA_DIR is touched, so the directory is never created.
    const result = await runNode(['build/node/server/main.js'], {
      DATA_DIR: '/tmp/monitor-admin-config-never-created',
      SANDBOX: 'off',
      JOBS: 'off',
      ADMIN_PASSWORD: 'a long enough password',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid ADMIN_PASSWORD: set ADMIN_EMAIL too (the account it belongs to)');
  });
});
