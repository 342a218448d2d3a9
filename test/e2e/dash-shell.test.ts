import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';

const ADMIN = { email: 'admin@example.com', password: 'e2e admin password' };
const VIEWER = { email: 'viewer@example.com', password: 'e2e viewer password' };

describe('dashboard shell in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  /** Console messages about CSP from every page: a blocked inline script would show up here. */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    app?.cleanup();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to (execute|load|apply)/i.test(message.text()))
        cspViolations.push(message.text());
    });
    return { context, page };
  }

  async function signIn(page: Page, who: { email: string; password: string }) {
    await page.goto(app.url);
    await page.waitForURL(/\/login$/);
    await page.waitForFunction(() => '__remixRouter' in window);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/`);
    // The URL changes as the client-side navigation commits; the shell renders right after.
    await page.getByTestId('current-user').waitFor();
  }

  it('created the first admin from ADMIN_EMAIL/ADMIN_PASSWORD at start', () => {
    expect(app.lines.some((l) => l.includes('first admin created from ADMIN_EMAIL/ADMIN_PASSWORD'))).toBe(true);
    expect(app.lines.join('\n')).not.toContain(ADMIN.password);
  });

  it('serves documents with the CSP (nonce on every inline script) and the other security headers', async () => {
    const response = await fetch(`${app.url}/login`);
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const html = await response.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]!);
    expect(inline.length).toBeGreaterThan(0);
    for (const attributes of inline) expect(attributes).toContain(`nonce="${nonce}"`);
    // A fresh nonce per response.
    const again = (await fetch(`${app.url}/login`)).headers.get('content-security-policy');
    expect(again).not.toBe(csp);
  });

  it('an admin signs in, sees the shell, creates a viewer, switches to Korean and signs out', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, ADMIN);
      const nav = page.getByRole('navigation', { name: 'Main' });
      for (const label of ['Overview', 'Payments', 'Attention', 'Runs', 'Stores', 'Audit', 'Users']) {
        await expect(nav.getByRole('link', { name: label, exact: true }).count()).resolves.toBe(1);
      }
      await expect(page.getByTestId('current-user').textContent()).resolves.toBe(ADMIN.email);
      await expect(page.getByTestId('current-role').textContent()).resolves.toBe('Admin');
      await expect(page.getByRole('heading', { name: 'No data yet' }).count()).resolves.toBe(1);

      // Client-side navigation to the users page; create the viewer with a chosen password.
      await nav.getByRole('link', { name: 'Users', exact: true }).click();
      await page.waitForURL(`${app.url}/users`);
      const form = page.getByTestId('create-user-form');
      await form.waitFor();
      await form.getByLabel('Email').fill(VIEWER.email);
      await form.getByLabel('Role').selectOption('viewer');
      await form.getByLabel('Initial password').fill(VIEWER.password);
      await form.getByRole('button', { name: 'Add user' }).click();
      const flash = page.getByTestId('flash');
      await flash.waitFor();
      await expect(flash.textContent()).resolves.toContain(`User ${VIEWER.email} added.`);
      await expect(page.getByTestId(`user-row-${VIEWER.email}`).count()).resolves.toBe(1);

      // The dismiss button only works once React hydrated under the CSP.
      await flash.getByRole('button', { name: 'Dismiss' }).click();
      await flash.waitFor({ state: 'detached' });

      // Language switch: a full round trip, the next page renders in Korean.
      await page.getByRole('button', { name: '한국어' }).click();
      await page.waitForFunction(() => document.documentElement.lang === 'ko');
      await page.getByTestId('current-user').waitFor();
      const koNav = page.getByRole('navigation', { name: '주 메뉴' });
      for (const label of ['개요', '결제 내역', '확인 필요', '사용자']) {
        await expect(koNav.getByRole('link', { name: label, exact: true }).count()).resolves.toBe(1);
      }
      await expect(page.getByRole('heading', { name: '사용자', level: 1 }).count()).resolves.toBe(1);
      await expect(page.getByTestId('current-role').textContent()).resolves.toBe('관리자');

      await page.getByRole('button', { name: '로그아웃', exact: true }).click();
      await page.waitForURL(/\/login$/);
      await page.getByTestId('flash').waitFor();
      await expect(page.getByTestId('flash').textContent()).resolves.toContain('로그아웃했습니다.');
      // Signed out for real: the dashboard sends us back to sign in.
      await page.goto(`${app.url}/users`);
      await page.waitForURL(/\/login\?redirectTo=%2Fusers$/);
    } finally {
      await context.close();
    }
  });

  it('a viewer sees no admin controls, and the server refuses admin actions anyway', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, VIEWER);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect(nav.getByRole('link', { name: 'Overview', exact: true }).count()).resolves.toBe(1);
      await expect(nav.getByRole('link', { name: 'Users', exact: true }).count()).resolves.toBe(0);
      await expect(nav.getByRole('link', { name: 'Audit', exact: true }).count()).resolves.toBe(0);
      await expect(page.getByTestId('current-role').textContent()).resolves.toBe('Viewer');

      const direct = await page.goto(`${app.url}/users`);
      expect(direct?.status()).toBe(403);
      await expect(page.getByTestId('error-message').textContent()).resolves.toBe(
        'This needs the Admin role. Ask an admin if you need it.',
      );
      await expect(page.getByTestId('create-user-form').count()).resolves.toBe(0);

      // A hand-made POST with the viewer's own valid CSRF token: refused by the server.
      const token = await page.locator('input[name="_csrf"]').first().inputValue();
      const forged = await context.request.post(`${app.url}/users`, {
        form: { _csrf: token, intent: 'create', email: 'sneaky@example.com', role: 'admin', password: '' },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
      const promote = await context.request.post(`${app.url}/users`, {
        form: { _csrf: token, intent: 'role', userId: '2', role: 'admin' },
        maxRedirects: 0,
      });
      expect(promote.status()).toBe(403);
      // Without the token it is refused as CSRF before anything else.
      const noToken = await context.request.post(`${app.url}/logout`, { form: {}, maxRedirects: 0 });
      expect(noToken.status()).toBe(403);
      expect(await noToken.text()).toContain('The form is missing its security token.');
    } finally {
      await context.close();
    }
  });

  it('saw no CSP violation on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
