import type { ServerBuild } from '@remix-run/node';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import type { Store, StoreInput } from '~/monitor/stores/stores.server';
import { processWebhookBatch } from '~/monitor/capture/webhook-worker.server';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { createAppServer } from '../../server/app-server';
import { repoRoot } from './app-server';
import { createMonitorHarness, sandboxControl, type Clock, type MonitorHarness } from './monitor';

export const SANDBOX_MERCHANT = { impKey: 'sandbox_imp_key', impSecret: 'sandbox_imp_secret', impCode: 'imp10000000' };

export type MonitorStack = MonitorHarness & {
  appUrl: string;
  sandbox: RunningSandbox;
  store: Store;
  apiKey: string;
  /** Calls a sandbox control; see sandbox/controls.ts. */
  control: <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;
  /** Registers an order through the merchant's orders API, as the shop does before the buyer pays. */
  registerOrder: (order: { merchant_uid: string; amount: number; name?: string }) => Promise<Response>;
  /** GET the redirect route like a browser arriving from the payment window (redirects not followed). */
  redirect: (query: string) => Promise<Response>;
  /** Lets the sandbox send what is due, then verifies every queued delivery. */
  flushWebhooks: () => Promise<number>;
  stop: () => Promise<void>;
};

/**
 * The whole product in one process, over real HTTP: the production Remix build behind the
 * node:http front, the Iamport sandbox on its own port, one SQLite file, one injected clock.
 * The sandbox's demo merchant sends its webhooks to the store's notification URL.
 */
export async function startMonitorStack(
  options: { clock?: Clock; store?: Partial<StoreInput> } = {},
): Promise<MonitorStack> {
  const h = await createMonitorHarness({ clock: options.clock });
  const log = pino({ level: 'silent' });
  const sandbox = await startSandbox({
    config: { enabled: true, host: '127.0.0.1', port: 0, publicUrl: null, merchant: SANDBOX_MERCHANT },
    dataDir: h.t.dir,
    log,
    now: h.clock.now,
  });
  const build = (await import(pathToFileURL(path.join(repoRoot, 'build/index.js')).href)) as ServerBuild;
  const app = createAppServer({ build, context: h.ctx, log, publicDir: path.join(repoRoot, 'public') });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const appUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const { store, apiKey } = await h.addStore({ slug: 'shop', apiBaseUrl: sandbox.url, ...options.store });
  const control = <T = unknown>(method: string, p: string, body?: unknown) =>
    sandboxControl<T>(sandbox.url, method, p, body);
  await control('PATCH', `merchants/${SANDBOX_MERCHANT.impCode}`, {
    webhook_url: `${appUrl}/webhooks/iamport/${store.slug}`,
    webhook_format: 'json',
  });

  return {
    ...h,
    appUrl,
    sandbox,
    store,
    apiKey,
    control,
    registerOrder: (order) =>
      fetch(`${appUrl}/api/v1/stores/${store.slug}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(order),
      }),
    redirect: (query) => fetch(`${appUrl}/payments/${store.slug}/complete?${query}`, { redirect: 'manual' }),
    flushWebhooks: async () => {
      await control('POST', 'tick');
      let total = 0;
      for (let n = await processWebhookBatch(h.ctx); n > 0; n = await processWebhookBatch(h.ctx)) total += n;
      return total;
    },
    stop: async () => {
      await app.drain(1000);
      await sandbox.close();
      await h.close();
    },
  };
}
