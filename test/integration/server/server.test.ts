import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, runNode, startApp, type RunningApp } from '../../helpers/app-server';
import { testDialect } from '../../helpers/db';

const entry = 'build/node/server/main.js';

describe('production server', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.stop();
    await app.cleanup();
  });

  it('answers /healthz with the database check', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await response.json()) as {
      status: string;
      checks: { database: { status: string; dialect: string; sizeBytes: number } };
    };
    expect(body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok', dialect: testDialect } } });
    expect(body.checks.database.sizeBytes).toBeGreaterThan(100_000);
    if (testDialect === 'sqlite') {
      // The database's size (SQLite: its pages, what the file holds once the WAL is checkpointed).
      const { statSync } = await import('node:fs');
      const { join } = await import('node:path');
      expect(body.checks.database.sizeBytes).toBeGreaterThanOrEqual(statSync(join(app.dataDir, 'monitor.db')).size);
      expect(body.checks.database.sizeBytes % 4096).toBe(0);
    }
  });

  it('renders the home page through Remix', async () => {
    const response = await fetch(app.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Iamport payment monitor');
  });

  it('serves fingerprinted assets with long caching', async () => {
    const html = await (await fetch(app.url)).text();
    const css = /href="(\/build\/_assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(css).toBeDefined();
    const response = await fetch(`${app.url}${css}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('writes one JSON request line per request without the query string', async () => {
    await fetch(`${app.url}/healthz?imp_uid=secretish`);
    // The request line is written after the answer: wait for it, not for a fixed time.
    const line = await app.waitForLine((l) => l.includes('"path":"/healthz"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ method: 'GET', path: '/healthz', status: 200, msg: 'request' });
    expect(app.lines.join('\n')).not.toContain('secretish');
  });
});

describe('start-up configuration errors', () => {
  it.each([
    [{ PORT: 'abc' }, /^Invalid PORT: must be a whole number from 0 to 65535 \(got "abc"\)$/],
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, /^Invalid DATABASE_URL: must be file:PATH/],
    [{ DATABASE_URL: 'file:/etc/passwd/monitor.db' }, /^Cannot open database \/etc\/passwd\/monitor.db: /],
    [
      { DATABASE_URL: 'postgres://monitor@127.0.0.1:1/monitor' },
      /^Invalid APP_SECRET: required with a PostgreSQL DATABASE_URL \(set the same value/,
    ],
    [
      { DATABASE_URL: 'postgres://monitor@127.0.0.1:1/monitor', APP_SECRET: 'x'.repeat(40) },
      /^Cannot open database postgres: .*ECONNREFUSED/,
    ],
  ])('%j stops the start with a one-line reason', async (env, message) => {
    const result = await runNode([entry], {
      DATA_DIR: '/tmp/monitor-bad-config',
      SANDBOX: 'off',
      PUBLIC_URL: ORIGIN,
      JOBS: 'off',
      ...env,
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('names the port that is already taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const result = await runNode([entry], {
      DATA_DIR: '/tmp/monitor-bad-config',
      SANDBOX: 'off',
      PUBLIC_URL: ORIGIN,
      JOBS: 'off',
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`Cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request that was arriving when SIGTERM landed, then refuses new connections', async () => {
    const app = await startApp();
    try {
      const { connect } = await import('node:net');
      // Half a request is on the wire when the signal lands; the rest follows 200 ms later.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(app.port, '127.0.0.1', () => {
          socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
          setTimeout(() => {
            app.child.kill('SIGTERM');
            setTimeout(() => socket.write('Accept: application/json\r\n\r\n'), 200);
          }, 100);
        });
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
      expect(answer).toMatch(/connection: close/i);
      expect(answer).toContain('"status":"ok"');
      expect(await app.stop()).toBe(0);
      expect(app.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
      await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
    } finally {
      await app.kill();
      app.cleanup();
    }
  });
});
