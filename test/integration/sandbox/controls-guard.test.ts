import { request } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../sandbox/server';
import { startTestSandbox, type TestSandbox } from './harness';

/** A raw HTTP request (node:http), so Host and Origin are exactly what a hostile page would send. */
function send(
  url: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: { code: number; message: string | null; response: unknown } }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method,
        path: options.path,
        headers: {
          ...(options.body !== undefined ? { 'content-length': Buffer.byteLength(options.body) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('sandbox controls refuse what a hostile web page can send', () => {
  let t: TestSandbox;
  let host: string;
  beforeAll(async () => {
    t = await startTestSandbox();
    host = new URL(t.url).host;
  });
  afterAll(() => t.close());

  const merchantsNow = async () => (await send(t.url, { method: 'GET', path: '/__sandbox/merchants' })).body;

  it('refuses a text/plain POST (a cross-site "simple" request needs no preflight)', async () => {
    const answer = await send(t.url, {
      method: 'POST',
      path: '/__sandbox/merchants',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ imp_code: 'imp40000000' }),
    });
    expect(answer.status).toBe(415);
    const form = await send(t.url, {
      method: 'POST',
      path: '/__sandbox/merchants',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'imp_code=imp40000001',
    });
    expect(form.status).toBe(415);
    expect((await merchantsNow()).response).toHaveLength(1);
  });

  it('refuses a cross-site Origin, even on a body-less POST', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1']) {
      const answer = await send(t.url, { method: 'POST', path: '/__sandbox/reset', headers: { origin } });
      expect(answer.status, origin).toBe(403);
      expect(answer.body.message).toContain('cross-site');
    }
    const json = await send(t.url, {
      method: 'POST',
      path: '/__sandbox/merchants',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ imp_code: 'imp40000002' }),
    });
    expect(json.status).toBe(403);
    // The sandbox's own pages (same origin) are fine.
    const own = await send(t.url, { method: 'POST', path: '/__sandbox/tick', headers: { origin: `http://${host}` } });
    expect(own.status).toBe(200);
  });

  it('refuses a Host that is not its own (DNS rebinding)', async () => {
    for (const bad of [
      'evil.example',
      `evil.example:${new URL(t.url).port}`,
      `127.0.0.1.nip.io:${new URL(t.url).port}`,
    ]) {
      const answer = await send(t.url, { method: 'GET', path: '/__sandbox/merchants', headers: { host: bad } });
      expect(answer.status, bad).toBe(403);
    }
    const localhost = await send(t.url, {
      method: 'GET',
      path: '/__sandbox/merchants',
      headers: { host: `localhost:${new URL(t.url).port}` },
    });
    expect(localhost.status).toBe(200);
  });

  it('never returns imp_secret from a GET', async () => {
    for (const path of ['/__sandbox/', '/__sandbox/merchants', '/__sandbox/merchants/imp10000000']) {
      const answer = await send(t.url, { method: 'GET', path });
      expect(answer.status, path).toBe(200);
      expect(JSON.stringify(answer.body), path).not.toContain('imp_secret');
      expect(JSON.stringify(answer.body), path).not.toContain('test_imp_secret');
    }
  });

  it('warns at start when it listens beyond loopback', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'sandbox-wide-'));
    const wide = await startSandbox({
      config: {
        enabled: true,
        host: '0.0.0.0',
        port: 0,
        publicUrl: null,
        merchant: { impKey: 'k', impSecret: 's', impCode: 'imp10000000' },
      },
      dataDir: dir,
      log,
    });
    try {
      expect(lines.some((l) => l.includes('listens beyond loopback'))).toBe(true);
    } finally {
      await wide.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
