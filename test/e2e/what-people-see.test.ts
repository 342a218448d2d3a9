import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runNode, startApp, type RunningApp } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';
import { addStoreWithCli } from '../helpers/monitor';

const ADMIN = { email: 'admin@example.com', password: 'e2e admin password' };
const IMP_CODE = 'imp10000000';
const MERCHANT = { impCode: IMP_CODE, impKey: 'sandbox_imp_key', impSecret: 'sandbox_imp_secret' };
/** `SCREENSHOTS=1 npx vitest run test/e2e/what-people-see.test.ts` refreshes docs/screenshots. */
const SCREENSHOT_DIR = process.env.SCREENSHOTS ? path.join(repoRoot, 'docs/screenshots') : null;
const WIDE = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * What ops staff and buyers see (issue 12), in Chromium against the built app and its sandbox:
 * one test per numbered defect of the issue, and the screenshots of the README.
 */
describe('what ops staff and buyers see, in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let sandboxUrl: string;
  let admin: { context: BrowserContext; page: Page };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp({
        env: {
          SANDBOX: 'on',
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
          LOG_LEVEL: 'info',
          BUYER_WAIT_SECONDS: '10',
        },
      }),
      launchBrowser(),
    ]);
    const listening = JSON.parse(app.lines.find((l) => l.includes('"msg":"listening"'))!) as { sandbox: string };
    sandboxUrl = listening.sandbox;
    admin = await signedIn();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    app?.cleanup();
  });

  async function newPage(options: { locale?: string; viewport?: { width: number; height: number } } = {}) {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-US',
      viewport: options.viewport ?? WIDE,
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    return { context, page };
  }

  async function signedIn(options: { locale?: string; viewport?: { width: number; height: number } } = {}) {
    const session = await newPage(options);
    const { page } = session;
    await page.goto(`${app.url}/login`);
    await page.waitForFunction(() => '__remixRouter' in window);
    await page.locator('input[name="email"]').fill(ADMIN.email);
    await page.locator('input[name="password"]').fill(ADMIN.password);
    await page.locator('form button.btn-primary[type="submit"]').click();
    await page.waitForURL(`${app.url}/`);
    return session;
  }

  async function control<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
    const response = await fetch(`${sandboxUrl}/__sandbox/${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { code: number; message: string | null; response: T };
    if (!response.ok || json.code !== 0) throw new Error(`sandbox ${method} ${p}: ${json.message}`);
    return json.response;
  }

  /** Buys in the sandbox's demo shop and ends the window with `outcome`; the page stays where the buyer landed. */
  async function payInDemoShop(
    page: Page,
    options: {
      amount: number;
      buyer: string;
      payMethod?: string;
      outcome: string;
      whileInWindow?: () => Promise<void>;
    },
  ): Promise<string> {
    await page.goto(`${sandboxUrl}/`);
    await page.fill('#amount', String(options.amount));
    await page.fill('#buyer_name', options.buyer);
    await page.selectOption('#pay_method', options.payMethod ?? 'card');
    await page.click('#pay');
    await page.waitForURL(/\/checkout\/imp_\d{12}$/);
    const merchantUid = (await page
      .locator('dt', { hasText: '주문번호' })
      .locator('xpath=following-sibling::dd[1]')
      .textContent())!.trim();
    await page.selectOption('#style', 'imp_success');
    await page.selectOption('#webhook', 'on_time');
    await options.whileInWindow?.();
    await Promise.all([
      page.waitForURL(`${app.url}/payments/demo/**`),
      page.getByTestId(`outcome-${options.outcome}`).click(),
    ]);
    return merchantUid;
  }

  async function shoot(page: Page, name: string) {
    if (!SCREENSHOT_DIR) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
  }

  it('defect 2: the vbank buyer sees bank, account number, holder, amount and deadline', async () => {
    for (const [locale, viewport, suffix] of [
      ['ko-KR', WIDE, 'ko-1366'],
      ['en-US', PHONE, 'en-390'],
      ['ko-KR', PHONE, 'ko-390'],
      ['en-US', WIDE, 'en-1366'],
    ] as const) {
      const { context, page } = await newPage({ locale, viewport });
      try {
        const merchantUid = await payInDemoShop(page, {
          amount: 33000,
          buyer: '이서연',
          payMethod: 'vbank',
          outcome: 'vbank_issued',
        });
        await page.waitForURL(/\/payments\/demo\/result\?/);
        const vbank = page.getByTestId('vbank');
        await vbank.waitFor();
        const number = (await page.getByTestId('vbank-number').textContent())!.trim();
        expect(number).toMatch(/\d/);
        expect((await page.getByTestId('vbank-bank').textContent())!.trim()).not.toBe('—');
        expect((await page.getByTestId('vbank-holder').textContent())!.trim()).not.toBe('—');
        await expect(page.getByTestId('vbank-amount').textContent()).resolves.toBe(
          locale === 'ko-KR' ? '33,000원' : 'KRW 33,000',
        );
        await expect(page.getByTestId('vbank-deadline').textContent()).resolves.toMatch(
          /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} KST$/,
        );
        // What the page shows is the gateway's account: the same as the sandbox issued.
        const issued = await control<{ payments: { vbank_num: string; merchant_uid: string }[] } | unknown>(
          'GET',
          `payments?merchant_uid=${encodeURIComponent(merchantUid)}`,
        );
        expect(JSON.stringify(issued)).toContain(number);
        await shoot(page, `buyer-vbank-${suffix}.png`);
      } finally {
        await context.close();
      }
    }
  });

  it('defect 3: two stores on one merchant code make no false orphans after a sweep', async () => {
    const env = { DATA_DIR: app.dataDir };
    const added = await addStoreWithCli({
      dataDir: app.dataDir,
      env: {},
      slug: 'brand-b',
      sandboxUrl,
      merchant: MERCHANT,
    });
    expect(added.code).toBe(0);
    const apiKey = /API key \(shown once\): (\S+)/.exec(added.stdout)![1]!;
    // Brand B registers its orders and the buyer pays them (the account's webhooks go to the demo
    // store's URL, as Iamport has one notification URL per account).
    const uids = ['brand-b-1', 'brand-b-2', 'brand-b-3'];
    for (const uid of uids) {
      const response = await fetch(`${app.url}/api/v1/stores/brand-b/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ merchant_uid: uid, amount: 5000 }),
      });
      expect(response.status).toBe(201);
    }
    const oneHourAgo = Math.floor(Date.now() / 1000) - 3600;
    await control('POST', 'payments', [
      ...uids.map((uid) => ({
        merchant: IMP_CODE,
        merchant_uid: uid,
        amount: 5000,
        paid_at: oneHourAgo,
        started_at: oneHourAgo,
        webhook: false,
      })),
      {
        merchant: IMP_CODE,
        merchant_uid: 'nobody-registered-this',
        amount: 7000,
        paid_at: oneHourAgo,
        started_at: oneHourAgo,
        webhook: false,
      },
    ]);
    const sweep = await runNode(['build/node/jobs/cli.js', 'sweep'], env);
    expect(sweep.code, sweep.stderr).toBe(0);

    const { page } = admin;
    await page.goto(`${app.url}/orders?reason=orphan_payment`);
    const rows = page.locator('[data-testid="order-row"]');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().getAttribute('data-merchant-uid')).resolves.toBe('nobody-registered-this');
    // Brand B's own payments are settled at brand B, with nothing open.
    await page.goto(`${app.url}/orders?store=brand-b`);
    for (const uid of uids) {
      const row = page.locator(`[data-testid="order-row"][data-merchant-uid="${uid}"]`);
      await expect(row.locator('[data-status]').first().getAttribute('data-status')).resolves.toBe('paid');
    }
    await page.goto(`${app.url}/attention`);
    for (const uid of uids)
      await expect(page.locator(`[data-testid="attention-row"][data-merchant-uid="${uid}"]`).count()).resolves.toBe(0);
  });

  it('defect 4: the confirming page stops refreshing and tells the buyer the shop will follow up', async () => {
    const { context, page } = await newPage({ locale: 'en-US' });
    try {
      await payInDemoShop(page, {
        amount: 9000,
        buyer: 'Choi Minho',
        outcome: 'paid',
        // The gateway fails from the moment the buyer comes back.
        whileInWindow: () => control('PUT', `merchants/${IMP_CODE}/faults`, { status: 503 }),
      });
      await page.getByTestId('confirming').waitFor();
      // BUYER_WAIT_SECONDS=10 here: the page refreshes itself every 5 s, then ends.
      await page.getByTestId('confirming-ended').waitFor({ timeout: 30_000 });
      await expect(page.textContent('main')).resolves.toContain('the shop will confirm your payment and follow up');
      const url = page.url();
      // No Refresh any more: the page stays put.
      await page.waitForTimeout(6_000);
      expect(page.url()).toBe(url);
      await expect(page.getByTestId('confirming-ended').count()).resolves.toBe(1);
    } finally {
      await control('DELETE', `merchants/${IMP_CODE}/faults`);
      await context.close();
    }
  });

  it('raised no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
