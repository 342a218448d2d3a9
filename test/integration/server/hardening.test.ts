import { spawn } from 'node:child_process';
import SQLite from 'better-sqlite3';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runNode, startApp, type RunningApp } from '../../helpers/app-server';
import { rawExchange } from '../../helpers/raw-http';

const TIMEOUTS = { HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '3', BODY_TIMEOUT_SECONDS: '1.5' };
const METRICS_TOKEN = 'metrics-token-0123456789';

/** GET /login for its pre-session cookie and CSRF token, then POST a wrong password. */
async function wrongSignIn(app: RunningApp, headers: Record<string, string>): Promise<Response> {
  const page = await fetch(`${app.url}/login`, { headers });
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return fetch(`${app.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email: 'nobody@example.com', password: 'wrong password!' }),
  });
}

function attemptIps(app: RunningApp): string[] {
  const db = new SQLite(path.join(app.dataDir, 'monitor.db'), { readonly: true });
  try {
    return (db.prepare('select ip from login_attempt order by id').all() as { ip: string }[]).map((r) => r.ip);
  } finally {
    db.close();
  }
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('behind a reverse proxy (TRUST_PROXY=127.0.0.1)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ env: { TRUST_PROXY: '127.0.0.1', ...TIMEOUTS } });
  });
  afterAll(async () => {
    await app.stop();
    app.cleanup();
  });

  it('takes the client address from X-Forwarded-For and the scheme from X-Forwarded-Proto', async () => {
    const response = await wrongSignIn(app, {
      'x-forwarded-for': '6.6.6.6, 198.51.100.7',
      'x-forwarded-proto': 'https',
    });
    expect(response.status).toBe(401);
    expect(attemptIps(app)).toEqual(['198.51.100.7']);
    // Behind TLS every cookie is Secure (COOKIE_SECURE=auto).
    const page = await fetch(`${app.url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(page.headers.getSetCookie().every((c) => /;\s*Secure/i.test(c))).toBe(true);
    const plain = await fetch(`${app.url}/login`);
    expect(plain.headers.getSetCookie().some((c) => /;\s*Secure/i.test(c))).toBe(false);
  });
});

describe('without TRUST_PROXY (the default)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ env: { METRICS_TOKEN, ...TIMEOUTS } });
  });
  afterAll(async () => {
    await app.stop();
    app.cleanup();
  });

  it('ignores X-Forwarded-For and X-Forwarded-Proto', async () => {
    const response = await wrongSignIn(app, { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(401);
    expect(attemptIps(app)).toEqual(['127.0.0.1']);
    const page = await fetch(`${app.url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(page.headers.getSetCookie().some((c) => /;\s*Secure/i.test(c))).toBe(false);
  });

  it.each(['a b', '[::1', 'x:99999', ''])('answers Host %j with 400, not 500', async (host) => {
    const result = await rawExchange(app.port, [`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`], { giveUpMs: 5000 });
    expect(result.status).toBe(400);
  });

  it('ends an unfinished chunked body, a short Content-Length and a slow body with 408 within seconds', async () => {
    const head = (extra: string) =>
      `POST /webhooks/iamport/demo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}\r\n`;
    const cases = await Promise.all([
      rawExchange(app.port, [head('Transfer-Encoding: chunked\r\n'), '5\r\n{"imp'], { giveUpMs: 8000 }),
      rawExchange(app.port, [head('Content-Length: 100\r\n'), '{"imp_uid":'], { giveUpMs: 8000 }),
      rawExchange(
        app.port,
        [head('Content-Length: 40\r\n'), ...Array.from({ length: 40 }, () => ['x', { pauseMs: 200 }]).flat()],
        { giveUpMs: 8000 },
      ),
      // A dashboard form too (Remix route, not the webhook fast path).
      rawExchange(
        app.port,
        [
          'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 50\r\n\r\n',
          'email=a',
        ],
        { giveUpMs: 8000 },
      ),
    ]);
    for (const result of cases) {
      expect(result.held).toBe(false);
      expect(result.status).toBe(408);
      expect(result.closedAfterMs).toBeLessThan(4000);
    }
  });

  it('closes a connection whose request head never ends', async () => {
    const result = await rawExchange(
      app.port,
      ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', { pauseMs: 500 }, 'X-Slow: 1\r\n', { pauseMs: 6000 }],
      { giveUpMs: 8000 },
    );
    expect(result.held).toBe(false);
    expect(result.closedAfterMs).toBeLessThan(5000);
    expect([408, null]).toContain(result.status);
  });

  it('refuses a cross-site form POST with 403 (not 500)', async () => {
    const response = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a&password=b',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'cross_site' } });
  });

  it('answers /metrics only with the bearer token', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  it('logs a 404 at info with the path only', async () => {
    expect((await fetch(`${app.url}/favicon.ico?secret=1`)).status).toBe(404);
    const line = app.lines.find((l) => l.includes('"msg":"not found"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 30, path: '/favicon.ico' });
    expect(app.lines.some((l) => l.includes('"level":50'))).toBe(false);
  });

  it('keeps its database and secret files private (0600 in a 0700 directory)', () => {
    expect(mode(app.dataDir)).toBe(0o700);
    for (const name of ['monitor.db', 'monitor.db-wal', 'monitor.db-shm', 'app-secret'])
      if (existsSync(path.join(app.dataDir, name)))
        expect([name, mode(path.join(app.dataDir, name))]).toEqual([name, 0o600]);
    expect(existsSync(path.join(app.dataDir, 'monitor.db'))).toBe(true);
  });
});

describe('start-up checks', () => {
  it('tightens files an older version left readable', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-modes-'));
    chmodSync(dataDir, 0o755);
    writeFileSync(path.join(dataDir, 'app-secret'), `${'s'.repeat(64)}\n`, { mode: 0o644 });
    new SQLite(path.join(dataDir, 'monitor.db')).close();
    chmodSync(path.join(dataDir, 'monitor.db'), 0o644);
    const app = await startApp({ dataDir });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(path.join(dataDir, 'app-secret'))).toBe(0o600);
      expect(mode(path.join(dataDir, 'monitor.db'))).toBe(0o600);
      expect(mode(path.join(dataDir, 'monitor.db-wal'))).toBe(0o600);
    } finally {
      await app.stop();
      app.cleanup();
    }
  });

  it('refuses to start without PUBLIC_URL when the sandbox is off', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-nopublic-'));
    const result = await runNode(['build/node/server/main.js'], {
      DATA_DIR: dataDir,
      SANDBOX: 'off',
      JOBS: 'off',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid PUBLIC_URL: required when SANDBOX=off');
  });

  it.each([
    [['build/node/jobs/cli.js', '--help'], 'store add'],
    [['build/node/jobs/cli.js', 'store', '--help'], 'store add'],
    [['build/node/jobs/cli.js', 'reconcile', '--help'], 'reconcile [--store S]'],
    [['build/node/jobs/cli.js', 'sweep', '--help'], 'sweep [--store S]'],
    [['build/node/db/cli.js', '--help'], 'migrate'],
    [['build/node/sandbox/main.js', '--help'], 'npm run sandbox'],
    [['build/node/jobs/cli.js', 'purge', '--help'], 'purge [--store S] [--dry-run]'],
    [['build/node/jobs/cli.js', 'jobs', '--help'], 'store add'],
    [['build/node/server/main.js', '--help'], 'npm start'],
    [['--import', 'tsx', 'scripts/seed.ts', '--help'], 'npm run db:seed'],
    [['--import', 'tsx', 'test/bench/run.ts', '--help'], 'npm run bench'],
  ])('%j answers its usage and exits 0', async (args, expected) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'monitor-help-'));
    // SANDBOX=on (the default) and no admin: a server that started would say so on stderr and never exit.
    const result = await runNode(args, { DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(expected);
    expect(result.stdout.startsWith('usage')).toBe(true);
    expect(result.stderr).toBe('');
  });

  it.each([
    [['scripts/test-postgres.sh', '--help'], 'run CMD'],
    [['scripts/test.sh', '--help'], 'scripts/test.sh [VITEST ARGS...]'],
  ])('%j answers its usage and exits 0', async (args, expected) => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(expected);
    expect(result.stdout.startsWith('usage')).toBe(true);
    expect(result.stderr).toBe('');
  });
});
