import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as ordersApi from '~/routes/api.v1.stores.$store.orders';
import * as newStorePage from '~/routes/_dash.stores.new';
import * as storePage from '~/routes/_dash.stores.$slug';
import * as storesList from '~/routes/_dash.stores._index';
import * as completePage from '~/routes/payments.$store.complete';
import * as resultPage from '~/routes/payments.$store.result';
import * as webhookRoute from '~/routes/webhooks.iamport.$store';
import { createStore } from '~/monitor/stores/stores.server';
import {
  callRoute,
  createAuthHarness,
  errorOf,
  makeRequest,
  ORIGIN,
  type AuthHarness,
  type TestUser,
} from '../../../helpers/auth';
import { closedPort } from '../../../helpers/monitor';
import { startTestSandbox, type SandboxMerchant, type TestSandbox } from '../../iamport/sandbox-harness';

/**
 * The stores pages through their loaders and actions: create/edit with field errors, the secret
 * never leaving the server, roles and CSRF refused on the server, key rotation against the orders
 * API, and "test connection" against the sandbox and a closed port.
 */

const SECRET = 'super-secret-value-ABC';

const validForm = (overrides: Record<string, string> = {}) => ({
  intent: 'create',
  slug: 'shop',
  name: 'My Shop',
  impCode: 'imp12345678',
  impKey: 'key-123',
  impSecret: SECRET,
  apiBaseUrl: 'https://api.iamport.kr',
  landingSuccessUrl: 'https://shop.example/done',
  landingFailureUrl: '',
  landingPendingUrl: '',
  webhookIpPolicy: 'log',
  mismatchPolicy: 'flag',
  webhookGraceSeconds: '600',
  stalePendingSeconds: '1800',
  ...overrides,
});

describe('stores pages', () => {
  let h: AuthHarness;
  let admin: TestUser;
  let operator: TestUser;
  let viewer: TestUser;
  let sessions: Record<string, { cookie: string; csrf: string }>;

  beforeEach(async () => {
    h = await createAuthHarness();
    admin = await h.addUser('admin@example.com', 'admin');
    operator = await h.addUser('op@example.com', 'operator');
    viewer = await h.addUser('viewer@example.com', 'viewer');
    sessions = {
      admin: await h.sessionFor(admin),
      operator: await h.sessionFor(operator),
      viewer: await h.sessionFor(viewer),
    };
  });
  afterEach(() => h.close());

  function post(who: 'admin' | 'operator' | 'viewer', slug: string, form: Record<string, string>, csrf?: string) {
    const s = sessions[who]!;
    const request = makeRequest(`/stores/${slug}`, { cookie: s.cookie, form: { _csrf: csrf ?? s.csrf, ...form } });
    // As the router does: `/stores/new` is its own route, any other slug is a store's page.
    if (slug === 'new') return callRoute(newStorePage.action, request, {}, h.context(request));
    return callRoute(storePage.action, request, { slug }, h.context(request));
  }
  function get(
    who: 'admin' | 'operator' | 'viewer',
    path: string,
    params: Record<string, string>,
    module: { loader: typeof storePage.loader | typeof newStorePage.loader | typeof storesList.loader },
  ) {
    const request = makeRequest(path, { cookie: sessions[who]!.cookie });
    return callRoute(module.loader, request, params, h.context(request));
  }
  const audit = () =>
    h.t.db.selectFrom('audit_event').selectAll().where('action', 'like', 'store.%').orderBy('id').execute();

  it('refuses a bad form field by field (400), echoes it without the secret, and writes nothing', async () => {
    const response = await post(
      'admin',
      'new',
      validForm({
        slug: 'Bad Slug',
        impCode: 'imp123',
        apiBaseUrl: 'javascript:alert(1)',
        landingFailureUrl: 'ftp://x.example/',
        webhookGraceSeconds: '-5',
        stalePendingSeconds: 'soon',
        mismatchPolicy: 'refund',
      }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      intent: string;
      errors: Record<string, string>;
      values: Record<string, string>;
    };
    expect(body.errors).toEqual({
      slug: 'invalid',
      impCode: 'invalid',
      apiBaseUrl: 'invalid',
      landingFailureUrl: 'invalid',
      webhookGraceSeconds: 'invalid',
      stalePendingSeconds: 'invalid',
      mismatchPolicy: 'invalid',
    });
    expect(body.values).toMatchObject({ slug: 'Bad Slug', name: 'My Shop' });
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(await h.t.db.selectFrom('store').selectAll().execute()).toHaveLength(0);
    expect(await audit()).toHaveLength(0);

    const reserved = await post('admin', 'new', validForm({ slug: 'new', name: '' }));
    expect(((await reserved.json()) as { errors: object }).errors).toEqual({ slug: 'invalid', name: 'invalid' });
  });

  it('creates a store: the API key once in the answer, the URLs to paste, an audit event without secrets; a second one with the slug is refused', async () => {
    const response = await post('admin', 'new', validForm());
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      intent: string;
      slug: string;
      apiKey: string;
      urls: { m_redirect_url: string; notice_url: string };
    };
    expect(body.intent).toBe('created');
    expect(body.apiKey).toMatch(/^sk_[0-9a-f]{40}$/);
    expect(body.urls).toEqual({
      m_redirect_url: `${ORIGIN}/payments/shop/complete`,
      notice_url: `${ORIGIN}/webhooks/iamport/shop`,
    });

    const row = await h.t.db.selectFrom('store').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      slug: 'shop',
      imp_code: 'imp12345678',
      landing_success_url: 'https://shop.example/done',
      landing_failure_url: null,
      webhook_grace_seconds: 600,
    });
    expect(row.imp_secret_enc).not.toContain(SECRET);
    const events = await audit();
    expect(events).toMatchObject([
      { action: 'store.create', actor_user_id: admin.id, target_type: 'store', target_id: 'shop', ip: '198.51.100.7' },
    ]);
    for (const e of events)
      expect(`${e.before_json}${e.after_json}`).not.toMatch(new RegExp(`${SECRET}|${body.apiKey}|${row.api_key_hash}`));

    const again = await post('admin', 'new', validForm({ name: 'Other' }));
    expect(again.status).toBe(400);
    expect(((await again.json()) as { errors: object }).errors).toEqual({ slug: 'taken' });
  });

  it('shows every setting but never the secret, with PUBLIC_URL in the URLs when set', async () => {
    await createStore({ db: h.t.db, now: h.clock.now, appSecret: h.config.appSecret }, {
      ...validForm(),
      landingSuccessUrl: null,
      landingFailureUrl: null,
      landingPendingUrl: null,
      webhookGraceSeconds: 600,
      stalePendingSeconds: 1800,
    } as never);
    const page = await get('viewer', '/stores/shop', { slug: 'shop' }, storePage);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('imp_secret_enc');
    expect(text).not.toContain('secretSealed');
    const view = JSON.parse(text) as {
      store: { impKey: string; urls: { m_redirect_url: string } };
      canManage: boolean;
      canTest: boolean;
    };
    expect(view).toMatchObject({
      store: { impKey: 'key-123', urls: { m_redirect_url: `${ORIGIN}/payments/shop/complete` } },
      canManage: false,
      canTest: false,
    });

    const list = await get('viewer', '/stores', {}, storesList);
    expect(JSON.stringify(await list.json())).not.toContain(SECRET);
    expect((await get('viewer', '/stores/nope', { slug: 'nope' }, storePage)).status).toBe(404);

    const withPublic = await createAuthHarness({ PUBLIC_URL: 'https://pay.example.com/' });
    try {
      await createStore({ db: withPublic.t.db, now: withPublic.clock.now, appSecret: withPublic.config.appSecret }, {
        ...validForm(),
      } as never);
      const u = await withPublic.addUser('a@example.com', 'admin');
      const s = await withPublic.sessionFor(u);
      const request = makeRequest('/stores/shop', { cookie: s.cookie });
      const answer = (await (
        await callRoute(storePage.loader, request, { slug: 'shop' }, withPublic.context(request))
      ).json()) as { store: { urls: object }; fromConfig: boolean };
      expect(answer).toMatchObject({
        fromConfig: true,
        store: {
          urls: {
            m_redirect_url: 'https://pay.example.com/payments/shop/complete',
            notice_url: 'https://pay.example.com/webhooks/iamport/shop',
          },
        },
      });
    } finally {
      await withPublic.close();
    }
  });

  it('edits settings: a blank secret keeps it, the audit holds only what changed, a bad field is refused', async () => {
    await post('admin', 'new', validForm());
    h.clock.advance(60_000);
    const saved = await post('admin', 'shop', {
      ...validForm({ intent: 'update', impSecret: '', webhookGraceSeconds: '900', landingSuccessUrl: '' }),
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/stores/shop');
    const row = await h.t.db.selectFrom('store').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      webhook_grace_seconds: 900,
      landing_success_url: null,
      updated_at: '2026-11-24T09:01:00.000Z',
    });
    const { decryptSecret } = await import('~/monitor/stores/secrets.server');
    expect(decryptSecret(row.imp_secret_enc, h.config.appSecret)).toBe(SECRET);
    const update = (await audit()).at(-1)!;
    expect(update.action).toBe('store.update');
    expect(JSON.parse(update.before_json!)).toEqual({
      landingSuccessUrl: 'https://shop.example/done',
      webhookGraceSeconds: 600,
    });
    expect(JSON.parse(update.after_json!)).toEqual({ landingSuccessUrl: null, webhookGraceSeconds: 900 });

    await post('admin', 'shop', { ...validForm({ intent: 'update', impSecret: 'a-new-secret' }) });
    const secretChange = (await audit()).at(-1)!;
    expect(JSON.parse(secretChange.after_json!)).toEqual({
      landingSuccessUrl: 'https://shop.example/done',
      webhookGraceSeconds: 600,
      impSecret: '(new secret)',
    });
    expect(`${secretChange.before_json}${secretChange.after_json}`).not.toMatch(/a-new-secret|super-secret/);

    const bad = await post('admin', 'shop', {
      ...validForm({ intent: 'update', landingPendingUrl: 'javascript:alert(1)' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: object }).errors).toEqual({ landingPendingUrl: 'invalid' });
  });

  it('refuses weaker roles on the server (403) and forms without a valid CSRF token', async () => {
    await post('admin', 'new', validForm());
    expect((await get('viewer', '/stores/new', {}, newStorePage)).status).toBe(403);
    const viewerUpdate = await post('viewer', 'shop', validForm({ intent: 'update' }));
    expect(viewerUpdate.status).toBe(403);
    expect(await errorOf(viewerUpdate)).toMatchObject({ code: 'forbidden', reason: 'role' });
    const operatorRotate = await post('operator', 'shop', { intent: 'rotate', confirm: 'yes' });
    expect(operatorRotate.status).toBe(403);
    expect(await errorOf(operatorRotate)).toMatchObject({ reason: 'role', required: 'admin' });
    expect((await post('operator', 'new', validForm({ slug: 'other' }))).status).toBe(403);
    expect((await post('viewer', 'shop', { intent: 'test' })).status).toBe(403);

    const missing = await post('admin', 'shop', { intent: 'rotate' }, '');
    expect(missing.status).toBe(403);
    expect(await errorOf(missing)).toMatchObject({ reason: 'csrf_missing' });
    const forged = await post('admin', 'shop', { intent: 'rotate' }, sessions.operator!.csrf);
    expect(await errorOf(forged)).toMatchObject({ reason: 'csrf_invalid' });
    expect((await audit()).map((e) => e.action)).toEqual(['store.create']);
  });

  it('rotates the store API key: the old key stops working on the orders API, the new one works, shown once', async () => {
    const created = (await (await post('admin', 'new', validForm())).json()) as { apiKey: string };
    const register = (key: string, uid: string) => {
      const request = new Request(`${ORIGIN}/api/v1/stores/shop/orders`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ merchant_uid: uid, amount: 1000 }),
      });
      return callRoute(ordersApi.action, request, { store: 'shop' }, h.context(request));
    };
    expect((await register(created.apiKey, 'o-1')).status).toBe(201);

    const rotated = await post('admin', 'shop', { intent: 'rotate', confirm: 'yes' });
    expect(rotated.status).toBe(200);
    const { apiKey, apiKeyPrefix } = (await rotated.json()) as { apiKey: string; apiKeyPrefix: string };
    expect(apiKey).not.toBe(created.apiKey);
    expect(apiKey.startsWith(apiKeyPrefix)).toBe(true);

    expect((await register(created.apiKey, 'o-2')).status).toBe(401);
    expect((await register(apiKey, 'o-2')).status).toBe(201);
    const event = (await audit()).at(-1)!;
    expect(event).toMatchObject({ action: 'store.rotate_key', target_id: 'shop' });
    expect(`${event.before_json}${event.after_json}`).not.toContain(apiKey);
    // The page after the rotation shows the prefix only.
    expect(await (await get('admin', '/stores/shop', { slug: 'shop' }, storePage)).text()).not.toContain(apiKey);
  });

  it('warns, naming the other store, when the merchant code or REST key is already used (create and page)', async () => {
    await post('admin', 'new', validForm());
    const second = await post('admin', 'new', validForm({ slug: 'brand-b', name: 'Brand B', impKey: 'key-other' }));
    expect(second.status).toBe(200);
    const created = (await second.json()) as { warnings: unknown };
    expect(created.warnings).toEqual([{ field: 'impCode', stores: [{ slug: 'shop', name: 'My Shop' }] }]);
    // The store's own page says it on every visit, both ways round.
    const page = (await (await get('operator', '/stores/shop', { slug: 'shop' }, storePage)).json()) as {
      warnings: unknown;
    };
    expect(page.warnings).toEqual([{ field: 'impCode', stores: [{ slug: 'brand-b', name: 'Brand B' }] }]);
    // Editing brand B onto the same REST key too: both fields are named.
    await post('admin', 'brand-b', { ...validForm({ name: 'Brand B' }), intent: 'update', impSecret: '' });
    const both = (await (await get('admin', '/stores/brand-b', { slug: 'brand-b' }, storePage)).json()) as {
      warnings: { field: string }[];
    };
    expect(both.warnings.map((w) => w.field)).toEqual(['impCode', 'impKey']);
    // A store alone on its code: no warning.
    await post('admin', 'new', validForm({ slug: 'alone', impCode: 'imp99999999', impKey: 'key-alone' }));
    const alone = (await (await get('admin', '/stores/alone', { slug: 'alone' }, storePage)).json()) as {
      warnings: unknown[];
    };
    expect(alone.warnings).toEqual([]);
  });

  it('archives and unarchives from the store page (admin only): public routes answer 410, the page and list say so', async () => {
    const created = (await (await post('admin', 'new', validForm())).json()) as { apiKey: string };
    expect((await post('operator', 'shop', { intent: 'archive', confirm: 'yes' })).status).toBe(403);

    const archived = await post('admin', 'shop', { intent: 'archive', confirm: 'yes' });
    expect(archived.status).toBe(303);
    expect(archived.headers.get('location')).toBe('/stores/shop');
    const page = (await (await get('viewer', '/stores/shop', { slug: 'shop' }, storePage)).json()) as {
      store: { archivedAt: string | null; archivedBy: string | null };
    };
    expect(page.store).toMatchObject({ archivedAt: h.clock.now().toISOString(), archivedBy: 'admin@example.com' });
    const list = (await (await get('viewer', '/stores', {}, storesList)).json()) as {
      stores: { slug: string; archivedAt: string | null }[];
    };
    expect(list.stores.find((s) => s.slug === 'shop')?.archivedAt).not.toBeNull();

    const redirect = makeRequest('/payments/shop/complete?imp_uid=imp_1&merchant_uid=o-1&imp_success=true');
    const redirected = await callRoute(completePage.loader, redirect, { store: 'shop' }, h.context(redirect));
    expect(redirected.status).toBe(410);
    expect(await redirected.json()).toEqual({ kind: 'error', message: 'buyer.error.storeArchived' });

    const result = makeRequest('/payments/shop/result?merchant_uid=o-1');
    const shown = await callRoute(resultPage.loader, result, { store: 'shop' }, h.context(result));
    expect(shown.status).toBe(410);
    expect(await shown.json()).toMatchObject({ status: 'archived' });

    const hook = new Request(`${ORIGIN}/webhooks/iamport/shop`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ imp_uid: 'imp_1', merchant_uid: 'o-1', status: 'paid' }),
    });
    const hooked = await callRoute(webhookRoute.action, hook, { store: 'shop' }, h.context(hook));
    expect(hooked.status).toBe(410);
    expect(JSON.stringify(await hooked.json())).toContain('store shop is archived');

    const register = new Request(`${ORIGIN}/api/v1/stores/shop/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${created.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ merchant_uid: 'o-1', amount: 1000 }),
    });
    expect((await callRoute(ordersApi.action, register, { store: 'shop' }, h.context(register))).status).toBe(410);

    // Archiving twice is refused with a flash; unarchiving brings the routes back.
    expect((await post('admin', 'shop', { intent: 'archive', confirm: 'yes' })).status).toBe(303);
    expect((await post('admin', 'shop', { intent: 'unarchive' })).status).toBe(303);
    const back = makeRequest('/payments/shop/result?merchant_uid=o-1');
    expect((await callRoute(resultPage.loader, back, { store: 'shop' }, h.context(back))).status).toBe(200);
    expect((await audit()).map((e) => e.action)).toEqual(['store.create', 'store.archive', 'store.unarchive']);
  });

  describe('test connection', () => {
    let sandbox: TestSandbox;
    let merchant: SandboxMerchant;
    beforeAll(async () => {
      sandbox = await startTestSandbox();
      merchant = await sandbox.newMerchant();
    });
    afterAll(() => sandbox?.close());

    async function storeAt(apiBaseUrl: string, impSecret = merchant.impSecret) {
      await post(
        'admin',
        'new',
        validForm({ impCode: merchant.impCode, impKey: merchant.impKey, impSecret, apiBaseUrl }),
      );
    }

    it('gets a token from the sandbox and shows its expiry (operator may test), audited', async () => {
      await storeAt(sandbox.url);
      const response = await post('operator', 'shop', { intent: 'test' });
      expect(response.status).toBe(200);
      const { result } = (await response.json()) as { result: { ok: boolean; expiresAt: string; httpStatus: number } };
      expect(result).toMatchObject({ ok: true, httpStatus: 200, apiBaseUrl: sandbox.url });
      expect(Date.parse(result.expiresAt)).toBeGreaterThan(h.clock.now().getTime());
      expect(JSON.stringify(result)).not.toMatch(/access_token|accessToken/);
      const event = (await audit()).at(-1)!;
      expect(event).toMatchObject({ action: 'store.test_connection', actor_user_id: operator.id, target_id: 'shop' });
      expect(JSON.parse(event.after_json!)).toMatchObject({ ok: true });
    });

    it('shows the gateway refusing wrong credentials: rejected, HTTP 401 and its message', async () => {
      await storeAt(sandbox.url, 'wrong-secret');
      const { result } = (await (await post('admin', 'shop', { intent: 'test' })).json()) as {
        result: Record<string, unknown>;
      };
      expect(result).toMatchObject({ ok: false, kind: 'rejected', httpStatus: 401 });
      expect(String(result.message)).not.toBe('');
    });

    it('says clearly when nothing listens at the API base URL', async () => {
      await storeAt(`http://127.0.0.1:${await closedPort()}`);
      const { result } = (await (await post('admin', 'shop', { intent: 'test' })).json()) as {
        result: Record<string, unknown>;
      };
      expect(result).toMatchObject({ ok: false, kind: 'retryable', httpStatus: null, code: null });
      expect(String(result.message)).toMatch(/connect|ECONNREFUSED|refused|reach/i);
    });
  });
});
