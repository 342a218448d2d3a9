import type { LoaderFunctionArgs } from '@remix-run/node';
import { sql, type KyselyPlugin } from 'kysely';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, type DatabaseTarget } from '~/config.server';
import { createAppContext, type AppContext } from '~/context.server';
import { startSession } from '~/auth/session.server';
import { encodeCursor } from '~/monitor/dashboard/payment-log.server';
import {
  DISPLAY_OFFSET_MINUTES,
  readOverviewRollup,
  refreshOverview,
  resolveRange,
} from '~/monitor/dashboard/overview.server';
import { asciiLower, phoneDigits } from '~/monitor/search-keys';
import { listAuditEvents } from '../../db/audit';
import { openDatabase, type Db } from '../../db/connection';
import { rebuildOverviewRollup } from '../../db/overview-rollup';
import { listOrderPage, type OrderFilter, type OrderPageQuery } from '../../db/payment-log';
import { migrateToLatest } from '../../db/migrate';
import { migrations } from '../../db/migrations/index';
import { findOrderById, reasonsOf } from '../../db/orders';
import { listRunItemsForOrder } from '../../db/runs';
import { openSeedDatabase, seedDatabase } from '../../scripts/seed';
import { listStores } from '../../db/stores';
import { loadTimelineRows } from '../../db/timeline';
import { insertUserIfAbsent } from '../../db/users';
import { cookieHeader } from '../helpers/auth';

/**
 * `npm run bench -- dashboard`: the dashboard's loaders at 1,000,000 orders (BENCH_ORDERS to
 * change it, e.g. `BENCH_ORDERS=20000` for a smoke run), each called like Remix calls it (a signed-in
 * request, the real AppContext), next to the same reads run straight on the database. Prints
 * p50/p95 over BENCH_ROUNDS runs (default 40) per view, against the targets: log pages under
 * 50 ms p95, the overview under 150 ms p95.
 *
 * The seeded database is cached under /tmp, keyed by the migrations' code, the seed's code and the
 * size, so a second run starts at once (`--fresh` seeds again). The clock is fixed at the seed's
 * "now" and moves 1 s per request, so every 15th overview request also pays for its rollup refresh,
 * as in production.
 */

const SEED_NOW = new Date('2026-11-24T09:00:00.000Z');
const SECRET = 'bench-dashboard-secret-'.padEnd(40, 'x');
const TARGETS = { overview: 150, log: 50, order: 50 } as const;

type Case = { name: string; target: number | null; loader?: () => Promise<unknown>; db?: () => Promise<unknown> };
type Stats = { p50: number; p95: number; max: number };

function cacheFile(orders: number): string {
  const hash = createHash('sha256');
  for (const [name, m] of Object.entries(migrations)) hash.update(`${name}\n${String(m.up)}\n`);
  hash.update(readFileSync(path.join(import.meta.dirname, '../../scripts/seed.ts')));
  hash.update(`${orders}|${SEED_NOW.toISOString()}|3|365|1`);
  return path.join(tmpdir(), `monitor-bench-dashboard-${orders}-${hash.digest('hex').slice(0, 12)}.db`);
}

/**
 * On PostgreSQL (BENCH_DATABASE_URL, a CREATEDB role): the seeded database is kept in the cluster
 * under a name keyed like the SQLite cache file, so a second run against the same cluster starts
 * at once. Returns its URL.
 */
async function seededPostgresDatabase(adminUrl: string, orders: number, fresh: boolean): Promise<string> {
  const name = `monitor_bench_${path.basename(cacheFile(orders), '.db').replace(/[^a-z0-9]/g, '_')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    if (exists && !fresh) {
      console.log(`reusing database ${name}`);
      return url.toString();
    }
    // A database left by a seed cut short is dropped and seeded again (the name says complete
    // only once the seed finished: it is created under a partial name and renamed).
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`drop database if exists ${name}_partial with (force)`);
    await admin.query(`create database ${name}_partial template template0 encoding 'UTF8'`);
  } finally {
    await admin.end();
  }
  const partial = new URL(url);
  partial.pathname = `/${name}_partial`;
  await seedInto({ dialect: 'postgres', connectionString: partial.toString() }, orders, `database ${name}`);
  const rename = new pg.Client({ connectionString: adminUrl });
  await rename.connect();
  try {
    await rename.query(`alter database ${name}_partial rename to ${name}`);
  } finally {
    await rename.end();
  }
  return url.toString();
}

/** The cached seeded database, seeding it first when needed. */
async function seededDatabase(orders: number, fresh: boolean): Promise<string> {
  const file = cacheFile(orders);
  if (existsSync(file) && !fresh) {
    console.log(`reusing ${file}`);
    return file;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
  await seedInto({ dialect: 'sqlite', filename: partial }, orders, file);
  renameSync(partial, file);
  for (const f of [`${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
  return file;
}

async function seedInto(target: DatabaseTarget, orders: number, label: string): Promise<void> {
  const handle = openSeedDatabase(target);
  const dialect = target.dialect;
  try {
    await migrateToLatest(handle.db);
    console.log(`seeding ${orders.toLocaleString('en-US')} orders into ${label} …`);
    let shown = 0;
    const result = await seedDatabase(handle.db, {
      orders,
      stores: 3,
      days: 365,
      seed: 1,
      now: SEED_NOW,
      apiBaseUrl: 'http://127.0.0.1:9',
      appSecret: SECRET,
      dialect,
      sqlite: handle.sqlite,
      onProgress: (done, total) => {
        if (done - shown >= total / 10 || done === total) {
          shown = done;
          console.log(`  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
        }
      },
    });
    const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
    console.log(`seeded ${rows.toLocaleString('en-US')} rows in ${(result.ms / 1000).toFixed(1)} s`);
    const started = performance.now();
    const rebuilt = await rebuildOverviewRollup(
      { db: handle.db, dialect, offsetMinutes: DISPLAY_OFFSET_MINUTES, paidStatus: 'paid' },
      SEED_NOW,
    );
    console.log(
      `overview rollup rebuilt (${rebuilt.hours.toLocaleString('en-US')} hours) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (dialect === 'sqlite') await sql`pragma wal_checkpoint(truncate)`.execute(handle.db);
    else await sql`vacuum analyze`.execute(handle.db);
  } finally {
    await handle.close();
  }
}

function stats(times: number[]): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

async function measure(run: () => Promise<unknown>, rounds: number): Promise<Stats> {
  for (let i = 0; i < 3; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return stats(times);
}

/** Lets the route modules' stylesheet imports (`import href from './x.css'`) load outside the Remix compiler. */
function stubStylesheets() {
  const hooks = `export async function load(url, context, next) {
    if (url.endsWith('.css')) return { format: 'module', source: 'export default "/build/stub.css";', shortCircuit: true };
    return next(url, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

export async function main(args: string[] = []): Promise<void> {
  const orders = Number(process.env.BENCH_ORDERS ?? 1_000_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
  if (!Number.isInteger(orders) || orders < 100 || !Number.isInteger(rounds) || rounds < 5)
    throw new Error('BENCH_ORDERS must be an integer ≥ 100 and BENCH_ROUNDS ≥ 5');
  // BENCH_DATABASE_URL (run.ts hands it on as TEST_DATABASE_URL): the same views on PostgreSQL.
  const adminUrl = process.env.TEST_DATABASE_URL;
  const databaseUrl = adminUrl
    ? await seededPostgresDatabase(adminUrl, orders, args.includes('--fresh'))
    : `file:${await seededDatabase(orders, args.includes('--fresh'))}`;

  const config = loadConfig({
    DATA_DIR: tmpdir(),
    DATABASE_URL: databaseUrl,
    APP_SECRET: SECRET,
    JOBS: 'off',
    SANDBOX: 'off',
  });
  const handle = openDatabase(config.database);
  let clockMs = SEED_NOW.getTime();
  const now = () => new Date(clockMs);
  // Counts the statements each loader sends (the figure that explains PostgreSQL's ratio: each is a
  // round trip there, an in-process call on SQLite).
  let statements = 0;
  const counting: KyselyPlugin = {
    transformQuery: (args) => {
      statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  const ctx: AppContext = createAppContext({
    config,
    db: handle.db.withPlugin(counting),
    log: pino({ level: 'silent' }),
    now,
  });
  try {
    await migrateToLatest(handle.db);
    const db = handle.db;
    const cookie = await signIn(ctx);
    // Bring the rollup up to date outside the timings (a rebuild when its definition changed since the seed).
    const refreshStarted = performance.now();
    const refreshed = await refreshOverview(ctx);
    console.log(
      `overview rollup: ${refreshed.kind} refresh in ${(performance.now() - refreshStarted).toFixed(0)} ms before measuring`,
    );
    stubStylesheets();
    const overviewRoute = (await import('~/routes/_dash._index')) as RouteModule;
    const logRoute = (await import('~/routes/_dash.orders._index')) as RouteModule;
    const orderRoute = (await import('~/routes/_dash.orders.$orderId')) as RouteModule;

    const call = async (route: RouteModule, url: string, params: Record<string, string> = {}) => {
      clockMs += 1000;
      const request = new Request(`http://bench.local${url}`, { headers: { Cookie: cookie } });
      const u = new URL(request.url);
      const result = await route.loader({
        request,
        params,
        context: { ...ctx, clientIp: '127.0.0.1', rawUrl: `${u.pathname}${u.search}` },
      });
      if (result instanceof Response) throw new Error(`${url}: HTTP ${result.status}`);
      return result;
    };

    const stores = await listStores(db);
    const store2 = stores.find((s) => s.slug === 'seed-2')!;
    const cases: Case[] = [];

    // Overview: the loader (refresh included every 15th call) and the rollup reads it makes.
    // The same reads the overview page makes (the product's own code, not a copy of its range logic).
    const overviewDb = async (query: { from?: string; to?: string; store?: string }) => {
      const storeId = query.store ? stores.find((s) => s.slug === query.store)?.id : undefined;
      await Promise.all([listStores(db), readOverviewRollup(db, resolveRange(query, now()), storeId)]);
    };
    const day = (offset: number) =>
      new Date(SEED_NOW.getTime() + 9 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10);
    const overviews: [string, { from?: string; to?: string; store?: string }][] = [
      ['overview · last 30 days (default)', {}],
      ['overview · today, per hour', { from: day(0), to: day(0) }],
      ['overview · 365 days', { from: day(-364), to: day(0) }],
      ['overview · store seed-2, 90 days', { from: day(-89), to: day(0), store: 'seed-2' }],
    ];
    for (const [name, q] of overviews) {
      const search = new URLSearchParams(Object.entries(q) as [string, string][]).toString();
      cases.push({
        name,
        target: TARGETS.overview,
        loader: () => call(overviewRoute, `/${search ? `?${search}` : ''}`),
        db: () => overviewDb(q),
      });
    }
    cases.push({
      name: 'overview · no rollup: orders per day by status, 30 days, from "order"',
      target: null,
      db: () =>
        sql`select substr(created_at, 1, 10) as d, status, count(*) as n, sum(coalesce(paid_amount, expected_amount, 0)) as amount
            from "order" where created_at >= ${new Date(SEED_NOW.getTime() - 30 * 86_400_000).toISOString()} group by d, status`.execute(
          db,
        ),
    });

    // The payment log: default and three filtered views, first page and a page in the middle.
    const views: [string, string, OrderFilter][] = [
      ['all', '', {}],
      ['status=failed', 'status=failed', { status: 'failed' }],
      ['store=seed-2', 'store=seed-2', { storeId: store2.id }],
      ['needs attention', 'reason=any', { reason: 'any' }],
    ];
    for (const [label, search, filter] of views) {
      const base: OrderPageQuery = { filter, sort: 'created', direction: 'desc', limit: 50 };
      const middle = await middleKey(db, filter);
      const cursor = middle ? encodeCursor('created', 'desc', 'after', middle) : null;
      cases.push({
        name: `log · ${label} · first page`,
        target: TARGETS.log,
        loader: () => call(logRoute, `/orders${search ? `?${search}` : ''}`),
        db: () => listOrderPage(db, base),
      });
      if (cursor && middle) {
        const q = new URLSearchParams(search);
        q.set('cursor', cursor);
        cases.push({
          name: `log · ${label} · deep page`,
          target: TARGETS.log,
          loader: () => call(logRoute, `/orders?${q}`),
          db: () => listOrderPage(db, { ...base, after: middle }),
        });
      }
    }

    // The search box, by kind (decision 0157): first page, as the loader answers it (probe, page
    // and total count) and as the page query alone. Values taken from one real order.
    const sample = await db
      .selectFrom('order')
      .select(['merchant_uid', 'imp_uid', 'buyer_email', 'buyer_tel', 'name'])
      .where('buyer_tel', 'is not', null)
      .where('id', '>=', Math.floor(Number(orders) / 2))
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow();
    const email = sample.buyer_email!;
    const searches: [string, Record<string, string>, OrderFilter['search']][] = [
      ['id · exact imp_uid', { q: sample.imp_uid! }, { kind: 'id', text: sample.imp_uid!, buyerName: true }],
      [
        'id · merchant_uid prefix',
        { q: sample.merchant_uid.slice(0, -2) },
        { kind: 'id', text: sample.merchant_uid.slice(0, -2), buyerName: true },
      ],
      ['email · exact', { q: email, field: 'email' }, { kind: 'email', text: asciiLower(email) }],
      [
        'email · prefix (narrow)',
        { q: email.slice(0, email.indexOf('@')), field: 'email' },
        { kind: 'email', text: asciiLower(email.slice(0, email.indexOf('@'))) },
      ],
      [
        // About 1% of the orders: near the drive threshold, the costliest region for either plan.
        'email · prefix (~1%)',
        { q: email.slice(0, email.search(/\d/) + 1), field: 'email' },
        { kind: 'email', text: asciiLower(email.slice(0, email.search(/\d/) + 1)) },
      ],
      [
        'email · prefix (broad)',
        { q: email.slice(0, 3), field: 'email' },
        { kind: 'email', text: asciiLower(email.slice(0, 3)) },
      ],
      [
        'phone · whole number',
        { q: sample.buyer_tel!, field: 'phone' },
        { kind: 'phone', text: phoneDigits(sample.buyer_tel!)! },
      ],
      [
        'phone · first 7 digits',
        { q: phoneDigits(sample.buyer_tel!)!.slice(0, 7), field: 'phone' },
        { kind: 'phone', text: phoneDigits(sample.buyer_tel!)!.slice(0, 7) },
      ],
      [
        'phone · first 6 digits (~1%)',
        { q: phoneDigits(sample.buyer_tel!)!.slice(0, 6), field: 'phone' },
        { kind: 'phone', text: phoneDigits(sample.buyer_tel!)!.slice(0, 6) },
      ],
      ['phone · 010 (broad)', { q: '010', field: 'phone' }, { kind: 'phone', text: '010' }],
      ['name · prefix', { q: sample.name!, field: 'name' }, { kind: 'name', text: asciiLower(sample.name!) }],
      [
        'name · prefix + status=failed',
        { q: sample.name!.slice(0, 1), field: 'name', status: 'failed' },
        { kind: 'name', text: asciiLower(sample.name!.slice(0, 1)) },
      ],
    ];
    for (const [label, params, search] of searches) {
      const filter: OrderFilter = { search, ...(params.status ? { status: 'failed' as const } : {}) };
      cases.push({
        name: `log · search ${label}`,
        target: TARGETS.log,
        loader: () => call(logRoute, `/orders?${new URLSearchParams(params)}`),
        db: () => listOrderPage(db, { filter, sort: 'created', direction: 'desc', limit: 50 }),
      });
    }

    // An order page: an order with a redirect, a webhook and verifications.
    const order = await db
      .selectFrom('order')
      .innerJoin('webhook_delivery', 'webhook_delivery.order_id', 'order.id')
      .select('order.id')
      .where('order.id', '>', 0)
      .orderBy('order.id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    cases.push({
      name: 'order page · timeline of one order',
      target: TARGETS.order,
      loader: () => call(orderRoute, `/orders/${order.id}`, { orderId: String(order.id) }),
      db: () =>
        Promise.all([
          findOrderById(db, order.id),
          listStores(db),
          reasonsOf(db, order.id),
          loadTimelineRows(db, order.id),
          listAuditEvents(db, { targetType: 'order', targetId: String(order.id), limit: 100 }),
          listRunItemsForOrder(db, order.id),
        ]),
    });

    const total = (
      await db
        .selectFrom('order')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    console.log(
      `\n${Number(total).toLocaleString('en-US')} orders · ${rounds} rounds per view after 3 warm-ups · times in ms\n`,
    );
    const header = ['view', 'loader p50', 'loader p95', 'statements', 'db p50', 'db p95', 'target p95', ''];
    const rows: string[][] = [];
    let failures = 0;
    for (const c of cases) {
      const loader = c.loader ? await measure(c.loader, rounds) : null;
      const direct = c.db ? await measure(c.db, rounds) : null;
      statements = 0;
      if (c.loader) await c.loader();
      const sent = c.loader ? String(statements) : '—';
      const ok = c.target === null || loader === null ? '' : loader.p95 <= c.target ? 'ok' : 'SLOW';
      if (ok === 'SLOW') failures++;
      const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
      rows.push([
        c.name,
        f(loader?.p50),
        f(loader?.p95),
        sent,
        f(direct?.p50),
        f(direct?.p95),
        c.target === null ? '—' : `< ${c.target}`,
        ok,
      ]);
    }
    printTable(header, rows);
    console.log(failures === 0 ? '\nevery view within its target' : `\n${failures} view(s) over target`);
  } finally {
    await handle.close();
  }
}

type RouteModule = { loader: (args: LoaderFunctionArgs) => Promise<unknown> };

async function signIn(ctx: AppContext): Promise<string> {
  const at = ctx.now().toISOString();
  await insertUserIfAbsent(ctx.db, {
    email: 'bench@example.com',
    role: 'admin',
    password_hash: 'scrypt$bench$unusable',
    disabled_at: null,
    last_sign_in_at: null,
    created_at: at,
    updated_at: at,
  });
  const user = await ctx.db
    .selectFrom('user')
    .select('id')
    .where('email', '=', 'bench@example.com')
    .executeTakeFirstOrThrow();
  const { setCookie } = await startSession(ctx, user.id, { ip: '127.0.0.1', userAgent: 'bench' });
  return cookieHeader([setCookie]);
}

/** The key half-way down a view (newest first): where a "deep page" starts. Measured once, not timed. */
async function middleKey(db: Db, filter: OrderFilter): Promise<{ value: string; id: number } | null> {
  let q = db.selectFrom('order').select(['created_at', 'id']);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.storeId !== undefined) q = q.where('store_id', '=', filter.storeId);
  if (filter.reason === 'any') q = q.where(sql<boolean>`open_reason_count > 0`);
  const count = Number(
    (
      await q
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (count < 100) return null;
  const row = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .offset(Math.floor(count / 2))
    .limit(1)
    .executeTakeFirst();
  return row ? { value: row.created_at, id: row.id } : null;
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
