import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, startReceiver, startTestSandbox, type Receiver, type TestSandbox, type WirePayment } from './harness';

let t: TestSandbox;
let hook: Receiver;
let token: string;
const SHOP = 'https://merchant.example/pay/complete?lang=ko';
const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148';

beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => t.close());
beforeEach(async () => {
  await t.control('POST', '/reset');
  hook = await startReceiver();
  await t.control('PATCH', `/merchants/${DEMO.impCode}`, { webhook_url: hook.url });
  token = await t.token();
});
afterEach(() => hook.close());

/** What iamport.js submits for IMP.request_pay(params). */
async function requestPay(params: Record<string, unknown>, impCode: string | null = DEMO.impCode) {
  return fetch(`${t.url}/checkout/start`, {
    method: 'POST',
    body: new URLSearchParams({
      payload: JSON.stringify({ imp_code: impCode, origin: 'https://merchant.example', user_agent: UA, params }),
    }),
    redirect: 'manual',
  });
}

/** Opens a window and returns its imp_uid. */
async function openWindow(params: Record<string, unknown>): Promise<string> {
  const res = await requestPay({ pay_method: 'card', amount: 1000, m_redirect_url: SHOP, ...params });
  expect(res.status).toBe(303);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/checkout\/imp_\d{12}$/);
  return location.split('/')[2]!;
}

async function press(impUid: string, form: Record<string, string>) {
  return fetch(`${t.url}/checkout/${impUid}/complete`, {
    method: 'POST',
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
}

function landing(res: Response): URL {
  expect(res.status).toBe(302);
  const url = new URL(res.headers.get('location')!);
  expect(`${url.origin}${url.pathname}`).toBe('https://merchant.example/pay/complete');
  expect(url.searchParams.get('lang')).toBe('ko');
  return url;
}

const payment = async (impUid: string) =>
  (await t.call<WirePayment>('GET', `/payments/${impUid}`, { token })).body.response;

describe('iamport.js', () => {
  it('serves IMP.init and IMP.request_pay pointing at this sandbox', async () => {
    const res = await fetch(`${t.url}/iamport.js`);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=UTF-8');
    const js = await res.text();
    expect(js).toContain('window.IMP');
    expect(js).toContain('request_pay');
    expect(js).toContain(JSON.stringify(t.url));
  });
});

describe('the payment window', () => {
  it('records a ready payment while the window is open and shows the order escaped', async () => {
    const impUid = await openWindow({
      merchant_uid: 'win-1',
      name: '<script>alert(1)</script>',
      buyer_name: '"홍"',
      amount: 12345,
    });
    const open = await payment(impUid);
    expect(open).toMatchObject({
      status: 'ready',
      amount: 12345,
      channel: 'mobile',
      user_agent: UA,
      paid_at: 0,
      name: '<script>alert(1)</script>',
    });
    const html = await (await fetch(`${t.url}/checkout/${impUid}`)).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('12,345 KRW');
    expect(html).toContain('Sandbox demo merchant');
  });

  it('pays and redirects with imp_success, then sends the paid webhook', async () => {
    const impUid = await openWindow({ merchant_uid: 'win-2' });
    const url = landing(await press(impUid, { outcome: 'paid', style: 'imp_success' }));
    expect([...url.searchParams]).toEqual([
      ['lang', 'ko'],
      ['imp_uid', impUid],
      ['merchant_uid', 'win-2'],
      ['imp_success', 'true'],
    ]);
    expect(await payment(impUid)).toMatchObject({ status: 'paid', paid_at: t.clock.nowS(), pay_method: 'card' });
    const [req] = await hook.waitFor(1);
    expect(JSON.parse(req!.body)).toEqual({ imp_uid: impUid, merchant_uid: 'win-2', status: 'paid' });
  });

  it.each([
    ['success', { success: 'false', error_code: 'F400' }, ['imp_success']],
    ['none', { error_code: 'F400' }, ['imp_success', 'success']],
    ['ids_only', { error_code: 'F400' }, ['imp_success', 'success']],
  ])('redirects a buyer cancel in the %s style', async (style, expected, absent) => {
    const impUid = await openWindow({ merchant_uid: `win-${style}`, pg: 'kcp' });
    const url = landing(await press(impUid, { outcome: 'buyer_cancel', style }));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      imp_uid: impUid,
      merchant_uid: `win-${style}`,
      ...expected,
      error_msg: '[결제포기] 사용자가 결제를 취소하셨습니다',
    });
    for (const key of absent) expect(url.searchParams.has(key)).toBe(false);
  });

  it('takes the default style from the pg (tosspayments: ids only; Inicis transfer: no flag)', async () => {
    const toss = await openWindow({ merchant_uid: 'win-toss', pg: 'tosspayments' });
    expect([...landing(await press(toss, { outcome: 'paid' })).searchParams.keys()]).toEqual([
      'lang',
      'imp_uid',
      'merchant_uid',
    ]);
    const trans = await openWindow({ merchant_uid: 'win-trans', pg: 'html5_inicis', pay_method: 'trans' });
    const url = landing(await press(trans, { outcome: 'paid' }));
    expect([...url.searchParams.keys()]).toEqual(['lang', 'imp_uid', 'merchant_uid']);
    expect(await payment(trans)).toMatchObject({
      status: 'paid',
      pay_method: 'trans',
      bank_code: '004',
      card_code: null,
    });
  });

  it('leaves a buyer cancel ready, except under html5_inicis where it fails', async () => {
    const kcp = await openWindow({ merchant_uid: 'win-3', pg: 'kcp' });
    await press(kcp, { outcome: 'buyer_cancel' });
    expect(await payment(kcp)).toMatchObject({ status: 'ready', failed_at: 0, fail_reason: null });
    const inicis = await openWindow({ merchant_uid: 'win-4', pg: 'html5_inicis.INIpayTest' });
    await press(inicis, { outcome: 'buyer_cancel' });
    expect(await payment(inicis)).toMatchObject({
      status: 'failed',
      fail_reason: '사용자가 결제를 취소함',
      failed_at: t.clock.nowS(),
      pg_id: 'INIpayTest',
    });
  });

  it('records failures with their reason, redirects the PG error, and sends no webhook', async () => {
    const failed = await openWindow({ merchant_uid: 'win-5' });
    const url = landing(await press(failed, { outcome: 'failed', error_code: 'PG-77', error_msg: '<b>거절</b>' }));
    expect(url.searchParams.get('imp_success')).toBe('false');
    expect(url.searchParams.get('error_code')).toBe('PG-77');
    expect(url.searchParams.get('error_msg')).toBe('<b>거절</b>');
    expect(await payment(failed)).toMatchObject({ status: 'failed', fail_reason: '<b>거절</b>' });
    const refused = await openWindow({ merchant_uid: 'win-6' });
    await press(refused, { outcome: 'card_refused' });
    expect(await payment(refused)).toMatchObject({
      status: 'failed',
      fail_reason: '[카드사 거절] 한도초과 또는 잔액부족',
    });
    const notOpened = await openWindow({ merchant_uid: 'win-7' });
    expect(landing(await press(notOpened, { outcome: 'window_not_opened' })).searchParams.get('error_code')).toBe(
      'PG_CONFIG',
    );
    await t.control('POST', '/tick');
    expect(hook.requests).toHaveLength(0);
  });

  it('issues a vbank: ready with the account, imp_success=true, and a ready webhook', async () => {
    const impUid = await openWindow({ merchant_uid: 'win-8', pay_method: 'vbank', vbank_due: '20261201' });
    const url = landing(await press(impUid, { outcome: 'vbank_issued' }));
    expect(url.searchParams.get('imp_success')).toBe('true');
    const p = await payment(impUid);
    expect(p).toMatchObject({
      status: 'ready',
      pay_method: 'vbank',
      vbank_issued_at: t.clock.nowS(),
      vbank_date: Date.UTC(2026, 11, 1, 14, 59, 59) / 1000,
    });
    expect(p.vbank_num).toMatch(/^\d+$/);
    const [req] = await hook.waitFor(1);
    expect(JSON.parse(req!.body).status).toBe('ready');
  });

  it('pays a different amount when the tester tampers with it', async () => {
    const impUid = await openWindow({ merchant_uid: 'win-9', amount: 42000 });
    await press(impUid, { outcome: 'paid', tampered_amount: '420' });
    expect(await payment(impUid)).toMatchObject({ status: 'paid', amount: 420 });
    expect((await press(impUid, { outcome: 'paid' })).status).toBe(409);
  });

  it('refuses a non-numeric tampered amount and an unknown outcome without closing the window', async () => {
    const impUid = await openWindow({ merchant_uid: 'win-10' });
    expect((await press(impUid, { outcome: 'paid', tampered_amount: 'free' })).status).toBe(400);
    expect((await press(impUid, { outcome: 'steal' })).status).toBe(400);
    expect((await fetch(`${t.url}/checkout/${impUid}`)).status).toBe(200);
  });
});

describe('validation before the window opens (reference §3.7, §6.1)', () => {
  it('refuses a prepared merchant_uid with another amount and still lands on m_redirect_url', async () => {
    await t.call('POST', '/payments/prepare', { token, json: { merchant_uid: 'pre-1', amount: 42000 } });
    const res = await requestPay({ merchant_uid: 'pre-1', amount: 420, m_redirect_url: SHOP });
    const url = landing(res);
    expect(url.searchParams.has('imp_uid')).toBe(false);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      merchant_uid: 'pre-1',
      imp_success: 'false',
      error_code: 'F1001',
    });
    expect((await t.call('GET', '/payments/find/pre-1', { token })).status).toBe(404);
    // The prepared amount opens the window.
    expect((await requestPay({ merchant_uid: 'pre-1', amount: 42000, m_redirect_url: SHOP })).status).toBe(303);
  });

  it('refuses a merchant_uid that was already paid with F1002', async () => {
    await t.control('POST', '/payments', { merchant_uid: 'paid-1', amount: 1000, webhook: false });
    const url = landing(await requestPay({ merchant_uid: 'paid-1', amount: 1000, m_redirect_url: SHOP }));
    expect(url.searchParams.get('error_code')).toBe('F1002');
    expect(url.searchParams.get('error_msg')).toBe('이미 결제가 이루어진 거래건입니다.');
  });

  it('refuses an unknown merchant and a bad amount', async () => {
    expect(
      landing(await requestPay({ merchant_uid: 'x', amount: 1, m_redirect_url: SHOP }, 'imp99999999')).searchParams.get(
        'error_code',
      ),
    ).toBe('F0000');
    expect(
      landing(await requestPay({ merchant_uid: 'x', amount: -5, m_redirect_url: SHOP })).searchParams.get('error_code'),
    ).toBe('F0001');
  });

  it('answers an unusable request with an HTML 400, not a crash', async () => {
    expect((await requestPay({ amount: 1, m_redirect_url: 'javascript:alert(1)' })).status).toBe(400);
    const res = await fetch(`${t.url}/checkout/start`, {
      method: 'POST',
      body: 'payload=%7Bnot-json',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('text/html');
  });
});

describe('webhook order against the redirect (reference §5.5)', () => {
  it('before_redirect: the webhook has been answered when the 302 arrives', async () => {
    const impUid = await openWindow({ merchant_uid: 'ord-1' });
    const res = await press(impUid, { outcome: 'paid', webhook: 'before_redirect' });
    expect(hook.requests).toHaveLength(1);
    landing(res);
  });

  it('after_redirect: the webhook is held until after the redirect was sent', async () => {
    const impUid = await openWindow({ merchant_uid: 'ord-2' });
    landing(await press(impUid, { outcome: 'paid', webhook: 'after_redirect' }));
    expect((await t.control<{ attempts: unknown[] }>('POST', '/tick')).attempts).toEqual([]);
    expect(hook.requests).toHaveLength(0);
    const { attempts } = await t.control<{ attempts: unknown[] }>('POST', '/advance', { seconds: 1 });
    expect(attempts).toHaveLength(1);
    expect(hook.requests).toHaveLength(1);
  });

  it('delayed and dropped from the window', async () => {
    const delayed = await openWindow({ merchant_uid: 'ord-3' });
    await press(delayed, { outcome: 'paid', webhook: 'delayed', delay_seconds: '90' });
    expect((await t.control<{ attempts: unknown[] }>('POST', '/advance', { seconds: 89 })).attempts).toEqual([]);
    expect((await t.control<{ attempts: unknown[] }>('POST', '/advance', { seconds: 1 })).attempts).toHaveLength(1);
    const dropped = await openWindow({ merchant_uid: 'ord-4' });
    await press(dropped, { outcome: 'paid', webhook: 'dropped' });
    await t.control('POST', '/advance', { seconds: 600 });
    expect(hook.requests).toHaveLength(1);
  });
});

describe('callback mode (no m_redirect_url)', () => {
  it('ends with a page that posts the callback object to the opener origin', async () => {
    const res = await requestPay({ merchant_uid: 'cb-1', amount: 1000, pg: 'kcp' });
    const impUid = res.headers.get('location')!.split('/')[2]!;
    const finish = await press(impUid, { outcome: 'paid' });
    expect(finish.status).toBe(200);
    const html = await finish.text();
    const json = /var msg=\{source:'iamport-sandbox',response:(.*?)\};/.exec(html)![1]!;
    expect(JSON.parse(json)).toMatchObject({
      success: true,
      imp_success: true,
      imp_uid: impUid,
      merchant_uid: 'cb-1',
      paid_amount: 1000,
      status: 'paid',
      error_code: null,
    });
    expect(html).toContain('postMessage(msg,"https://merchant.example")');
  });

  it('posts a refusal before the window as a failure object', async () => {
    await t.control('POST', '/payments', { merchant_uid: 'cb-2', amount: 1000, webhook: false });
    const res = await requestPay({ merchant_uid: 'cb-2', amount: 1000 });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('"error_code":"F1002"');
    expect(html).toContain('"imp_uid":null');
  });
});

describe('receipts', () => {
  it('serves a receipt page for the receipt_url', async () => {
    const p = await t.control<WirePayment>('POST', '/payments', {
      merchant_uid: 'r-1',
      amount: 1000,
      name: '<i>x</i>',
      webhook: false,
    });
    const res = await fetch(p.receipt_url as string);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(p.imp_uid);
    expect(html).not.toContain('<i>x</i>');
  });
});

describe('the demo shop', () => {
  it('shows the shop page with the demo merchant', async () => {
    const html = await (await fetch(`${t.url}/`)).text();
    expect(html).toContain('src="/iamport.js"');
    expect(html).toContain(DEMO.impCode);
    expect(html).toContain('/shop/result');
  });

  it('without a monitor, sends the buyer to /shop/result, which shows the query escaped', async () => {
    const answer = await t.call<{ merchant_uid: string; m_redirect_url: string; registered: boolean }>(
      'POST',
      '/shop/orders',
      { json: { name: '셔츠', amount: 1000 } },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.response).toMatchObject({ registered: false, m_redirect_url: `${t.url}/shop/result` });
    expect(answer.body.response.merchant_uid).toMatch(/^shop_\d{8}_[0-9a-f]{10}$/);
    const html = await (
      await fetch(`${t.url}/shop/result?imp_uid=imp_1&error_msg=${encodeURIComponent('<script>x</script>')}`)
    ).text();
    expect(html).not.toContain('<script>x</script>');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
  });

  it('refuses a bad order with a 400 envelope', async () => {
    expect((await t.call('POST', '/shop/orders', { json: { name: '', amount: 1000 } })).status).toBe(400);
    expect((await t.call('POST', '/shop/orders', { json: { name: 'x', amount: 1.5 } })).status).toBe(400);
  });

  describe('connected to a monitor', () => {
    let monitor: Server;
    let monitorUrl: string;
    let seen: { auth: string | undefined; body: Record<string, unknown>; path: string }[];
    let answer: { status: number; body: unknown };
    beforeAll(async () => {
      monitor = createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          seen.push({
            auth: req.headers.authorization,
            body: JSON.parse(raw) as Record<string, unknown>,
            path: req.url ?? '',
          });
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.body));
        });
      });
      await new Promise<void>((resolve) => monitor.listen(0, '127.0.0.1', resolve));
      monitorUrl = `http://127.0.0.1:${(monitor.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => monitor.close(() => resolve())));
    beforeEach(() => {
      seen = [];
      answer = {
        status: 201,
        body: {
          order: { status: 'pending' },
          m_redirect_url: `${monitorUrl}/payments/demo/complete`,
          notice_url: `${monitorUrl}/webhooks/iamport/demo`,
        },
      };
      t.sb.setShop({ monitorUrl, storeSlug: 'demo', apiKey: 'sk_test_123' });
    });
    afterEach(() => t.sb.setShop(null));

    it('registers the order with the store API key and pays with the URLs it answers', async () => {
      const reply = await t.call<{
        merchant_uid: string;
        m_redirect_url: string;
        notice_url: string;
        registered: boolean;
      }>('POST', '/shop/orders', { json: { name: '셔츠', amount: 25000 } });
      expect(reply.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toEqual({
        auth: 'Bearer sk_test_123',
        path: '/api/v1/stores/demo/orders',
        body: {
          merchant_uid: reply.body.response.merchant_uid,
          amount: 25000,
          currency: 'KRW',
          name: '셔츠',
          prepare: true,
        },
      });
      expect(reply.body.response).toMatchObject({
        registered: true,
        m_redirect_url: `${monitorUrl}/payments/demo/complete`,
        notice_url: `${monitorUrl}/webhooks/iamport/demo`,
      });
      const html = await (await fetch(`${t.url}/`)).text();
      expect(html).toContain('<b>demo</b>');
    });

    it('says why when the monitor refuses or answers something else', async () => {
      answer = { status: 401, body: { error: { code: 'unauthorized', message: 'bad key' } } };
      const refused = await t.call('POST', '/shop/orders', { json: { name: 'x', amount: 1000 } });
      expect(refused.status).toBe(502);
      expect(refused.body.message).toContain('HTTP 401');
      answer = { status: 200, body: { ok: true } };
      const odd = await t.call('POST', '/shop/orders', { json: { name: 'x', amount: 1000 } });
      expect(odd.status).toBe(502);
      expect(odd.body.message).toContain('not the expected shape');
    });

    it('can be set over HTTP too', async () => {
      t.sb.setShop(null);
      await t.control('PUT', '/shop', { monitorUrl, storeSlug: 'demo', apiKey: 'sk_test_123' });
      expect(
        (await t.call<{ registered: boolean }>('POST', '/shop/orders', { json: { name: 'x', amount: 1000 } })).body
          .response.registered,
      ).toBe(true);
      await t.control('PUT', '/shop', null);
      expect(
        (await t.call<{ registered: boolean }>('POST', '/shop/orders', { json: { name: 'x', amount: 1000 } })).body
          .response.registered,
      ).toBe(false);
    });
  });
});
