import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '~/logger.server';
import { startSandbox } from '../../../sandbox/server';
import { createClock, type Clock } from '../../helpers/clock';

/**
 * The sandbox emulator in-process on an ephemeral port, in its own temp data dir, on a clock the
 * test moves by hand. Each test file creates its own merchants so files never share state.
 */

export type TestClock = Clock;

export type SandboxMerchant = { impCode: string; impKey: string; impSecret: string };

/** The subset of a wire payment the harness reads back from the controls. */
export type CreatedPayment = { imp_uid: string; merchant_uid: string; amount: number; status: string };

export type PaymentInput = {
  merchant_uid?: string;
  amount: number;
  paid_amount?: number;
  currency?: string;
  status?: 'ready' | 'paid' | 'failed' | 'cancelled';
  pay_method?: string;
  pg?: string;
  name?: string;
  started_at?: number;
  paid_at?: number;
  webhook?: false;
};

export type Faults = {
  status?: number;
  error_rate?: number;
  latency_ms?: number;
  hang?: boolean;
  remaining?: number | null;
  body?: 'envelope' | 'html';
};

export type TestSandbox = {
  url: string;
  clock: TestClock;
  /** A control call (`/__sandbox/…`); throws unless it answered 2xx with code 0. */
  control: <T = unknown>(method: string, controlPath: string, body?: unknown) => Promise<T>;
  newMerchant: (settings?: Record<string, unknown>) => Promise<SandboxMerchant>;
  createPayment: (merchant: SandboxMerchant, input: PaymentInput) => Promise<CreatedPayment>;
  createPayments: (merchant: SandboxMerchant, inputs: PaymentInput[]) => Promise<CreatedPayment[]>;
  setFaults: (merchant: SandboxMerchant, faults: Faults) => Promise<void>;
  clearFaults: (merchant: SandboxMerchant) => Promise<void>;
  revokeTokens: (merchant: SandboxMerchant) => Promise<number>;
  close: () => Promise<void>;
};

export async function startTestSandbox(clock: TestClock = createClock()): Promise<TestSandbox> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'iamport-sandbox-'));
  const sandbox = await startSandbox({
    config: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      publicUrl: null,
      merchant: { impKey: 'sandbox_imp_key', impSecret: 'sandbox_imp_secret', impCode: 'imp10000000' },
    },
    dataDir,
    log: createLogger('silent'),
    now: clock.now,
  });

  async function control<T = unknown>(method: string, controlPath: string, body?: unknown): Promise<T> {
    const response = await fetch(`${sandbox.url}/__sandbox/${controlPath}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = JSON.parse(text) as { code: number; response: T };
    if (!response.ok || parsed.code !== 0)
      throw new Error(`sandbox control ${method} ${controlPath}: HTTP ${response.status} ${text}`);
    return parsed.response;
  }

  const createPayments = async (merchant: SandboxMerchant, inputs: PaymentInput[]): Promise<CreatedPayment[]> => {
    const items = inputs.map((input) => ({ webhook: false as const, ...input, merchant: merchant.impCode }));
    const answer = await control<{ payments: CreatedPayment[] }>('POST', 'payments', items);
    return answer.payments;
  };

  return {
    url: sandbox.url,
    clock,
    control,
    async newMerchant(settings = {}) {
      const created = await control<{ imp_code: string; imp_key: string; imp_secret: string }>(
        'POST',
        'merchants',
        settings,
      );
      return { impCode: created.imp_code, impKey: created.imp_key, impSecret: created.imp_secret };
    },
    async createPayment(merchant, input) {
      const [created] = await createPayments(merchant, [input]);
      return created!;
    },
    createPayments,
    async setFaults(merchant, faults) {
      await control('PUT', `merchants/${merchant.impCode}/faults`, faults);
    },
    async clearFaults(merchant) {
      await control('DELETE', `merchants/${merchant.impCode}/faults`);
    },
    async revokeTokens(merchant) {
      const answer = await control<{ revoked: number }>('POST', `merchants/${merchant.impCode}/revoke-tokens`);
      return answer.revoked;
    },
    async close() {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A `fetch` that counts what goes through it (token requests, API calls). */
export function countingFetch(): { fetch: typeof fetch; paths: string[]; count: (pathname: string) => number } {
  const paths: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    paths.push(url.pathname + url.search);
    return fetch(input, init);
  };
  return { fetch: wrapped, paths, count: (pathname) => paths.filter((p) => p.split('?')[0] === pathname).length };
}
