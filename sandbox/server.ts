import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SandboxConfig } from '../app/config.server';
import type { Log } from '../app/logger.server';
import { finishWindow, serveScript, showReceipt, showWindow, startCheckout } from './checkout';
import { createSandboxClock } from './clock';
import type { SandboxContext, ShopOptions } from './context';
import { handleControls } from './controls';
import { listensOnLoopbackOnly, ownHostsOf } from './control-guard';
import { openSandboxDb } from './db/connection';
import { SandboxError, pathSegments, sendEnvelope, sendHtml } from './http';
import { MerchantDirectory } from './merchants';
import { errorPage } from './pages';
import { getToken, handlePayments } from './rest';
import { MSG } from './rules';
import { shopOptionsSchema } from './schemas';
import { registerShopOrder, showResult, showShop } from './shop';
import { TokenStore } from './tokens';
import { DEFAULT_WEBHOOK_TIMEOUTS, WebhookScheduler, type AttemptReport, type WebhookTimeouts } from './webhooks';

export type { ShopOptions } from './context';

export type SandboxOptions = {
  config: SandboxConfig;
  /** `<dataDir>/sandbox.db` holds the sandbox's state. */
  dataDir: string;
  log: Log;
  /** Drives token lifetime, payment times and the webhook scheduler; tests inject a clock. */
  now?: () => Date;
  /** The demo shop's link to a monitor (null or absent: results land on /shop/result). */
  shop?: ShopOptions | null;
  /** Webhook timeouts (iamport-facts §5.5 by default); tests shorten them. */
  webhookTimeouts?: Partial<WebhookTimeouts>;
};

export type RunningSandbox = {
  url: string;
  port: number;
  close: () => Promise<void>;
  /**
   * Called by the monitor after it created its demo store: the demo merchant's notification URL
   * (its webhooks go to the monitor) and the demo shop's link to the monitor's orders API.
   */
  configureDemo: (options: { webhookUrl: string; shop: ShopOptions }) => Promise<void>;
  /** Points the demo shop at a monitor (or back at /shop/result with null). */
  setShop: (shop: ShopOptions | null) => void;
  /** Runs webhook deliveries due on the sandbox clock and resolves with their attempts. */
  tick: () => Promise<AttemptReport[]>;
  /** Moves the sandbox clock forward, then runs what became due. */
  advance: (seconds: number) => Promise<AttemptReport[]>;
  /** The sandbox clock, in unix seconds. */
  now: () => number;
};

const REST_ROOTS = new Set(['payments']);

/**
 * Starts the Iamport V1 emulator on its own port: the REST API, the browser flow, the demo shop
 * and the `/__sandbox` controls (docs/decisions/0100-sandbox-architecture.md).
 */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const { config, log } = options;
  const clock = createSandboxClock(options.now);
  const handle = await openSandboxDb(options.dataDir);
  const db = handle.db;
  const merchants = new MerchantDirectory(db);
  await merchants.load();
  await merchants.ensureDemo(config.merchant, clock.nowS());
  const webhooks = new WebhookScheduler({
    db,
    log,
    clock,
    timeouts: { ...DEFAULT_WEBHOOK_TIMEOUTS, ...options.webhookTimeouts },
  });

  const ctx: SandboxContext = {
    db,
    log,
    clock,
    baseUrl: config.publicUrl ?? '',
    publicUrl: config.publicUrl,
    merchants,
    tokens: new TokenStore(db),
    webhooks,
    shop: { current: options.shop ? shopOptionsSchema.parse(options.shop) : null },
    demoWebhookUrl: { current: merchants.demo().webhook_url },
    config: config.merchant,
    ownHosts: new Set(),
  };

  const server: Server = createServer((req, res) => {
    void route(ctx, req, res).catch((error: unknown) => fail(ctx, req, res, error));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host =
    config.host === '0.0.0.0' || config.host === '::'
      ? '127.0.0.1'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
  const url = `http://${host}:${port}`;
  if (!config.publicUrl) ctx.baseUrl = url;
  ctx.ownHosts = ownHostsOf(port, config.host, config.publicUrl);
  if (!listensOnLoopbackOnly(config.host))
    log.warn(
      { host: config.host, port },
      'the sandbox listens beyond loopback: its /__sandbox controls are unauthenticated and reachable from the network',
    );
  await webhooks.start();
  log.info({ url, merchant: config.merchant.impCode, data: handle.filename }, 'sandbox listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        await webhooks.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Hanging requests (the `hang` fault) and idle keep-alive sockets would hold close().
          server.closeAllConnections();
        });
        await handle.close();
      })()),
    configureDemo: async ({ webhookUrl, shop }) => {
      ctx.demoWebhookUrl.current = webhookUrl;
      await merchants.update(merchants.demo(), { webhook_url: webhookUrl });
      ctx.shop.current = shopOptionsSchema.parse(shop);
    },
    setShop: (shop) => {
      ctx.shop.current = shop ? shopOptionsSchema.parse(shop) : null;
    },
    tick: () => webhooks.runDue(),
    advance: (seconds) => {
      clock.advance(seconds * 1000);
      return webhooks.runDue();
    },
    now: () => clock.nowS(),
  };
}

async function route(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = requestUrl(req.url);
  const segments = pathSegments(url.pathname.replace(/\/$/, '') || '/');
  const method = req.method ?? 'GET';
  const [root = '', second] = segments;

  if (REST_ROOTS.has(root)) return handlePayments(ctx, req, res, url, segments);
  if (root === 'users' && second === 'getToken' && segments.length === 2) {
    if (method !== 'POST') throw new SandboxError(405, MSG.badMethod);
    return getToken(ctx, req, res);
  }
  if (root === '__sandbox') return handleControls(ctx, req, res, url, segments);

  // The browser side.
  if (method === 'GET' && segments.length === 1 && root === '') return showShop(ctx, res);
  if (method === 'GET' && root === 'iamport.js' && segments.length === 1) return serveScript(ctx, req, res);
  if (root === 'checkout') {
    if (method === 'POST' && second === 'start' && segments.length === 2) return startCheckout(ctx, req, res);
    if (method === 'GET' && segments.length === 2 && second) return showWindow(ctx, res, second);
    if (method === 'POST' && segments.length === 3 && second && segments[2] === 'complete')
      return finishWindow(ctx, req, res, second);
    return sendHtml(res, 404, errorPage('Not found', 'No such page in the payment window.'));
  }
  if (root === 'shop') {
    if (method === 'POST' && second === 'orders' && segments.length === 2) return registerShopOrder(ctx, req, res);
    if (method === 'GET' && second === 'result' && segments.length === 2) return showResult(res, url);
  }
  if (method === 'GET' && root === 'receipts' && segments.length === 2 && second) return showReceipt(ctx, res, second);
  if (method === 'GET' && root === 'favicon.ico') {
    res.writeHead(204);
    return void res.end();
  }
  throw new SandboxError(404, MSG.unknownPath);
}

/** The request target as a URL; `//x` stays a path and `*` or garbage is a 400, not a crash. */
function requestUrl(target: string | undefined): URL {
  if (!target?.startsWith('/')) throw new SandboxError(400, MSG.unknownPath);
  try {
    return new URL(`http://sandbox.invalid${target}`);
  } catch {
    throw new SandboxError(400, MSG.unknownPath);
  }
}

/** Expected refusals become envelopes; anything else is logged and answered 500, never a stack. */
function fail(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (error instanceof SandboxError) {
    if (!res.headersSent) sendEnvelope(res, error.status, error.code, error.message, null);
    else res.destroy();
    // A body we refused to read must not be left half-sent on a keep-alive socket.
    if (error.status === 413) res.once('finish', () => req.destroy());
    return;
  }
  ctx.log.error({ err: error, method: req.method, url: req.url }, 'sandbox request failed');
  if (!res.headersSent) sendEnvelope(res, 500, -1, 'sandbox internal error', null);
  else res.destroy();
}
