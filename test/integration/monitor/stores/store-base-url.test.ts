import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as storePage from '~/routes/_dash.stores.$slug';
import * as newStorePage from '~/routes/_dash.stores.new';
import { decryptSecret } from '~/monitor/stores/secrets.server';
import { callRoute, createAuthHarness, makeRequest, type AuthHarness } from '../../../helpers/auth';

const SECRET = 'the-stored-secret-XYZ';

const form = (overrides: Record<string, string> = {}) => ({
  intent: 'create',
  slug: 'shop',
  name: 'My Shop',
  impCode: 'imp12345678',
  impKey: 'key-123',
  impSecret: SECRET,
  apiBaseUrl: 'https://api.iamport.kr',
  landingSuccessUrl: '',
  landingFailureUrl: '',
  landingPendingUrl: '',
  webhookIpPolicy: 'log',
  mismatchPolicy: 'flag',
  webhookGraceSeconds: '600',
  stalePendingSeconds: '1800',
  evidenceRetentionDays: '180',
  ...overrides,
});

/** A stored secret is only ever sent to the URL it was saved with (issue 10, store admin). */
describe('store admin: where the REST secret may go', () => {
  let h: AuthHarness;
  let session: { cookie: string; csrf: string };
  beforeEach(async () => {
    h = await createAuthHarness();
    session = await h.sessionFor(await h.addUser('admin@example.com', 'admin'));
  });
  afterEach(() => h.close());

  const post = (slug: string, fields: Record<string, string>) => {
    const request = makeRequest(`/stores/${slug}`, {
      cookie: session.cookie,
      form: { _csrf: session.csrf, ...fields },
    });
    // Creating a store is its own page (/stores/new); editing one is /stores/:slug.
    const route = slug === 'new' ? newStorePage : storePage;
    return callRoute(route.action, request, { slug }, h.context(request));
  };
  const row = () => h.t.db.selectFrom('store').selectAll().executeTakeFirstOrThrow();

  it('refuses a new API base URL with the secret left blank, and keeps everything as it was', async () => {
    expect((await post('new', form())).status).toBe(200);
    const refused = await post(
      'shop',
      form({ intent: 'update', impSecret: '', apiBaseUrl: 'https://attacker.example' }),
    );
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { errors: Record<string, string> };
    expect(body.errors).toEqual({ impSecret: 'secret_for_new_url' });
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect((await row()).api_base_url).toBe('https://api.iamport.kr');

    // The same URL with a trailing slash is not a new destination; retyping the secret allows a move.
    expect(
      (await post('shop', form({ intent: 'update', impSecret: '', apiBaseUrl: 'https://api.iamport.kr/' }))).status,
    ).toBe(303);
    const moved = await post(
      'shop',
      form({ intent: 'update', impSecret: 'typed-again', apiBaseUrl: 'https://other.example' }),
    );
    expect(moved.status).toBe(303);
    const after = await row();
    expect(after.api_base_url).toBe('https://other.example');
    expect(decryptSecret(after.imp_secret_enc, h.config.appSecret)).toBe('typed-again');
  });

  it('takes https only, plain http only for a loopback host', async () => {
    const plain = await post('new', form({ apiBaseUrl: 'http://api.iamport.kr' }));
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { errors: object }).errors).toEqual({ apiBaseUrl: 'invalid' });
    expect((await post('new', form({ apiBaseUrl: 'http://127.0.0.1:3001' }))).status).toBe(200);
    const update = await post('shop', form({ intent: 'update', apiBaseUrl: 'http://10.0.0.8:3001', impSecret: 'x' }));
    expect(update.status).toBe(400);
  });

  it('rejects a bad retention and saves a good one', async () => {
    expect((await post('new', form({ evidenceRetentionDays: '0' }))).status).toBe(400);
    expect((await post('new', form({ evidenceRetentionDays: '30' }))).status).toBe(200);
    expect((await row()).evidence_retention_days).toBe(30);
    expect((await post('shop', form({ intent: 'update', impSecret: '', evidenceRetentionDays: 'x' }))).status).toBe(
      400,
    );
  });

  describe('"Test connection" follows no redirect', () => {
    let first: Server;
    let second: Server;
    const seen: { server: string; body: string }[] = [];
    const listen = (name: string, answer: (req: IncomingMessage) => [number, Record<string, string>]) => {
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => {
          seen.push({ server: name, body });
          const [status, headers] = answer(req);
          res.writeHead(status, headers).end('{}');
        });
      });
      return new Promise<Server>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
    };
    const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    beforeEach(async () => {
      seen.length = 0;
      second = await listen('second', () => [200, { 'content-type': 'application/json' }]);
      first = await listen('first', () => [307, { location: `${urlOf(second)}/users/getToken` }]);
    });
    afterEach(() => {
      first.close();
      second.close();
    });

    it('a 307 from the base URL is an answer, not a hop: the secret never reaches the redirect target', async () => {
      expect((await post('new', form({ apiBaseUrl: urlOf(first) }))).status).toBe(200);
      const { result } = (await (await post('shop', { intent: 'test' })).json()) as { result: Record<string, unknown> };
      expect(result).toMatchObject({ ok: false, httpStatus: 307 });
      expect(seen.map((s) => s.server)).toEqual(['first']);
    });
  });
});
