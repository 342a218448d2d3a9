import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect } from '../helpers/db';
import { migrateToLatest } from '../../db/migrate';
import { seedDatabase } from '../../scripts/seed';
import { rebuildOverviewRollup } from '../../db/overview-rollup';
import { openAppDatabase, ORIGIN, repoRoot, startApp, type RunningApp } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';

const ADMIN = { email: 'admin@example.com', password: 'e2e admin password' };
const APP_SECRET = 'e2e-overview-secret-'.padEnd(40, 'x');
/** `SCREENSHOTS=1 npx vitest run test/e2e/dash-overview.test.ts` refreshes docs/screenshots/overview.png. */
const SCREENSHOT_DIR = process.env.SCREENSHOTS ? path.join(repoRoot, 'docs/screenshots') : null;
const CHARTS = ['orders', 'amounts', 'verification', 'webhook-delay', 'flags', 'backlog'];

/**
 * The overview and the stores page in Chromium against the built app, on a database seeded with
 * a month of orders: every chart draws an SVG of real size, the range and store live in the URL,
 * the store page's URLs are the exact ones to paste and copy to the clipboard.
 */
describe('overview and stores in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-e2e-overview-'));
    const handle = await openAppDatabase(dataDir);
    try {
      await migrateToLatest(handle.db);
      const now = new Date();
      await seedDatabase(handle.db, {
        orders: 6000,
        stores: 2,
        days: 30,
        seed: 7,
        now,
        apiBaseUrl: 'http://127.0.0.1:9',
        appSecret: APP_SECRET,
        dialect: testDialect,
      });
      await rebuildOverviewRollup({ db: handle.db, dialect: testDialect, offsetMinutes: 540, paidStatus: 'paid' }, now);
    } finally {
      await handle.close();
    }
    [app, browser] = await Promise.all([
      startApp({ dataDir, env: { APP_SECRET, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } }),
      launchBrowser(),
    ]);
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/favicon|status of 404/.test(message.text()))
        pageErrors.push(`${page.url()}: ${message.text()}`);
    });
    await page.goto(`${app.url}/login`);
    await page.waitForFunction(() => '__remixRouter' in window);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    app?.cleanup();
  });

  it('draws every chart as an SVG of non-zero size, with the counts the page states', async () => {
    await page.goto(`${app.url}/`);
    for (const id of CHARTS) {
      const svg = page.locator(`[data-testid="chart-${id}"] .recharts-wrapper > svg.recharts-surface`);
      await svg.waitFor();
      const box = await svg.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width, id).toBeGreaterThan(200);
      expect(box!.height, id).toBeGreaterThan(100);
      // Bars or a line were drawn, not just axes.
      expect(
        await page
          .locator(
            `[data-testid="chart-${id}"] .recharts-bar-rectangle, [data-testid="chart-${id}"] .recharts-line-curve`,
          )
          .count(),
        id,
      ).toBeGreaterThan(0);
    }
    const total = Number(
      (await page.getByTestId('stat-orders').locator('.stat-value').textContent())!.replace(/,/g, ''),
    );
    expect(total).toBeGreaterThan(5000);
    const chips = await page.getByTestId('status-counts').locator('strong').allTextContents();
    expect(chips.reduce((n, c) => n + Number(c.replace(/,/g, '')), 0)).toBe(total);
    expect(pageErrors).toEqual([]);

    mkdirSync(SCREENSHOT_DIR ?? path.join(tmpdir(), 'monitor-screens'), { recursive: true });
    const file = path.join(SCREENSHOT_DIR ?? path.join(tmpdir(), 'monitor-screens'), 'overview.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(20_000);
  });

  it('keeps the range and store in the URL: a preset, then one store per hour', async () => {
    await page.goto(`${app.url}/`);
    await page.getByTestId('preset-7').click();
    await page.waitForURL(/from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}/);
    await page.locator('[data-testid="preset-7"][aria-current="true"]').waitFor();
    const today = new URL(page.url()).searchParams.get('to')!;
    await page.goto(`${app.url}/?from=${today}&to=${today}&store=seed-2`);
    await expect(page.locator('#overview-store').inputValue()).resolves.toBe('seed-2');
    // Per hour: the axis labels carry a time.
    await page.locator('[data-testid="chart-orders"] .recharts-wrapper > svg.recharts-surface').waitFor();
    const ticks = await page
      .locator('[data-testid="chart-orders"] .recharts-xAxis .recharts-cartesian-axis-tick-value')
      .allTextContents();
    expect(ticks.some((tick) => /\d{2}:00$/.test(tick))).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('shows the exact URLs to paste for a store, and copies them', async () => {
    await page.goto(`${app.url}/stores`);
    await page.getByTestId('store-row-seed-1').getByRole('link').click();
    await page.waitForURL(`${app.url}/stores/seed-1`);
    await page.waitForFunction(() => '__remixRouter' in window);
    const redirect = page.getByTestId('url-m_redirect_url');
    // Merchant URLs come from PUBLIC_URL (required without the sandbox), never from the Host header.
    await expect(redirect.inputValue()).resolves.toBe(`${ORIGIN}/payments/seed-1/complete`);
    await expect(page.getByTestId('url-notice_url').inputValue()).resolves.toBe(`${ORIGIN}/webhooks/iamport/seed-1`);
    await page.getByTestId('copy-m_redirect_url').click();
    await page.getByTestId('copy-m_redirect_url').filter({ hasText: 'Copied' }).waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(
      `${ORIGIN}/payments/seed-1/complete`,
    );
    await page.getByTestId('copy-notice_url').click();
    await page.getByTestId('copy-notice_url').filter({ hasText: 'Copied' }).waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(
      `${ORIGIN}/webhooks/iamport/seed-1`,
    );
    // The secret field is write-only: empty, whatever is stored.
    await expect(page.locator('input[name="impSecret"]').inputValue()).resolves.toBe('');
    expect(pageErrors).toEqual([]);
  });
});
