import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver';

const ADMIN = { email: 'admin@alerts.test', password: 'alerts-admin-password' };
const OPERATOR = { email: 'op@alerts.test', password: 'alerts-operator-password' };

/**
 * Alerts end to end in Chromium: an admin adds an email channel and sends a test, turns the
 * mismatch rule on for the demo store; a buyer tampers with the amount in the demo shop's
 * payment window; the email arrives at a real SMTP server; an operator acknowledges the incident.
 */
describe('alerts in Chromium', { timeout: 180_000 }, () => {
  let app: RunningApp;
  let browser: Browser;
  let smtp: SmtpReceiver;
  let sandboxUrl: string;
  const sessions: BrowserContext[] = [];
  let orderLink: { url: string; orderId: string; merchantUid: string } | null = null;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    [app, browser] = await Promise.all([
      startApp({
        env: { SANDBOX: 'on', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'info' },
        timeoutMs: 60_000,
      }),
      launchBrowser(),
    ]);
    sandboxUrl = (JSON.parse(app.lines.find((l) => l.includes('"msg":"listening"'))!) as { sandbox: string }).sandbox;
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => {});
    await browser?.close();
    await app?.stop();
    app?.cleanup();
    await smtp?.close();
  });

  async function signedIn(who: { email: string; password: string }): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
    sessions.push(context);
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await page.waitForFunction(() => '__remixRouter' in window);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/`);
    return page;
  }

  it('admin: creates an email channel, sends a test, turns on the mismatch rule for the demo store', async () => {
    const page = await signedIn(ADMIN);
    await page.goto(`${app.url}/alerts`);
    expect(await page.locator('a[href="/alerts"]').count()).toBeGreaterThan(0);
    await page.goto(`${app.url}/alerts/channels`);
    await page.waitForFunction(() => '__remixRouter' in window);
    const form = page.getByTestId('channel-form');
    await form.getByLabel('Name').fill('Ops mail');
    await form.getByLabel('SMTP host').fill('127.0.0.1');
    await form.getByLabel('SMTP port').fill(String(smtp.port));
    await form.getByLabel('TLS', { exact: true }).selectOption('none');
    await form.getByLabel('From', { exact: true }).fill('monitor@alerts.test');
    await form.getByLabel('Recipients (comma or space separated)').fill('ops@alerts.test');
    await form.getByLabel('Language of the messages').selectOption('ko');
    await form.getByLabel('From severity').selectOption('warning');
    await form.getByLabel('Grouping interval (seconds)').fill('0');
    await form.getByTestId('create-channel').click();
    const row = page.locator('[data-testid="channel-row"][data-name="Ops mail"]');
    await row.waitFor();

    await row.getByTestId('send-test').click();
    const result = page.getByTestId('test-result');
    await result.waitFor();
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toMatch(/Test delivered: 250/);
    const [test] = await smtp.waitFor(1);
    expect(test!.subject).toBe('아임포트 결제 모니터의 테스트 메시지');
    expect(test!.to).toEqual(['ops@alerts.test']);

    await page.goto(`${app.url}/alerts/rules?store=demo`);
    await page.waitForFunction(() => '__remixRouter' in window);
    // Off first (as a store might have it), then on again: the switch is what this page is for.
    await page.getByTestId('on-amount_mismatch').uncheck();
    await page.getByTestId('save-rules').click();
    await page.locator('[data-rule="amount_mismatch"][data-enabled="false"]').waitFor();
    await page.getByTestId('on-amount_mismatch').check();
    await page.getByTestId('save-rules').click();
    await page.locator('[data-rule="amount_mismatch"][data-enabled="true"]').waitFor();

    // An operator to acknowledge later.
    await page.goto(`${app.url}/users`);
    await page.waitForFunction(() => '__remixRouter' in window);
    const userForm = page.getByTestId('create-user-form');
    await userForm.getByLabel('Email').fill(OPERATOR.email);
    await userForm.getByLabel('Role').selectOption('operator');
    await userForm.getByLabel('Initial password').fill(OPERATOR.password);
    await userForm.getByRole('button').click();
    await page.getByText(`User ${OPERATOR.email} added.`).waitFor();
  });

  it('a tampered payment in the demo shop emails the ops team', async () => {
    const context = await browser.newContext({ locale: 'ko-KR' });
    sessions.push(context);
    const page = await context.newPage();
    await page.goto(`${sandboxUrl}/`);
    await page.fill('#amount', '15000');
    await page.fill('#buyer_name', '홍길동');
    await page.selectOption('#pay_method', 'card');
    await page.click('#pay');
    await page.waitForURL(/\/checkout\/imp_\d{12}$/);
    const merchantUid = (await page
      .locator('dt', { hasText: '주문번호' })
      .locator('xpath=following-sibling::dd[1]')
      .textContent())!.trim();
    await page.fill('#tampered_amount', '150');
    await Promise.all([page.waitForURL(`${app.url}/payments/demo/**`), page.getByTestId('outcome-paid').click()]);

    // The buyer is back at the monitor; the webhook and its verification follow asynchronously.
    const mails = await smtp.waitFor(2, 30_000);
    const mail = mails.find((m) => m.subject.includes(merchantUid));
    expect(mail, mails.map((m) => m.subject).join('\n')).toBeDefined();
    expect(mail!.subject).toBe(`[심각] 금액 불일치 · Demo store (sandbox) · ${merchantUid}`);
    expect(mail!.to).toEqual(['ops@alerts.test']);
    expect(mail!.text).toContain(`주문: ${merchantUid}`);
    expect(mail!.text).toContain('주문 금액: ₩15,000');
    expect(mail!.text).toContain('결제사 결제 금액: ₩150');
    const link = /주문 페이지: (http:\/\/\S+\/orders\/(\d+))/.exec(mail!.text);
    expect(link, mail!.text).not.toBeNull();
    orderLink = { url: link![1]!, orderId: link![2]!, merchantUid };
    expect(new URL(orderLink.url).port).toBe(String(app.port));
  });

  it('operator: sees the incident on the overview and acknowledges it', async () => {
    const page = await signedIn(OPERATOR);
    const card = page.getByTestId('open-incidents');
    await card.waitFor();
    expect(await card.getAttribute('data-count')).toBe('1');
    await card.getByRole('link', { name: /Amount mismatch/ }).click();
    await page.waitForURL(/\/alerts\/incidents\/\d+$/);
    await page.waitForFunction(() => '__remixRouter' in window);
    expect(await page.getByTestId('incident-facts').getAttribute('data-state')).toBe('open');
    const attempts = page.getByTestId('attempt-row');
    expect(await attempts.count()).toBe(1);
    expect(await attempts.first().getAttribute('data-ok')).toBe('true');
    await page.getByLabel('Note').fill('Calling the buyer about the amount');
    await page.getByTestId('acknowledge').click();
    await page.locator('[data-testid="incident-facts"][data-state="acknowledged"]').waitFor();
    expect(await page.getByTestId('acknowledged').textContent()).toContain(OPERATOR.email);
    // The email's order link is this order's page (on the address the app was reached at).
    await page.goto(`${app.url}${new URL(orderLink!.url).pathname}`);
    await page.getByText(orderLink!.merchantUid).first().waitFor();
    const row = await page.goto(`${app.url}/orders?q=${encodeURIComponent(orderLink!.merchantUid)}`);
    expect(row?.status()).toBe(200);
    expect(
      await page
        .locator(`[data-testid="order-row"][data-merchant-uid="${orderLink!.merchantUid}"]`)
        .getAttribute('data-order-id'),
    ).toBe(orderLink!.orderId);
    // Operators cannot manage channels: no form, no test button.
    await page.goto(`${app.url}/alerts/channels`);
    expect(await page.getByTestId('channel-form').count()).toBe(0);
    expect(await page.getByTestId('send-test').count()).toBe(0);
  });
});
