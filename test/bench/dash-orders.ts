import SQLite from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../db/connection';
import { countOpenReasonsByKind, listOpenReasons } from '../../db/attention-queue';
import {
  choosePageDriver,
  distinctOrderValues,
  listOrderPage,
  orderPageQuery,
  type OrderPageQuery,
} from '../../db/payment-log';
import { migrateToLatest } from '../../db/migrate';
import { exportOrderLogCsv } from '../../app/monitor/dashboard/csv-export.server';

/**
 * `npm run bench -- dash-orders [orders]`: the payment log's queries at 1,000,000 orders
 * (default). Prints each query's plan (EXPLAIN QUERY PLAN) and its median time as a ratio of
 * the baseline, the unfiltered first page. A plan with `USE TEMP B-TREE FOR ORDER BY` over a
 * large set, or a `SCAN "order"` without an index, is the regression to look for.
 */
export async function main(args: string[]): Promise<void> {
  const total = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  // --db=FILE keeps the seeded database for the next run (seeding 1M orders takes a while).
  const kept = args.find((a) => a.startsWith('--db='))?.slice('--db='.length);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-dash-orders-'));
  const filename = kept ?? path.join(dir, 'bench.db');
  const reuse = kept !== undefined && existsSync(kept);
  const handle = openDatabase({ dialect: 'sqlite', filename });
  try {
    await migrateToLatest(handle.db);
    const raw = new SQLite(filename);
    raw.pragma('journal_mode = WAL');
    if (!reuse) {
      const seeded = seed(raw, total);
      console.log(`seeded ${total} orders in ${seeded} ms`);
    }
    // Production databases are rarely ANALYZEd: plans must hold without statistics too.
    if (args.includes('--analyze')) raw.exec('analyze');

    const count = (raw.prepare(`select count(*) as n from "order"`).get() as { n: number }).n;
    const midway = raw
      .prepare(`select created_at, id from "order" order by created_at desc, id desc limit 1 offset ?`)
      .get(Math.floor(count / 2)) as { created_at: string; id: number };
    const base: Omit<OrderPageQuery, 'filter'> = { sort: 'created', direction: 'desc', limit: 50 };
    const cases: [string, OrderPageQuery][] = [
      ['first page (baseline)', { ...base, filter: {} }],
      ['middle page (cursor)', { ...base, filter: {}, after: { value: midway.created_at, id: midway.id } }],
      ['previous page (cursor)', { ...base, filter: {}, before: { value: midway.created_at, id: midway.id } }],
      ['store', { ...base, filter: { storeId: 2 } }],
      ['status paid', { ...base, filter: { status: 'paid' } }],
      ['status mismatch (rare)', { ...base, filter: { status: 'mismatch' } }],
      ['store + status', { ...base, filter: { storeId: 2, status: 'failed' } }],
      ['any open reason', { ...base, filter: { reason: 'any' } }],
      ['reason unverified', { ...base, filter: { reason: 'unverified' } }],
      ['pay method vbank', { ...base, filter: { payMethod: 'vbank' } }],
      ['pg kcp', { ...base, filter: { pgProvider: 'kcp' } }],
      [
        'date range (1 week)',
        { ...base, filter: { createdFrom: '2026-03-01T00:00:00.000Z', createdBefore: '2026-03-08T00:00:00.000Z' } },
      ],
      ['amount range (narrow, no match)', { ...base, filter: { amountMin: 12_345, amountMax: 12_400 } }],
      ['amount range (one value)', { ...base, filter: { amountMin: 12_500, amountMax: 12_500 } }],
      ['store + amount (one value)', { ...base, filter: { storeId: 2, amountMin: 12_500, amountMax: 12_500 } }],
      ['search broad prefix', { ...base, filter: { search: 'ord-' } }],
      ['reason any + sort created', { ...base, filter: { reason: 'any' } }],
      ['search merchant_uid prefix', { ...base, filter: { search: 'ord-0004242' } }],
      ['search buyer name', { ...base, filter: { search: '김민준42' } }],
      ['search merchant_uid prefix (broad)', { ...base, filter: { search: 'ord-00' } }],
      ['search imp_uid', { ...base, filter: { search: 'imp_000000424242' } }],
      ['sort amount desc', { ...base, sort: 'amount', filter: {} }],
      [
        'sort amount asc + cursor',
        { ...base, sort: 'amount', direction: 'asc', filter: {}, after: { value: 50_000, id: 1 } },
      ],
      ['sort updated desc', { ...base, sort: 'updated', filter: {} }],
      ['status + sort updated', { ...base, sort: 'updated', filter: { status: 'pending' } }],
      ['status paid + sort amount', { ...base, sort: 'amount', filter: { status: 'paid' } }],
      ['store + sort amount', { ...base, sort: 'amount', filter: { storeId: 1 } }],
      ['store + sort updated asc', { ...base, sort: 'updated', direction: 'asc', filter: { storeId: 1 } }],
      ['any reason + sort amount', { ...base, sort: 'amount', filter: { reason: 'any' } }],
      ['any reason + sort updated', { ...base, sort: 'updated', filter: { reason: 'any' } }],
      ['method + sort amount', { ...base, sort: 'amount', filter: { payMethod: 'phone' } }],
      [
        'date (6 months) + sort amount',
        { ...base, sort: 'amount', filter: { createdFrom: '2026-05-01T00:00:00.000Z' } },
      ],
      ['amount (wide) + sort created', { ...base, filter: { amountMin: 1000 } }],
      [
        'store + status + method + sort updated',
        { ...base, sort: 'updated', filter: { storeId: 3, status: 'paid', payMethod: 'card' } },
      ],
      [
        'store + method + date',
        { ...base, filter: { storeId: 1, payMethod: 'card', createdFrom: '2026-06-01T00:00:00.000Z' } },
      ],
    ];

    // Each figure includes choosing the driver (the probes), as the page pays for it.
    const baseline = await timeIt(() => listOrderPage(handle.db, cases[0]![1]));
    for (const [name, query] of cases) {
      const driver = await choosePageDriver(handle.db, query.filter, query.sort);
      const compiled = orderPageQuery(handle.db, query, driver).compile();
      const plan = raw.prepare(`explain query plan ${compiled.sql}`).all(...(compiled.parameters as unknown[])) as {
        detail: string;
      }[];
      const ms = await timeIt(() => listOrderPage(handle.db, query));
      console.log(`\n${name}: ${ms.toFixed(2)} ms (${(ms / baseline).toFixed(1)}x baseline), driven by ${driver}`);
      for (const step of plan) console.log(`  ${step.detail}`);
    }
    const others: [string, () => Promise<unknown>][] = [
      ['distinct pay methods', () => distinctOrderValues(handle.db, 'pay_method')],
      ['attention counts', () => countOpenReasonsByKind(handle.db)],
      ['attention group page', () => listOpenReasons(handle.db, { reason: 'unverified', limit: 25 })],
    ];
    for (const [name, run] of others) {
      const ms = await timeIt(run);
      console.log(`\n${name}: ${ms.toFixed(2)} ms (${(ms / baseline).toFixed(1)}x baseline)`);
    }
    // The CSV export of a large filtered set, streamed chunk by chunk (memory stays flat).
    for (const params of ['status=failed', 'method=vbank&sort=amount']) {
      const started = performance.now();
      const { body } = await exportOrderLogCsv({ db: handle.db }, new URLSearchParams(params), new Date());
      let bytes = 0;
      let lines = 0;
      const reader = body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        bytes += chunk.value.byteLength;
        for (const b of chunk.value) if (b === 10) lines++;
      }
      const ms = performance.now() - started;
      console.log(
        `\nCSV export ${params}: ${lines - 1} rows, ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms (${Math.round(((lines - 1) / ms) * 1000)} rows/s; ${(ms / baseline).toFixed(0)}x baseline)`,
      );
    }
    raw.close();
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeIt(run: () => Promise<unknown>, rounds = 7): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(rounds / 2)]!;
}

const STATUSES: [string, number][] = [
  ['paid', 0.8],
  ['failed', 0.08],
  ['pending', 0.05],
  ['cancelled', 0.04],
  ['vbank_issued', 0.02],
  ['partially_cancelled', 0.009],
  ['mismatch', 0.001],
];
const METHODS: [string, number][] = [
  ['card', 0.7],
  ['kakaopay', 0.1],
  ['vbank', 0.1],
  ['trans', 0.08],
  ['phone', 0.02],
];
const PGS = ['html5_inicis', 'kcp', 'nice', 'kakaopay', 'tosspayments'];
const NAMES = ['김민준', '이서연', '박지호', '최하은', '정도윤', '강서준', '조수아', '윤지우'];
const REASONS = ['unverified', 'missing_flag', 'redirect_without_webhook', 'amount_mismatch'];

function pick(table: [string, number][], r: number): string {
  let acc = 0;
  for (const [value, p] of table) {
    acc += p;
    if (r < acc) return value;
  }
  return table[0]![0];
}

/** Deterministic pseudo-random orders over 2026, three stores, ~0.5% with an open reason. */
function seed(raw: SQLite.Database, total: number): number {
  const started = performance.now();
  const now = '2026-11-24T00:00:00.000Z';
  const insertStore = raw.prepare(
    `insert into store (slug, name, imp_code, imp_key, imp_secret_enc, api_base_url, webhook_ip_policy, mismatch_policy, webhook_grace_seconds, stale_pending_seconds, api_key_hash, api_key_prefix, created_at, updated_at)
     values (?, ?, 'imp10000000', 'k', 's', 'http://127.0.0.1:9', 'log', 'flag', 600, 1800, 'h', 'p', ?, ?)`,
  );
  for (const slug of ['alpha', 'beta', 'gamma']) insertStore.run(slug, slug, now, now);
  const insertOrder = raw.prepare(
    `insert into "order" (store_id, merchant_uid, expected_amount, currency, name, source, status, imp_uid, gateway_status, paid_amount, cancel_amount, pay_method, pg_provider, buyer_name, created_at, updated_at, paid_at, next_check_at, check_attempts, open_reason_count)
     values (?, ?, ?, 'KRW', '상품', 'api', ?, ?, null, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertReason = raw.prepare(
    `insert into attention_reason (order_id, reason, opened_at, detail) values (?, ?, ?, null)`,
  );
  // xorshift32: deterministic, and uncorrelated enough that filters hit rows spread over time.
  let state = 0x9e3779b9;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const span = Date.parse('2026-11-24T00:00:00.000Z') - start;
  raw.transaction(() => {
    for (let i = 1; i <= total; i++) {
      // Seconds resolution: many orders share a created_at, as bursts do in production.
      const created = new Date(start + Math.floor((rand() * span) / 1000) * 1000).toISOString();
      const updated = new Date(Date.parse(created) + Math.floor(rand() * 600) * 1000).toISOString();
      const status = pick(STATUSES, rand());
      const amount = 1000 + Math.floor(rand() * 200) * 500;
      const open = rand() < 0.005;
      const info = insertOrder.run(
        1 + Math.floor(rand() * 3),
        `ord-${String(i).padStart(7, '0')}`,
        amount,
        status,
        status === 'pending' ? null : `imp_${String(i).padStart(12, '0')}`,
        status === 'paid' ? amount : null,
        pick(METHODS, rand()),
        PGS[Math.floor(rand() * PGS.length)]!,
        `${NAMES[Math.floor(rand() * NAMES.length)]!}${i % 100}`,
        created,
        updated,
        status === 'paid' ? updated : null,
        open ? updated : null,
        open ? 2 : 0,
        open ? 1 : 0,
      );
      if (open) insertReason.run(Number(info.lastInsertRowid), REASONS[Math.floor(rand() * REASONS.length)]!, updated);
    }
  })();
  return Math.round(performance.now() - started);
}
