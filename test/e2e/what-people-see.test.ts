import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseEnvFor, repoRoot, runNode, startApp, type RunningApp } from '../helpers/app-server';
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

  let failedUid = '';
  let vbankUid = '';

  it('defect 1: a failed payment shows no paid amount and no refund form', async () => {
    const buyer = await newPage();
    try {
      failedUid = await payInDemoShop(buyer.page, { amount: 8000, buyer: 'Han Jiwoo', outcome: 'failed' });
    } finally {
      await buyer.context.close();
    }
    const { page } = admin;
    await page.goto(`${app.url}/orders?q=${encodeURIComponent(failedUid)}`);
    const row = page.locator(`[data-testid="order-row"][data-merchant-uid="${failedUid}"]`);
    await row.waitFor();
    await expect(row.locator('[data-status]').first().getAttribute('data-status')).resolves.toBe('failed');
    await expect(row.locator('.money[data-amount]').count()).resolves.toBe(1); // the expected amount only
    await row.getByRole('link', { name: failedUid }).click();
    await page.waitForURL(/\/orders\/\d+$/);
    await expect(page.getByTestId('paid-amount').textContent()).resolves.toBe('—');
    await expect(page.getByTestId('nothing-paid').count()).resolves.toBe(1);
    await expect(page.getByTestId('refundable').count()).resolves.toBe(0);
    await expect(page.locator('input[name="amount"]').count()).resolves.toBe(0);
  });

  it(
    'defect 2: the vbank buyer sees bank, account number, holder, amount and deadline',
    { timeout: 120_000 },
    async () => {
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
          vbankUid = merchantUid;
          await shoot(page, `buyer-vbank-${suffix}.png`);
        } finally {
          await context.close();
        }
      }
    },
  );

  it('defect 3: two stores on one merchant code make no false orphans after a sweep', async () => {
    // The sweep CLI must open the app's database: on PostgreSQL that is DATABASE_URL, not a
    // file in DATA_DIR (without it the sweep ran on an empty SQLite file and flagged nothing).
    const env = { DATA_DIR: app.dataDir, ...(await databaseEnvFor(app.dataDir)) };
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
    // The payment nobody registered is flagged once, at one store on the code (whichever claims
    // unknown payments)…
    await page.goto(`${app.url}/orders?reason=orphan_payment&q=nobody-registered-this`);
    const rows = page.locator('[data-testid="order-row"]');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().getAttribute('data-merchant-uid')).resolves.toBe('nobody-registered-this');
    // …and brand B's payments stay brand B's: one order each, at brand B, paid (flagged there only
    // because brand B never received their evidence), never an unknown order at the demo store.
    await page.goto(`${app.url}/orders?reason=unknown_order`);
    await expect(
      page
        .locator('[data-testid="order-row"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-merchant-uid'))),
    ).resolves.toEqual(['nobody-registered-this']);
    for (const uid of uids) {
      await page.goto(`${app.url}/orders?q=${uid}`);
      const row = page.locator(`[data-testid="order-row"][data-merchant-uid="${uid}"]`);
      await expect(row.count()).resolves.toBe(1);
      await expect(row.locator('td').nth(1).textContent()).resolves.toBe('brand-b');
      await expect(row.locator('[data-status]').first().getAttribute('data-status')).resolves.toBe('paid');
    }
  });

  it(
    'defect 4: the confirming page stops refreshing and tells the buyer the shop will follow up',
    { timeout: 90_000 },
    async () => {
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
    },
  );

  it(
    'defect 5: a resolution survives a re-check of the same answer, and a changed answer reopens it',
    { timeout: 90_000 },
    async () => {
      const buyer = await newPage();
      let merchantUid = '';
      try {
        merchantUid = await payInDemoShop(buyer.page, {
          amount: 10000,
          buyer: 'Jung Hayun',
          outcome: 'paid',
          // The browser pays 9,000 for a 10,000 order: an amount mismatch.
          whileInWindow: () => buyer.page.fill('#tampered_amount', '9000'),
        });
      } finally {
        await buyer.context.close();
      }
      const [payment] = await control<{ imp_uid: string; amount: number }[]>(
        'GET',
        `payments?merchant_uid=${encodeURIComponent(merchantUid)}`,
      );
      expect(payment!.amount).toBe(9000);

      const { page } = admin;
      await page.goto(`${app.url}/orders?q=${encodeURIComponent(merchantUid)}`);
      await page.locator(`[data-testid="order-row"][data-merchant-uid="${merchantUid}"] a`).first().click();
      await page.waitForURL(/\/orders\/\d+$/);
      const orderUrl = page.url();
      const openMismatch = page.locator('[data-testid="open-reasons"] li[data-reason="amount_mismatch"]');
      const resolvedMismatch = page.locator('[data-testid="resolved-reasons"] li[data-reason="amount_mismatch"]');
      await openMismatch.waitFor();

      // A person resolves the mismatch with a written reason…
      await openMismatch.locator('textarea[name="note"]').fill('The buyer paid 9,000 by phone agreement; keep it.');
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(orderUrl)),
        openMismatch.getByRole('button').click(),
      ]);
      await resolvedMismatch.first().waitFor();
      await expect(openMismatch.count()).resolves.toBe(0);

      // …and "Re-check now" asks the gateway, which answers the same: it stays resolved.
      const recheck = async () => {
        const checksBefore = await page.locator('[data-testid="timeline"] [data-kind="gateway_check"]').count();
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(orderUrl)),
          page.locator('button[name="intent"][value="recheck"]').click(),
        ]);
        await page.waitForFunction(
          (n) => document.querySelectorAll('[data-testid="timeline"] [data-kind="gateway_check"]').length > n,
          checksBefore,
        );
      };
      await recheck();
      await expect(openMismatch.count()).resolves.toBe(0);
      await expect(resolvedMismatch.count()).resolves.toBe(1);
      await expect(page.getByTestId('open-reasons').count()).resolves.toBe(0);

      // The gateway's answer changes (its record now says 9,500): the next re-check reopens it, saying what changed.
      await control('POST', `payments/${payment!.imp_uid}/amend`, { amount: 9500 });
      await recheck();
      await openMismatch.waitFor();
      await expect(openMismatch.textContent()).resolves.toContain('amount 9000 → 9500');
      await expect(openMismatch.textContent()).resolves.toContain(ADMIN.email);
      await expect(resolvedMismatch.count()).resolves.toBe(1);
    },
  );

  it('screens read well in Korean and English, at 1366 px and on a 390 px phone', { timeout: 240_000 }, async () => {
    for (const [locale, lang] of [
      ['en-US', 'en'],
      ['ko-KR', 'ko'],
    ] as const) {
      for (const [viewport, width] of [
        [WIDE, 1366],
        [PHONE, 390],
      ] as const) {
        const { context, page } = await signedIn({ locale, viewport });
        try {
          await page.goto(`${app.url}/orders`);
          await page.getByTestId('orders-table').waitFor();
          // Nothing is cut off: the table fits the page or scrolls inside itself.
          const clipped = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
          expect(clipped, `log at ${width}px`).toBe(false);
          await shoot(page, `log-${lang}-${width}.png`);
          await page.goto(`${app.url}/orders?q=${encodeURIComponent(vbankUid)}`);
          await page.locator(`[data-testid="order-row"][data-merchant-uid="${vbankUid}"] a`).first().click();
          await page.waitForURL(/\/orders\/\d+$/);
          await page.getByTestId('order-vbank').waitFor();
          await shoot(page, `order-${lang}-${width}.png`);
          await page.goto(`${app.url}/attention`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
          expect(overflow, `attention at ${width}px`).toBe(false);
          await shoot(page, `attention-${lang}-${width}.png`);
          if (width === 390) {
            // The navigation folds behind the menu button on a phone.
            await expect(page.locator('#main-nav').isVisible()).resolves.toBe(false);
            await page.locator('label[for="nav-toggle"]').click();
            await expect(page.locator('#main-nav').isVisible()).resolves.toBe(true);
          }
        } finally {
          await context.close();
        }
      }
    }
  });

  it('raised no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
