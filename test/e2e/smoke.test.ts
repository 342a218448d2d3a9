import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';

describe('smoke: Chromium renders the app', () => {
  let app: RunningApp;
  let browser: Browser;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(), launchBrowser()]);
    console.log(`Chromium ${browser.version()}`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    app?.cleanup();
  });

  it('loads the home page with its stylesheet applied', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    await expect(page.locator('h1').textContent()).resolves.toBe('Iamport payment monitor');
    const maxWidth = await page.locator('main').evaluate((el) => getComputedStyle(el).maxWidth);
    expect(maxWidth).toBe('1152px');
  });
});
