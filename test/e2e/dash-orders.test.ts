import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '~/auth/password.server';
import { openAppDatabase, repoRoot, startApp, type RunningApp } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';

const ADMIN = { email: 'admin@example.com', password: 'e2e admin password' };
const VIEWER = { email: 'viewer@example.com', password: 'e2e viewer password' };
const IMP_CODE = 'imp10000000';
/** `SCREENSHOTS=1 npx vitest run test/e2e/dash-orders.test.ts` refreshes docs/screenshots. */
const SCREENSHOT_DIR = process.env.SCREENSHOTS ? path.join(repoRoot, 'docs/screenshots') : null;

/**
 * The payment log, the order page and the attention queue in Chromium, against the built app
 * with its sandbox: pay in the demo shop, find the order and its timeline, lose a webhook while
 * the gateway fails and settle it from the attention queue, export CSV, and check that a viewer
 * cannot act and that script in a query string stays text.
 */
describe('payment log and attention queue in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let sandboxUrl: string;
  let admin: { context: BrowserContext; page: Page };
  const cspViolations: string[] = [];
  let paidUid = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startApp({ env: { SANDBOX: 'on', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'info' } }),
      launchBrowser(),
    ]);
    const listening = JSON.parse(app.lines.find((l) => l.includes('"msg":"listening"'))!) as { sandbox: string };
    sandboxUrl = listening.sandbox;
    admin = await signedIn(ADMIN);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    app?.cleanup();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to (execute|load|apply)/i.test(message.text()))
        cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    return { context, page };
  }

  async function signedIn(who: { email: string; password: string }) {
    const session = await newPage();
    const { page } = session;
    await page.goto(`${app.url}/login`);
    await page.waitForFunction(() => '__remixRouter' in window);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
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

  /** Buys in the sandbox's demo shop; answers the merchant_uid once the buyer left the PG window. */
  async function payInDemoShop(options: {
    amount: number;
    buyer: string;
    style?: string;
    webhook?: string;
    whileInWindow?: () => Promise<void>;
  }) {
    const { context, page } = await newPage();
    try {
      await page.goto(`${sandboxUrl}/`);
      await page.fill('#amount', String(options.amount));
      await page.fill('#buyer_name', options.buyer);
      await page.selectOption('#pay_method', 'card');
      await page.click('#pay');
      await page.waitForURL(/\/checkout\/imp_\d{12}$/);
      const merchantUid = (await page
        .locator('dt', { hasText: '주문번호' })
        .locator('xpath=following-sibling::dd[1]')
        .textContent())!.trim();
      await page.selectOption('#style', options.style ?? 'imp_success');
      await page.selectOption('#webhook', options.webhook ?? 'on_time');
      await options.whileInWindow?.();
      await Promise.all([page.waitForURL(`${app.url}/payments/demo/**`), page.getByTestId('outcome-paid').click()]);
      return merchantUid;
    } finally {
      // The "confirming" page refreshes itself; closing it keeps the test in charge of re-checks.
      await context.close();
    }
  }

  async function orderIdOf(page: Page, merchantUid: string): Promise<string> {
    await page.goto(`${app.url}/orders?q=${encodeURIComponent(merchantUid)}`);
    const row = page.locator(`[data-testid="order-row"][data-merchant-uid="${merchantUid}"]`);
    await row.waitFor();
    return (await row.getAttribute('data-order-id'))!;
  }

  async function shoot(page: Page, name: string) {
    if (!SCREENSHOT_DIR) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
  }

  it('explains an empty log and an empty queue', async () => {
    const { page } = admin;
    await page.goto(`${app.url}/orders`);
    await expect(page.getByRole('heading', { name: 'No payments yet' }).count()).resolves.toBe(1);
    await page.goto(`${app.url}/attention`);
    await expect(page.getByRole('heading', { name: 'Nothing needs attention' }).count()).resolves.toBe(1);
  });

  it('a payment from the demo shop shows as paid in the log, with its timeline', async () => {
    const merchantUid = await payInDemoShop({ amount: 15000, buyer: 'Kim Haneul' });
    paidUid = merchantUid;
    const { page } = admin;
    await page.goto(`${app.url}/orders`);
    const row = page.locator(`[data-testid="order-row"][data-merchant-uid="${merchantUid}"]`);
    await row.waitFor();
    await expect(row.locator('[data-status]').getAttribute('data-status')).resolves.toBe('paid');
    await expect(row.textContent()).resolves.toContain('Kim Haneul');

    await row.getByRole('link', { name: merchantUid }).click();
    await page.waitForURL(/\/orders\/\d+$/);
    await expect(page.getByTestId('order-status').locator('[data-status]').getAttribute('data-status')).resolves.toBe(
      'paid',
    );
    await expect(page.getByTestId('expected-amount').textContent()).resolves.toContain('15,000');
    await expect(page.getByTestId('paid-amount').textContent()).resolves.toContain('15,000');
    const timeline = page.getByTestId('timeline');
    await expect(timeline.locator('[data-kind="redirect_hit"]').count()).resolves.toBe(1);
    await expect(timeline.locator('[data-kind="verification"]').count()).resolves.toBeGreaterThan(0);
    // The webhook is verified from the durable queue: it appears once the worker got to it.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId('timeline').locator('[data-kind="webhook_delivery"]').count();
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    // Raw evidence: the gateway's JSON pretty-printed, the query string exactly as received.
    await page.locator('[data-kind="gateway_check"] summary').first().click();
    const json = (await page.getByTestId('raw-gateway-json').first().textContent())!;
    expect(json).toContain(`\n  `);
    expect(json).toContain(merchantUid);
    await page.locator('[data-kind="redirect_hit"] summary').click();
    await expect(page.getByTestId('raw-query').textContent()).resolves.toContain(`merchant_uid=${merchantUid}`);
    await shoot(page, 'order.png');
  });

  it('finds the payment by buyer email from the filter form, with the total above the table', async () => {
    const { page } = admin;
    await page.goto(`${app.url}/orders`);
    await page.waitForFunction(() => '__remixRouter' in window);
    // The demo shop sends buyer@example.com; the search folds ASCII case.
    await page.fill('#filter-q', 'BUYER@EXAMPLE');
    await page.selectOption('#filter-field', 'email');
    await Promise.all([page.waitForURL(/field=email/), page.getByRole('button', { name: 'Apply' }).click()]);
    expect(new URL(page.url()).searchParams.get('q')).toBe('BUYER@EXAMPLE');
    await page.locator(`[data-testid="order-row"][data-merchant-uid="${paidUid}"]`).waitFor();
    const rows = await page.getByTestId('order-row').count();
    await expect(page.getByTestId('log-total').textContent()).resolves.toBe(`Orders: ${rows}`);
    // The default kind stays out of the URL.
    await page.selectOption('#filter-field', 'id');
    await page.fill('#filter-q', paidUid);
    await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Apply' }).click()]);
    await page.waitForURL((url) => url.searchParams.get('q') === paidUid && !url.searchParams.has('field'));
  });

  it('a lost webhook while the gateway failed lands in the attention queue; re-check settles it', async () => {
    const merchantUid = await payInDemoShop({
      amount: 8000,
      buyer: 'Park Bogum',
      style: 'none',
      webhook: 'dropped',
      // The gateway fails exactly when the buyer comes back: nothing can verify the payment.
      whileInWindow: () => control('PUT', `merchants/${IMP_CODE}/faults`, { status: 500 }),
    });
    await control('DELETE', `merchants/${IMP_CODE}/faults`);

    const { page } = admin;
    await page.goto(`${app.url}/attention`);
    const group = page.getByTestId('group-unverified');
    await group.waitFor();
    const row = group.locator(`[data-testid="attention-row"][data-merchant-uid="${merchantUid}"]`);
    await expect(row.count()).resolves.toBe(1);
    await expect(
      page.getByTestId('group-missing_flag').locator(`[data-merchant-uid="${merchantUid}"]`).count(),
    ).resolves.toBe(1);
    await expect(row.textContent()).resolves.toMatch(/\d{4}-\d{2}-\d{2},? \d{2}:\d{2}/);
    await shoot(page, 'attention.png');

    await row.getByRole('button', { name: 'Re-check now' }).click();
    const flash = page.getByTestId('flash');
    await flash.waitFor();
    await expect(flash.textContent()).resolves.toContain(`Re-checked ${merchantUid}: settled, nothing open.`);
    await expect(
      page.locator(`[data-testid="attention-row"][data-merchant-uid="${merchantUid}"]`).count(),
    ).resolves.toBe(0);

    const orderId = await orderIdOf(page, merchantUid);
    await page.goto(`${app.url}/orders/${orderId}`);
    await expect(page.getByTestId('order-status').locator('[data-status]').getAttribute('data-status')).resolves.toBe(
      'paid',
    );
    await expect(page.getByTestId('resolved-reasons').locator('li[data-reason]').count()).resolves.toBe(2);
    await expect(page.getByTestId('open-reasons').count()).resolves.toBe(0);
    await expect(
      page.getByTestId('timeline').locator('[data-kind="operator_action"]').textContent(),
    ).resolves.toContain(ADMIN.email);
  });

  it('the CSV export holds exactly the filtered list', async () => {
    await payInDemoShop({ amount: 1000, buyer: 'CSV Kim' });
    const { page } = admin;
    await page.goto(`${app.url}/orders`);
    await page.getByLabel('Status').selectOption('paid');
    await page.getByLabel('Sort by').selectOption('amount');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=paid/);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('amount');
    const shown = await page
      .locator('[data-testid="order-row"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-merchant-uid')));
    expect(shown.length).toBeGreaterThanOrEqual(3);
    await shoot(page, 'log.png');

    const href = (await page.getByTestId('export-csv').getAttribute('href'))!;
    expect(href).toBe('/orders/export.csv?status=paid&sort=amount');
    const response = await admin.context.request.get(`${app.url}${href}`);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const lines = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.body()).split('\r\n');
    expect(lines[0]).toMatch(/^\uFEFFid,store,merchant_uid,/);
    const uids = lines.slice(1, -1).map((l) => l.split(',')[2]);
    expect(uids).toEqual(shown);
  });

  it('a viewer sees no action buttons, and the server refuses them anyway', async () => {
    const handle = await openAppDatabase(app.dataDir);
    try {
      const at = new Date().toISOString();
      await handle.db
        .insertInto('user')
        .values({
          email: VIEWER.email,
          role: 'viewer',
          password_hash: await hashPassword(VIEWER.password, { N: 1024, r: 8, p: 1, keyLength: 32 }),
          disabled_at: null,
          last_sign_in_at: null,
          created_at: at,
          updated_at: at,
        })
        .execute();
    } finally {
      await handle.close();
    }
    await admin.page.goto(`${app.url}/orders?status=paid`);
    const orderId = (await admin.page.locator('[data-testid="order-row"]').first().getAttribute('data-order-id'))!;
    const { context, page } = await signedIn(VIEWER);
    try {
      await page.goto(`${app.url}/orders/${orderId}`);
      await page.getByTestId('order-actions').waitFor();
      await expect(page.getByRole('button', { name: 'Re-check now' }).count()).resolves.toBe(0);
      await expect(page.getByTestId('cancel-form').count()).resolves.toBe(0);
      await expect(page.getByTestId('order-actions').textContent()).resolves.toContain(
        'Your role can read but not change orders.',
      );
      await page.goto(`${app.url}/attention`);
      await expect(page.locator('input[name="sel"]').count()).resolves.toBe(0);

      const token = await page.locator('input[name="_csrf"]').first().inputValue();
      const forged = await context.request.post(`${app.url}/orders/${orderId}`, {
        form: { _csrf: token, intent: 'recheck' },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
      const cancel = await context.request.post(`${app.url}/orders/${orderId}`, {
        form: { _csrf: token, intent: 'cancel', reason: 'viewer tries', confirm: 'yes' },
        maxRedirects: 0,
      });
      expect(cancel.status()).toBe(403);
      const bulk = await context.request.post(`${app.url}/attention`, {
        form: { _csrf: token, one: orderId },
        maxRedirects: 0,
      });
      expect(bulk.status()).toBe(403);
    } finally {
      await context.close();
    }
  });

  it('shows a script-laden query string as text on the order page', async () => {
    const merchantUid = await payInDemoShop({ amount: 2000, buyer: 'Mallory' });
    const { page } = admin;
    const orderId = await orderIdOf(page, merchantUid);
    const impUid = (await page.locator(`[data-merchant-uid="${merchantUid}"]`).getAttribute('data-imp-uid'))!;
    expect(impUid).toMatch(/^imp_\d{12}$/);
    // Sent byte for byte (fetch would percent-encode the brackets).
    const payload = `<script>document.title='pwned';window.__pwned=1</script><img/src=x/onerror=window.__pwned=2>`;
    const status = await rawGet(
      `${app.url}/payments/demo/complete?imp_uid=${impUid}&merchant_uid=${merchantUid}&imp_success=false&error_msg=${payload}`,
    );
    expect(status).toBeLessThan(500);

    await page.goto(`${app.url}/orders/${orderId}`);
    const hits = page.locator('[data-kind="redirect_hit"]');
    await expect(hits.count()).resolves.toBe(2);
    await hits.nth(1).locator('summary').click();
    await expect(hits.nth(1).getByTestId('raw-query').textContent()).resolves.toContain(payload);
    await expect(hits.nth(1).locator('td', { hasText: '<script>' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('main script, main img[src="x"]').count()).resolves.toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.title()).not.toBe('pwned');
  });

  it('saw no CSP violation and no page error', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

/** A GET whose request target is sent exactly as given (no URL normalisation). */
function rawGet(url: string): Promise<number> {
  const at = url.indexOf('/', url.indexOf('//') + 2);
  const origin = new URL(url.slice(0, at));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: origin.hostname, port: origin.port, path: url.slice(at), method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
