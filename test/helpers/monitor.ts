import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { createServer } from 'node:net';
import pino from 'pino';
import type { Db } from '../../db/connection';
import { openReasonsOf } from '../../db/orders';
import { databaseEnvFor, runNode } from './app-server';
import { loadConfig } from '~/config.server';
import { createAppContext, type AppContext, type RequestContext } from '~/context.server';
import { createStore, type Store, type StoreInput } from '~/monitor/stores/stores.server';
import type { Clock } from './clock';
import { createClock } from './clock';
import { createTestDb, type TestDb } from './db';

export { createClock, type Clock } from './clock';

export type MonitorHarness = {
  t: TestDb;
  ctx: AppContext;
  clock: Clock;
  addStore: (input?: Partial<StoreInput>) => Promise<{ store: Store; apiKey: string }>;
  close: () => Promise<void>;
};

/** A loopback port nothing listens on (fetch refuses "bad ports" like 9, so pick a real one). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real monitor context on a fresh SQLite file: what server/main.ts builds, with a test clock. */
export async function createMonitorHarness(
  options: { clock?: Clock; publicUrl?: string } = {},
): Promise<MonitorHarness> {
  const t = await createTestDb();
  const clock = options.clock ?? createClock();
  const config = loadConfig({
    DATA_DIR: t.dir,
    DATABASE_URL: t.url,
    APP_SECRET: 'test-secret-'.padEnd(40, 'x'),
    ...(options.publicUrl ? { PUBLIC_URL: options.publicUrl } : {}),
  });
  const ctx = createAppContext({ config, db: t.db, log: pino({ level: 'silent' }), now: clock.now });
  const downUrl = `http://127.0.0.1:${await closedPort()}`;
  let n = 0;
  return {
    t,
    ctx,
    clock,
    addStore: (input = {}) =>
      createStore(
        { db: t.db, now: clock.now, appSecret: config.appSecret },
        {
          slug: `store${++n}`,
          name: `Store ${n}`,
          impCode: 'imp10000000',
          impKey: 'sandbox_imp_key',
          impSecret: 'sandbox_imp_secret',
          // A closed port: the gateway is "down" unless a test points the store at the sandbox.
          apiBaseUrl: downUrl,
          ...input,
        },
      ),
    close: () => t.close(),
  };
}

/** The load context a route receives from server/app-server.ts, for calling loaders and actions directly. */
export function requestContext(ctx: AppContext, request: Request, clientIp = '127.0.0.1'): RequestContext {
  const url = new URL(request.url);
  return { ...ctx, clientIp, rawUrl: `${url.pathname}${url.search}` };
}

type RouteFn<A> = (args: A) => Promise<Response | unknown> | Response | unknown;

/** Calls a route function like Remix does and returns a Response (thrown responses included). */
export async function callRoute(
  fn: RouteFn<LoaderFunctionArgs> | RouteFn<ActionFunctionArgs>,
  request: Request,
  params: Record<string, string>,
  context: RequestContext,
): Promise<Response> {
  try {
    const result = await (fn as RouteFn<LoaderFunctionArgs>)({ request, params, context });
    if (result instanceof Response) return result;
    const init = result as { type?: string; data?: unknown; init?: ResponseInit | null };
    if (init && init.type === 'DataWithResponseInit') return Response.json(init.data, init.init ?? undefined);
    return Response.json(result);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** Calls a sandbox control (`/__sandbox/...`) and returns its `response`, failing loudly otherwise. */
export async function sandboxControl<T = unknown>(
  sandboxUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${sandboxUrl}/__sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as { code: number; message: string | null; response: T };
  if (!response.ok || json.code !== 0)
    throw new Error(`sandbox ${method} ${path}: HTTP ${response.status} ${json.message}`);
  return json.response;
}

/** The names of an order's open attention reasons, sorted (what most assertions compare). */
export async function openReasonNames(db: Db, orderId: number): Promise<string[]> {
  return (await openReasonsOf(db, orderId)).map((r) => r.reason).sort();
}

/** Adds a store through the built CLI (`npm run store -- add`) whose gateway is the given sandbox. */
export async function addStoreWithCli(options: {
  dataDir: string;
  env: Record<string, string>;
  slug: string;
  sandboxUrl: string;
  merchant: { impCode: string; impKey: string; impSecret: string };
}) {
  const { merchant } = options;
  return runNode(
    [
      'build/node/jobs/cli.js',
      'store',
      'add',
      '--slug',
      options.slug,
      '--name',
      options.slug,
      '--imp-code',
      merchant.impCode,
      '--imp-key',
      merchant.impKey,
      '--imp-secret',
      merchant.impSecret,
      '--api-base-url',
      options.sandboxUrl,
    ],
    { DATA_DIR: options.dataDir, ...(await databaseEnvFor(options.dataDir)), ...options.env },
  );
}
