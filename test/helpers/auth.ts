import { Writable } from 'node:stream';
import pino from 'pino';
import type { Role } from '~/auth/roles';
import { csrfTokenFor } from '~/auth/csrf.server';
import { hashPassword } from '~/auth/password.server';
import { startSession } from '~/auth/session.server';
import { sha256Hex } from '~/auth/crypto.server';
import { appCookies } from '~/auth/cookies.server';
import { loadConfig, type Config } from '~/config.server';
import { createAppContext, type AppContext, type RequestContext } from '~/context.server';
import { insertUserIfAbsent } from '../../db/users';
import { ORIGIN } from './app-server';
import { createTestDb, type TestDb } from './db';
import { callRoute, createClock, type Clock } from './monitor';

export { callRoute, ORIGIN };

export const TEST_PASSWORD = 'correct horse battery staple';

export type TestUser = { id: number; email: string; role: Role };

export type AuthHarness = {
  t: TestDb;
  ctx: AppContext;
  config: Config;
  clock: Clock;
  /** Every JSON log line written so far. */
  logLines: string[];
  /** The load context of one request from `ip`. */
  context: (request: Request, ip?: string) => RequestContext;
  /** Inserts a user whose password is TEST_PASSWORD (hashed once per harness, with cheap parameters). */
  addUser: (email: string, role: Role, options?: { disabled?: boolean }) => Promise<TestUser>;
  /** A live session for the user: the Cookie header to send and the CSRF token bound to it. */
  sessionFor: (user: TestUser) => Promise<{ cookie: string; csrf: string }>;
  /** A pre-session cookie and its CSRF token (a visitor who opened /login). */
  preSession: () => Promise<{ cookie: string; csrf: string }>;
  close: () => Promise<void>;
};

/** A real context on a fresh SQLite file with a hand-moved clock and a captured log. */
export async function createAuthHarness(env: Record<string, string> = {}): Promise<AuthHarness> {
  const t = await createTestDb();
  const clock = createClock();
  const config = loadConfig({
    DATA_DIR: t.dir,
    DATABASE_URL: t.url,
    APP_SECRET: 'auth-test-secret-'.padEnd(40, 'x'),
    ...env,
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const ctx = createAppContext({ config, db: t.db, log: pino({ level: 'info' }, sink), now: clock.now });
  // Cheap scrypt parameters for fixture users (verification reads them from the hash; a successful
  // sign-in upgrades it to the production cost, as it would for any old hash).
  const passwordHash = await hashPassword(TEST_PASSWORD, { N: 1024, r: 8, p: 1, keyLength: 32 });
  return {
    t,
    ctx,
    config,
    clock,
    logLines,
    context: (request, ip = '198.51.100.7') => {
      const url = new URL(request.url);
      return { ...ctx, clientIp: ip, rawUrl: `${url.pathname}${url.search}` };
    },
    addUser: async (email, role, options = {}) => {
      const at = clock.now().toISOString();
      const row = await insertUserIfAbsent(t.db, {
        email,
        role,
        password_hash: passwordHash,
        disabled_at: options.disabled ? at : null,
        last_sign_in_at: null,
        created_at: at,
        updated_at: at,
      });
      if (!row) throw new Error(`user ${email} exists`);
      return { id: row.id, email, role };
    },
    sessionFor: async (user) => {
      const { setCookie } = await startSession(ctx, user.id, { ip: '198.51.100.7', userAgent: 'vitest' });
      const cookie = cookieHeader([setCookie]);
      const token = (await appCookies(config).session.parse(cookie)) as string;
      return { cookie, csrf: csrfTokenFor(config.appSecret, `session:${sha256Hex(token)}`) };
    },
    preSession: async () => {
      const value = `pre-${Math.random().toString(36).slice(2)}`;
      return {
        cookie: cookieHeader([await appCookies(config).preSession.serialize(value)]),
        csrf: csrfTokenFor(config.appSecret, `pre:${value}`),
      };
    },
    close: () => t.close(),
  };
}

/** Folds Set-Cookie values into a Cookie header (later values win; Max-Age=0 deletes). */
export function cookieHeader(setCookies: string[], existing = ''): string {
  const jar = new Map<string, string>();
  for (const pair of existing
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  for (const set of setCookies) {
    const [pair = '', ...attributes] = set.split(';').map((p) => p.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    if (attributes.some((a) => /^max-age=0$/i.test(a)) || pair.slice(at + 1) === '') jar.delete(name);
    else jar.set(name, pair.slice(at + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** A GET (no body) or a urlencoded POST to `path`, with cookies. */
export function makeRequest(
  path: string,
  options: { method?: string; cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Request {
  const headers = new Headers(options.headers);
  if (options.cookie) headers.set('Cookie', options.cookie);
  const method = options.method ?? (options.form ? 'POST' : 'GET');
  if (method === 'GET' || method === 'HEAD') return new Request(`${ORIGIN}${path}`, { method, headers });
  headers.set('Content-Type', 'application/x-www-form-urlencoded');
  return new Request(`${ORIGIN}${path}`, { method, headers, body: new URLSearchParams(options.form ?? {}).toString() });
}

/** The JSON error body the app answers with (`{ error: { code, message, reason? } }`). */
export async function errorOf(
  response: Response,
): Promise<{ code: string; message: string; reason?: string; required?: string }> {
  return ((await response.json()) as { error: { code: string; message: string; reason?: string } }).error;
}
