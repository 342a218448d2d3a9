import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { SandboxConfig } from '../../../app/config.server';
import { startSandbox, type RunningSandbox, type ShopOptions } from '../../../sandbox/server';
import type { WebhookTimeouts } from '../../../sandbox/webhooks';
import { createClock, type Clock } from '../../helpers/clock';

export const DEMO = { impKey: 'test_imp_key', impSecret: 'test_imp_secret', impCode: 'imp10000000' };

export { createClock };
export type TestClock = Clock;

export type Envelope<T = unknown> = { code: number; message: string | null; response: T };
export type Answer<T = unknown> = { status: number; headers: Headers; body: Envelope<T> };

export type TestSandbox = {
  sb: RunningSandbox;
  url: string;
  clock: TestClock;
  dataDir: string;
  /** Any HTTP call; parses the JSON envelope. */
  call: <T = unknown>(
    method: string,
    path: string,
    options?: { token?: string | null; json?: unknown; form?: string; headers?: Record<string, string> },
  ) => Promise<Answer<T>>;
  /** A token of the demo merchant (or the given keys). */
  token: (keys?: { imp_key: string; imp_secret: string }) => Promise<string>;
  /** POST /__sandbox/… with JSON; throws unless 2xx. */
  control: <T = unknown>(method: string, path: string, json?: unknown) => Promise<T>;
  /** Stops the sandbox; keeps the data dir when `keep` (for restart tests). */
  close: (options?: { keep?: boolean }) => Promise<void>;
};

export async function startTestSandbox(
  options: {
    dataDir?: string;
    clock?: TestClock;
    shop?: ShopOptions | null;
    webhookTimeouts?: Partial<WebhookTimeouts>;
    publicUrl?: string;
  } = {},
): Promise<TestSandbox> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'sandbox-test-'));
  const clock = options.clock ?? createClock();
  const config: SandboxConfig = {
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    publicUrl: options.publicUrl ?? null,
    merchant: DEMO,
  };
  const sb = await startSandbox({
    config,
    dataDir,
    log: pino({ level: 'silent' }),
    now: clock.now,
    shop: options.shop ?? null,
    webhookTimeouts: options.webhookTimeouts,
  });
  const call: TestSandbox['call'] = async (method, p, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = o.token;
    let body: string | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    } else if (o.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = o.form;
    }
    const res = await fetch(`${sb.url}${p}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: Envelope;
    try {
      parsed = JSON.parse(text) as Envelope;
    } catch {
      throw new Error(`${method} ${p} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, body: parsed as Envelope<never> };
  };
  return {
    sb,
    url: sb.url,
    clock,
    dataDir,
    call,
    token: async (keys = { imp_key: DEMO.impKey, imp_secret: DEMO.impSecret }) => {
      const answer = await call<{ access_token: string }>('POST', '/users/getToken', { json: keys });
      if (answer.status !== 200) throw new Error(`getToken: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.response.access_token;
    },
    control: async <T>(method: string, p: string, json?: unknown) => {
      const answer = await call<T>(method, `/__sandbox${p}`, json === undefined ? {} : { json });
      if (answer.status >= 300)
        throw new Error(`${method} /__sandbox${p}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.response;
    },
    close: async ({ keep = false } = {}) => {
      await sb.close();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type ReceivedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  contentType: string;
};

export type Receiver = {
  url: string;
  requests: ReceivedRequest[];
  /** The status to answer next requests with (default 200); `hang` never answers. */
  respond: (status: number | 'hang') => void;
  /** Resolves once `n` requests arrived (fails after `timeoutMs` as a safety net). */
  waitFor: (n: number, timeoutMs?: number) => Promise<ReceivedRequest[]>;
  close: () => Promise<void>;
};

/** A tiny merchant endpoint on an ephemeral port: records every request it gets. */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let status: number | 'hang' = 200;
  let waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        contentType: req.headers['content-type'] ?? '',
      });
      waiters = waiters.filter((w) => (requests.length >= w.n ? (w.resolve(), false) : true));
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'OK' : `error ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (s) => {
      status = s;
    },
    waitFor: (n, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        if (requests.length >= n) return resolve(requests.slice());
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${requests.length} of ${n} requests`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests.slice());
          },
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A payment as created by the controls, with the fields tests read. */
export type WirePayment = {
  imp_uid: string;
  merchant_uid: string;
  amount: number;
  cancel_amount: number;
  status: string;
  started_at: number;
  paid_at: number;
  failed_at: number;
  cancelled_at: number;
  fail_reason: string | null;
  cancel_history: {
    amount: number;
    cancellation_id: string;
    cancelled_at: number;
    pg_tid: string;
    reason: string;
    receipt_url: string | null;
  }[];
  vbank_num: string | null;
  vbank_date: number;
  vbank_issued_at: number;
  pay_method: string | null;
  [key: string]: unknown;
};

export type Delivery = {
  id: number;
  imp_uid: string;
  status: string;
  state: string;
  url: string;
  format: string;
  body: string;
  cancellation_id: string | null;
  copy: number;
  due_at_ms: number | null;
  attempts: {
    attempt: number;
    status: number | null;
    error: string | null;
    body_excerpt: string | null;
    latency_ms: number;
  }[];
};
