import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { startTestSandbox, type TestSandbox, type WirePayment } from '../integration/sandbox/harness';

/**
 * The buyer's side in Chromium: the demo shop registers the order with a (stand-in) monitor,
 * pays through IMP.request_pay and the hosted window, and lands on the monitor's m_redirect_url
 * in each PG's redirect style; webhooks reach the monitor's notice_url.
 */

type Hit = { method: string; path: string; query: URLSearchParams; body: string; auth: string | undefined };

/** Stands in for the monitor: its orders API, its redirect route and its webhook route. */
async function startFakeMonitor() {
  const hits: Hit[] = [];
  let waiters: { match: (h: Hit) => boolean; resolve: (h: Hit) => void }[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const hit: Hit = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        body,
        auth: req.headers.authorization,
      };
      hits.push(hit);
      waiters = waiters.filter((w) => (w.match(hit) ? (w.resolve(hit), false) : true));
      if (url.pathname === '/api/v1/stores/demo/orders') {
        const order = JSON.parse(body) as { merchant_uid: string; amount: number };
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            order: { merchant_uid: order.merchant_uid, expected_amount: order.amount, status: 'pending' },
            m_redirect_url: `${base}/payments/demo/complete`,
            notice_url: `${base}/webhooks/iamport/demo`,
          }),
        );
      } else if (url.pathname === '/payments/demo/complete') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>landed</title><h1>monitor redirect route</h1>');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('OK');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: base,
    hits,
    webhooks: () =>
      hits.filter((h) => h.path === '/webhooks/iamport/demo').map((h) => JSON.parse(h.body) as Record<string, string>),
    next: (match: (h: Hit) => boolean, timeoutMs = 10_000) =>
      new Promise<Hit>((resolve, reject) => {
        const already = hits.find(match);
        if (already) return resolve(already);
        const timer = setTimeout(
          () => reject(new Error('the fake monitor did not receive the expected request')),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (h) => {
            clearTimeout(timer);
            resolve(h);
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('sandbox checkout in Chromium', () => {
  let t: TestSandbox;
  let browser: Browser;
  let monitor: Awaited<ReturnType<typeof startFakeMonitor>>;
  let page: Page;

  beforeAll(async () => {
    [t, browser, monitor] = await Promise.all([startTestSandbox(), launchBrowser(), startFakeMonitor()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await monitor?.close();
  });
  beforeEach(async () => {
    await page?.close();
    page = await browser.newPage();
    t.sb.setShop({ monitorUrl: monitor.url, storeSlug: 'demo', apiKey: 'demo-store-key' });
  });

  /** Fills the demo shop and presses Pay; resolves on the PG window. */
  async function payFromShop(options: { amount: number; payMethod?: string; pg?: string; redirect?: boolean }) {
    await page.goto(`${t.url}/`);
    await page.fill('#amount', String(options.amount));
    await page.selectOption('#pay_method', options.payMethod ?? 'card');
    await page.selectOption('#pg', options.pg ?? 'kcp');
    if (options.redirect === false) await page.uncheck('#redirect');
    await page.click('#pay');
  }

  it.each([
    ['imp_success', { imp_success: 'true' }],
    ['success', { success: 'true' }],
    ['none', {}],
    ['ids_only', {}],
  ] as const)('pays in the window and lands on m_redirect_url in the %s style', async (style, flag) => {
    await payFromShop({ amount: 15000 });
    await page.waitForURL(/\/checkout\/imp_\d{12}$/);
    await expect(page.getByTestId('amount').textContent()).resolves.toBe('15,000 KRW');
    await page.selectOption('#style', style);
    await Promise.all([
      page.waitForURL(`${monitor.url}/payments/demo/complete?**`),
      page.getByTestId('outcome-paid').click(),
    ]);

    const landed = new URL(page.url());
    const order = monitor.hits.filter((h) => h.path === '/api/v1/stores/demo/orders').at(-1)!;
    expect(order.auth).toBe('Bearer demo-store-key');
    const registered = JSON.parse(order.body) as { merchant_uid: string };
    expect(registered).toMatchObject({ amount: 15000, currency: 'KRW', prepare: true });
    const query = Object.fromEntries(landed.searchParams);
    expect(query).toEqual({
      imp_uid: expect.stringMatching(/^imp_\d{12}$/),
      merchant_uid: registered.merchant_uid,
      ...flag,
    });

    // The monitor's notice_url (from its answer) gets the paid webhook.
    const hook = await monitor.next((h) => h.path === '/webhooks/iamport/demo' && h.body.includes(query.imp_uid!));
    expect(JSON.parse(hook.body)).toEqual({
      imp_uid: query.imp_uid,
      merchant_uid: registered.merchant_uid,
      status: 'paid',
    });
  });

  it('redirects a failure with the PG error code and message', async () => {
    await payFromShop({ amount: 2000 });
    await page.waitForURL(/\/checkout\/imp_\d{12}$/);
    await Promise.all([
      page.waitForURL(`${monitor.url}/payments/demo/complete?**`),
      page.getByTestId('outcome-card_refused').click(),
    ]);
    const query = new URL(page.url()).searchParams;
    expect(query.get('imp_success')).toBe('false');
    expect(query.get('error_code')).toBe('CARD_LIMIT');
    expect(query.get('error_msg')).toBe('[카드사 거절] 한도초과 또는 잔액부족');
  });

  it('issues a vbank, then a deposit: the ready and paid webhooks both arrive', async () => {
    await payFromShop({ amount: 30000, payMethod: 'vbank' });
    await page.waitForURL(/\/checkout\/imp_\d{12}$/);
    await Promise.all([
      page.waitForURL(`${monitor.url}/payments/demo/complete?**`),
      page.getByTestId('outcome-vbank_issued').click(),
    ]);
    const impUid = new URL(page.url()).searchParams.get('imp_uid')!;
    const ready = await monitor.next((h) => h.path === '/webhooks/iamport/demo' && h.body.includes(impUid));
    expect(JSON.parse(ready.body)).toMatchObject({ imp_uid: impUid, status: 'ready' });

    t.clock.advance(6 * 3600_000);
    const deposited = await t.control<WirePayment>('POST', `/payments/${impUid}/deposit`, {});
    expect(deposited).toMatchObject({ status: 'paid', pay_method: 'vbank', paid_at: t.clock.nowS() });
    const paid = await monitor.next(
      (h) => h.path === '/webhooks/iamport/demo' && h.body.includes(impUid) && h.body.includes('"paid"'),
    );
    expect(JSON.parse(paid.body)).toMatchObject({ imp_uid: impUid, status: 'paid' });
    expect(
      monitor
        .webhooks()
        .filter((w) => w.imp_uid === impUid)
        .map((w) => w.status),
    ).toEqual(['ready', 'paid']);
  });

  it('runs the callback in PC mode (no m_redirect_url) through the window overlay', async () => {
    await payFromShop({ amount: 5000, redirect: false });
    const frame = page.frameLocator('#imp-sandbox-overlay iframe');
    await frame.getByTestId('outcome-paid').click();
    await page.locator('#imp-sandbox-overlay').waitFor({ state: 'detached' });
    const result = JSON.parse((await page.getByTestId('result').textContent()) ?? '{}') as Record<string, unknown>;
    expect(result).toMatchObject({ imp_success: true, success: true, status: 'paid', paid_amount: 5000 });
    expect(result.imp_uid).toMatch(/^imp_\d{12}$/);
  });

  it('without a monitor, lands on /shop/result, which shows the query string escaped', async () => {
    t.sb.setShop(null);
    await payFromShop({ amount: 1000 });
    await page.waitForURL(/\/checkout\/imp_\d{12}$/);
    await page.fill('#error_msg', '<img src=x onerror=alert(1)>');
    await Promise.all([page.waitForURL(`${t.url}/shop/result?**`), page.getByTestId('outcome-failed').click()]);
    await expect(page.getByTestId('param-error_msg').textContent()).resolves.toBe('<img src=x onerror=alert(1)>');
    expect(await page.locator('img').count()).toBe(0);
  });
});
