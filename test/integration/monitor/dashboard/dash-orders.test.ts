import SQLite from 'better-sqlite3';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loader as exportLoader } from '~/routes/_dash.orders.export[.csv]';
import { loader as logLoader } from '~/routes/_dash.orders._index';
import { loader as orderLoader } from '~/routes/_dash.orders.$orderId';
import { AppError } from '~/errors';
import { createStore, type Store } from '~/monitor/stores/stores.server';
import { csvField, csvLine, CSV_COLUMNS, exportOrderLogCsv } from '~/monitor/dashboard/csv-export.server';
import { orderDetail } from '~/monitor/dashboard/order-page.server';
import { orderLog, orderLogPage, parseOrderLogParams, type OrderLogItem } from '~/monitor/dashboard/payment-log.server';
import {
  choosePageDriver,
  orderPageQuery,
  listOrderPage,
  type OrderFilter,
  type OrderSort,
  type PageDriver,
} from '../../../../db/payment-log';
import { recordAudit } from '~/auth/audit.server';
import { callRoute, createAuthHarness, makeRequest, type AuthHarness } from '../../../helpers/auth';
import type { AttentionReason, OrderStatus } from '~/monitor/status';

/**
 * The payment log's queries on a real SQLite file: every filter, keyset pages across ties in
 * each sort order and direction, forwards and backwards, the same answer whichever filter
 * drives the scan, CSV escaping, and clear 400s for bad parameters.
 */

type Fixture = {
  id: number;
  store_id: number;
  merchant_uid: string;
  imp_uid: string | null;
  status: OrderStatus;
  expected_amount: number | null;
  paid_amount: number | null;
  pay_method: string | null;
  pg_provider: string | null;
  buyer_name: string | null;
  created_at: string;
  updated_at: string;
  reasons: string[];
};

const STATUSES: OrderStatus[] = ['paid', 'paid', 'paid', 'failed', 'pending', 'cancelled', 'vbank_issued', 'mismatch'];
const METHODS = ['card', 'card', 'vbank', 'trans', null];
const PGS = ['html5_inicis', 'kcp', 'nice'];
const NAMES = ['김민준', '이서연', 'Kim', '=HYPERLINK("http://x","y")', 'O"Brien, Jr.', null];
const REASONS: AttentionReason[] = ['unverified', 'missing_flag', 'redirect_without_webhook'];

describe('payment log queries', () => {
  let h: AuthHarness;
  let stores: Store[];
  const fixtures: Fixture[] = [];

  beforeAll(async () => {
    h = await createAuthHarness();
    const deps = { db: h.t.db, now: h.clock.now, appSecret: h.config.appSecret };
    const base = { impCode: 'imp10000000', impKey: 'k', impSecret: 's', apiBaseUrl: 'http://127.0.0.1:9' };
    stores = [
      (await createStore(deps, { ...base, slug: 'alpha', name: 'Alpha' })).store,
      (await createStore(deps, { ...base, slug: 'beta', name: 'Beta' })).store,
    ];
    // 240 orders over three days in KST, with deliberate ties: 12 distinct created times and
    // amounts that repeat, so every page boundary falls inside a run of equal sort values.
    let state = 7;
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    const times = Array.from({ length: 12 }, (_, i) =>
      new Date(Date.parse('2026-11-20T14:30:00.000Z') + i * 5 * 3600_000).toISOString(),
    );
    for (let i = 0; i < 240; i++) {
      const status = STATUSES[rand(STATUSES.length)]!;
      const expected = i % 37 === 0 ? null : 1000 * (1 + rand(8));
      const paid =
        status === 'paid' || status === 'mismatch' ? (expected ?? 3000) + (status === 'mismatch' ? 100 : 0) : null;
      const created = times[rand(times.length)]!;
      const row = {
        store_id: stores[rand(2)]!.id,
        merchant_uid: `ord-${String(i).padStart(4, '0')}`,
        expected_amount: expected,
        currency: 'KRW',
        name: 'item',
        source: 'api',
        status,
        imp_uid: status === 'pending' ? null : `imp_${String(100000000000 + i)}`,
        gateway_status: null,
        paid_amount: paid,
        cancel_amount: null,
        pay_method: METHODS[rand(METHODS.length)]!,
        pg_provider: PGS[rand(PGS.length)]!,
        buyer_name: NAMES[rand(NAMES.length)]!,
        vbank_due_at: null,
        prepared_at: null,
        created_at: created,
        updated_at: times[rand(times.length)]!,
        paid_at: null,
        last_checked_at: null,
        next_check_at: null,
        open_reason_count: 0,
      };
      const inserted = await h.t.db.insertInto('order').values(row).returning('id').executeTakeFirstOrThrow();
      const reasons: AttentionReason[] =
        i % 5 === 0 ? [REASONS[rand(REASONS.length)]!] : i % 11 === 0 ? ['unverified', 'missing_flag'] : [];
      for (const reason of reasons)
        await h.t.db
          .insertInto('attention_reason')
          .values({ order_id: inserted.id, reason, opened_at: created, detail: null })
          .execute();
      // A resolved reason must not count as open.
      if (i % 7 === 0)
        await h.t.db
          .insertInto('attention_reason')
          .values({
            order_id: inserted.id,
            reason: 'amount_mismatch',
            opened_at: created,
            detail: null,
            resolved_at: created,
            resolved_by: 'gateway',
          })
          .execute();
      if (reasons.length)
        await h.t.db
          .updateTable('order')
          .set({ open_reason_count: reasons.length })
          .where('id', '=', inserted.id)
          .execute();
      fixtures.push({ id: inserted.id, ...row, reasons });
    }
  });
  afterAll(() => h?.close());

  // ------------------------------------------------------------------------------------------
  // The reference: the same filters and orders, computed in plain TypeScript.

  const amountOf = (f: Fixture) => f.expected_amount ?? f.paid_amount ?? 0;
  const sortValue = (f: Fixture, sort: OrderSort) =>
    sort === 'created' ? f.created_at : sort === 'updated' ? f.updated_at : amountOf(f);
  function reference(filter: OrderFilter, sort: OrderSort, dir: 'asc' | 'desc'): number[] {
    const q = filter.search;
    return fixtures
      .filter(
        (f) =>
          (filter.storeId === undefined || f.store_id === filter.storeId) &&
          (filter.status === undefined || f.status === filter.status) &&
          (filter.payMethod === undefined || f.pay_method === filter.payMethod) &&
          (filter.pgProvider === undefined || f.pg_provider === filter.pgProvider) &&
          (filter.createdFrom === undefined || f.created_at >= filter.createdFrom) &&
          (filter.createdBefore === undefined || f.created_at < filter.createdBefore) &&
          (filter.amountMin === undefined || amountOf(f) >= filter.amountMin) &&
          (filter.amountMax === undefined || amountOf(f) <= filter.amountMax) &&
          (filter.reason === undefined ||
            (filter.reason === 'any' ? f.reasons.length > 0 : f.reasons.includes(filter.reason))) &&
          (q === undefined || f.imp_uid === q || f.buyer_name === q || f.merchant_uid.startsWith(q)),
      )
      .sort((a, b) => {
        const [va, vb] = [sortValue(a, sort), sortValue(b, sort)];
        const c = va < vb ? -1 : va > vb ? 1 : a.id - b.id;
        return dir === 'asc' ? c : -c;
      })
      .map((f) => f.id);
  }

  async function walk(
    params: Record<string, string>,
    size: number,
  ): Promise<{ forward: number[]; backward: number[]; pages: number }> {
    const search = new URLSearchParams({ ...params, size: String(size) });
    const parsed = await parseOrderLogParams(h.ctx, search);
    const forward: number[] = [];
    const pages: { ids: number[]; prev: string | null }[] = [];
    let page = await orderLogPage(h.ctx, parsed);
    expect(page.first).toBe(true);
    for (;;) {
      forward.push(...page.items.map((i) => i.id));
      pages.push({ ids: page.items.map((i) => i.id), prev: page.prev });
      expect(page.items.length).toBeLessThanOrEqual(size);
      if (!page.next) break;
      expect(page.items.length).toBe(size);
      page = await orderLogPage(
        h.ctx,
        await parseOrderLogParams(h.ctx, new URLSearchParams({ ...params, size: String(size), cursor: page.next })),
      );
    }
    // Back from the last page with each page's "previous" cursor: the same pages, in reverse.
    const backward: number[] = [...pages[pages.length - 1]!.ids];
    let prev = pages[pages.length - 1]!.prev;
    while (prev) {
      const back = await orderLogPage(
        h.ctx,
        await parseOrderLogParams(h.ctx, new URLSearchParams({ ...params, size: String(size), cursor: prev })),
      );
      backward.unshift(...back.items.map((i) => i.id));
      prev = back.prev;
      if (!prev) expect(back.first).toBe(true);
    }
    return { forward, backward, pages: pages.length };
  }

  describe('keyset pagination', () => {
    it.each([
      ['created', 'desc'],
      ['created', 'asc'],
      ['updated', 'desc'],
      ['updated', 'asc'],
      ['amount', 'desc'],
      ['amount', 'asc'],
    ] as const)('walks every row once by %s %s, across ties, forwards and backwards', async (sort, dir) => {
      const expected = reference({}, sort, dir);
      const { forward, backward, pages } = await walk({ sort, dir }, 7);
      expect(forward).toEqual(expected);
      expect(backward).toEqual(expected);
      expect(pages).toBe(Math.ceil(240 / 7));
    });

    it('keeps the filters while paging', async () => {
      const { forward } = await walk({ status: 'paid', store: 'beta', sort: 'amount' }, 5);
      expect(forward).toEqual(reference({ status: 'paid', storeId: stores[1]!.id }, 'amount', 'desc'));
    });

    it('uses no OFFSET: the page after a cursor is an index range', async () => {
      const compiled = orderPageQuery(
        h.t.db,
        { filter: {}, sort: 'created', direction: 'desc', after: { value: fixtures[0]!.created_at, id: 5 }, limit: 50 },
        'sort',
      ).compile();
      expect(compiled.sql.toLowerCase()).not.toContain('offset');
      const plan = (await explain(compiled.sql, compiled.parameters)).join('\n');
      if (h.t.dialect === 'sqlite') expect(plan).toContain('SEARCH order USING INDEX order_created_idx (created_at<?)');
      // PostgreSQL: a range of the same index, not a scan from its start.
      else
        expect(plan).toMatch(/Index Scan (Backward )?using order_created_idx[^\n]*\n\s*Index Cond: [^\n]*created_at/);
    });
  });

  // ------------------------------------------------------------------------------------------
  // Filters: each against the reference, with every plan the page could choose.

  const kst = (day: string, plusDays = 0) =>
    new Date(Date.parse(`${day}T00:00:00+09:00`) + plusDays * 86_400_000).toISOString();
  const filterCases: [string, Record<string, string>, () => OrderFilter][] = [
    ['store', { store: 'alpha' }, () => ({ storeId: stores[0]!.id })],
    ['status', { status: 'failed' }, () => ({ status: 'failed' })],
    ['open reason of one kind', { reason: 'unverified' }, () => ({ reason: 'unverified' })],
    ['any open reason', { reason: 'any' }, () => ({ reason: 'any' })],
    ['a reason that is only ever resolved', { reason: 'amount_mismatch' }, () => ({ reason: 'amount_mismatch' })],
    ['pay method', { method: 'vbank' }, () => ({ payMethod: 'vbank' })],
    ['PG', { pg: 'kcp' }, () => ({ pgProvider: 'kcp' })],
    ['created from (KST day)', { from: '2026-11-22' }, () => ({ createdFrom: kst('2026-11-22') })],
    ['created to (KST day, inclusive)', { to: '2026-11-21' }, () => ({ createdBefore: kst('2026-11-21', 1) })],
    [
      'created on one KST day',
      { from: '2026-11-21', to: '2026-11-21' },
      () => ({ createdFrom: kst('2026-11-21'), createdBefore: kst('2026-11-21', 1) }),
    ],
    ['amount range', { min: '3000', max: '5000' }, () => ({ amountMin: 3000, amountMax: 5000 })],
    [
      'amount of an order nobody expected (paid amount)',
      { min: '3000', max: '3000' },
      () => ({ amountMin: 3000, amountMax: 3000 }),
    ],
    ['search: exact imp_uid', { q: 'imp_100000000042' }, () => ({ search: 'imp_100000000042' })],
    ['search: merchant_uid prefix', { q: 'ord-01' }, () => ({ search: 'ord-01' })],
    ['search: buyer name (Korean)', { q: '김민준' }, () => ({ search: '김민준' })],
    ['search: nothing matches', { q: 'nope' }, () => ({ search: 'nope' })],
    [
      'everything at once',
      {
        store: 'alpha',
        status: 'paid',
        method: 'card',
        pg: 'kcp',
        from: '2026-11-21',
        min: '1000',
        max: '7000',
        q: 'ord-0',
      },
      () => ({
        storeId: stores[0]!.id,
        status: 'paid',
        payMethod: 'card',
        pgProvider: 'kcp',
        createdFrom: kst('2026-11-21'),
        amountMin: 1000,
        amountMax: 7000,
        search: 'ord-0',
      }),
    ],
    [
      'reason + amount + method',
      { reason: 'any', min: '2000', method: 'card' },
      () => ({ reason: 'any', amountMin: 2000, payMethod: 'card' }),
    ],
  ];

  describe.each(['created', 'updated', 'amount'] as const)('filters, sorted by %s', (sort) => {
    it.each(filterCases)('%s', async (_name, params, filter) => {
      const expected = reference(filter(), sort, 'desc');
      const { forward } = await walk({ ...params, sort }, 9);
      expect(forward).toEqual(expected);
      // Whatever drives the scan, the answer is the same (only the cost differs).
      const drivers: PageDriver[] = ['sort', 'search', 'reason', 'amount', 'created', 'payMethod', 'pgProvider'];
      for (const driver of drivers) {
        const f = filter();
        const applicable =
          driver === 'sort' ||
          (driver === 'search' && f.search !== undefined) ||
          (driver === 'reason' && f.reason !== undefined) ||
          (driver === 'amount' && (f.amountMin !== undefined || f.amountMax !== undefined)) ||
          (driver === 'created' && (f.createdFrom !== undefined || f.createdBefore !== undefined)) ||
          (driver === 'payMethod' && f.payMethod !== undefined) ||
          (driver === 'pgProvider' && f.pgProvider !== undefined);
        if (!applicable) continue;
        const rows = await listOrderPage(h.t.db, { filter: f, sort, direction: 'desc', limit: 500 }, driver);
        expect(
          rows.map((r) => r.id),
          `driven by ${driver}`,
        ).toEqual(expected);
      }
    });
  });

  it('lets a selective filter drive the scan and the sort index drive otherwise', async () => {
    expect(await choosePageDriver(h.t.db, {}, 'created')).toBe('sort');
    expect(await choosePageDriver(h.t.db, { search: 'imp_100000000042' }, 'created')).toBe('search');
    expect(await choosePageDriver(h.t.db, { reason: 'unverified', status: 'paid' }, 'amount')).toBe('reason');
    // Store and status lead an index for every sort: never a reason to sort a match set.
    expect(await choosePageDriver(h.t.db, { storeId: 1, status: 'paid' }, 'amount')).toBe('sort');
    // Aligned with the sort: "any open reason, newest first" is the partial index itself.
    expect(await choosePageDriver(h.t.db, { reason: 'any' }, 'created')).toBe('sort');
  });

  it.each([
    ['newest first', { filter: {}, sort: 'created' }, 'order_created_idx'],
    ['a store by amount', { filter: { storeId: 1 }, sort: 'amount' }, 'order_store_amount_idx'],
    ['a status by last update', { filter: { status: 'paid' }, sort: 'updated' }, 'order_status_updated_idx'],
    ['a pay method, newest first', { filter: { payMethod: 'card' }, sort: 'created' }, 'order_pay_method_created_idx'],
    ['open reasons, newest first', { filter: { reason: 'any' }, sort: 'created' }, 'order_open_created_idx'],
  ] as const)('walks an index in sort order without sorting: %s', async (_name, query, index) => {
    const compiled = orderPageQuery(
      h.t.db,
      { ...query, filter: { ...query.filter }, direction: 'desc', limit: 50 },
      'sort',
    ).compile();
    const plan = (await explain(compiled.sql, compiled.parameters)).join('\n');
    expect(plan).toContain(index);
    expect(plan).not.toContain('TEMP B-TREE');
    expect(plan).not.toMatch(/\bSort\b/);
  });

  /**
   * The query plan, one line per node. SQLite: EXPLAIN QUERY PLAN on a second connection to the
   * same file (Kysely cannot prefix a compiled query). PostgreSQL: EXPLAIN with sequential scans
   * and sorts priced out, since on a few hundred rows it would rightly read the table and sort;
   * what is checked is that an index answers the query in its order.
   */
  async function explain(text: string, parameters: readonly unknown[]): Promise<string[]> {
    if (h.t.dialect === 'postgres') {
      return h.t.db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        await sql`set local enable_sort = off`.execute(trx);
        const result = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain ${text}`, [...parameters]),
        );
        return result.rows.map((r) => r['QUERY PLAN']);
      });
    }
    const raw = new SQLite(h.t.filename, { readonly: true });
    try {
      return (raw.prepare(`explain query plan ${text}`).all(...parameters) as { detail: string }[]).map(
        (r) => r.detail,
      );
    } finally {
      raw.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Parameters

  it.each([
    [{ status: 'bogus' }, 'status must be one of pending, paid'],
    [{ reason: 'nope' }, 'reason must be any or one of'],
    [{ from: '2026-13-01' }, 'from is not a real date'],
    [{ from: 'yesterday' }, 'from must be a date like 2026-11-24'],
    [{ from: '2026-11-24', to: '2026-11-01' }, 'to must not be before from'],
    [{ min: '-5' }, 'min must be 0 or more'],
    [{ min: '1.5' }, 'min must be a whole number'],
    [{ min: '100', max: '10' }, 'max must not be less than min'],
    [{ sort: 'name' }, 'sort must be one of created, updated, amount'],
    [{ dir: 'up' }, 'dir must be asc or desc'],
    [{ store: 'gamma' }, 'store "gamma" does not exist'],
    [{ method: "card'; drop table" }, 'method may hold letters, digits'],
    [{ cursor: 'garbage' }, 'cursor is not valid'],
    [{ size: '5000' }, 'size must be at most 200'],
  ])('refuses %j with a message naming the parameter', async (params, message) => {
    const error = await parseOrderLogParams(h.ctx, new URLSearchParams(params)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    expect((error as AppError).message).toContain(message);
  });

  it('refuses a cursor from another sort order', async () => {
    const first = await orderLog(h.ctx, new URLSearchParams({ size: '3' }));
    const error = await parseOrderLogParams(
      h.ctx,
      new URLSearchParams({ sort: 'amount', cursor: first.page.next! }),
    ).catch((e: unknown) => e);
    expect((error as AppError).message).toContain('cursor belongs to another sort order');
  });

  it('ignores blank parameters (an untouched GET form)', async () => {
    const parsed = await parseOrderLogParams(
      h.ctx,
      new URLSearchParams('q=&store=&status=&reason=&method=&pg=&from=&to=&min=&max=&sort=created&dir=desc'),
    );
    expect(parsed.filter).toEqual({});
  });

  // ------------------------------------------------------------------------------------------
  // CSV

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+82 10', "'+82 10"],
    ['-5', "'-5"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['김민준', '김민준'],
  ])('escapes %j as %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers and nulls as they are', () => {
    expect(csvLine([15000, null, 'x'])).toBe('15000,,x\r\n');
  });

  it('streams the filtered set in the page order, in chunks, whatever its size', async () => {
    const params = new URLSearchParams({ store: 'alpha', sort: 'amount', dir: 'asc' });
    const { filename, body } = await exportOrderLogCsv(h.ctx, params, h.clock.now());
    expect(filename).toMatch(/^orders-\d{8}-\d{6}\.csv$/);
    const text = await readWithBom(new Response(body));
    expect(text.startsWith('\uFEFF')).toBe(true);
    const records = parseCsv(text.slice(1));
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    const expected = reference({ storeId: stores[0]!.id }, 'amount', 'asc');
    expect(records.slice(1).map((r) => Number(r[0]))).toEqual(expected);
    // Every field round-trips, a formula comes back neutralised.
    const byId = new Map(fixtures.map((f) => [f.id, f]));
    for (const record of records.slice(1)) {
      const f = byId.get(Number(record[0]))!;
      expect(record[2]).toBe(f.merchant_uid);
      const name = f.buyer_name ?? '';
      expect(record[13]).toBe(/^[=+\-@]/.test(name) ? `'${name}` : name);
      expect(record[6]!.split(' ').filter(Boolean).sort()).toEqual([...f.reasons].sort());
    }
  });

  it('exports through the resource route, signed-in only, with a 400 for a bad filter', async () => {
    const viewer = await h.addUser('csv-viewer@example.com', 'viewer');
    const { cookie } = await h.sessionFor(viewer);
    const ok = await callRoute(
      exportLoader,
      makeRequest('/orders/export.csv?status=failed', { cookie }),
      {},
      h.context(makeRequest('/orders/export.csv')),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(ok.headers.get('content-disposition')).toMatch(/^attachment; filename="orders-.*\.csv"$/);
    const all = parseCsv((await readWithBom(ok)).slice(1));
    expect(all[0]).toEqual([...CSV_COLUMNS]);
    const rows = all.slice(1);
    expect(rows.map((r) => Number(r[0]))).toEqual(reference({ status: 'failed' }, 'created', 'desc'));

    const bad = await callRoute(
      exportLoader,
      makeRequest('/orders/export.csv?min=abc', { cookie }),
      {},
      h.context(makeRequest('/orders/export.csv')),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request', message: 'min must be a whole number' } });

    const anonymous = await callRoute(
      exportLoader,
      makeRequest('/orders/export.csv'),
      {},
      h.context(makeRequest('/orders/export.csv')),
    );
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toContain('/login');
  });

  it('answers the log page with 400 and the reason for a bad filter', async () => {
    const viewer = await h.addUser('log-viewer@example.com', 'viewer');
    const { cookie } = await h.sessionFor(viewer);
    const request = makeRequest('/orders?status=bogus', { cookie });
    const response = await callRoute(logLoader, request, {}, h.context(request));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      ok: false,
      param: 'status',
      error: expect.stringContaining('status must be one of'),
    });
    const good = makeRequest('/orders?status=failed&size=2', { cookie });
    const page = (await (await callRoute(logLoader, good, {}, h.context(good))).json()) as {
      ok: boolean;
      page: { items: OrderLogItem[] };
    };
    expect(page.ok).toBe(true);
    expect(page.page.items.map((i) => i.id)).toEqual(reference({ status: 'failed' }, 'created', 'desc').slice(0, 2));
  });

  // ------------------------------------------------------------------------------------------
  // The order page

  it('shows an order with its reasons and operator actions in the timeline', async () => {
    const f = fixtures.find((x) => x.reasons.length === 2)!;
    const admin = await h.addUser('detail-admin@example.com', 'admin');
    h.clock.advance(1000);
    await recordAudit(h.ctx, {
      actor: admin,
      action: 'order.resolve',
      target: { type: 'order', id: f.id },
      reason: 'checked by phone',
      before: { a: 1 },
      after: { a: 2 },
    });
    const at = h.clock.now().toISOString();
    const run = await h.t.db
      .insertInto('reconcile_run')
      .values({
        kind: 'reconcile',
        trigger: 'schedule',
        store_slug: null,
        dry_run: 0,
        all_orders: 0,
        window_from: null,
        window_to: null,
        started_at: at,
        finished_at: at,
        status: 'ok',
        examined: 1,
        settled: 0,
        still_open: 1,
        errors: 0,
        gateway_calls: 1,
        duration_ms: 5,
        started_by: 'scheduler',
        lease_holder: 'test',
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('reconcile_run_item')
      .values({
        run_id: run.id,
        store_id: f.store_id,
        order_id: f.id,
        merchant_uid: f.merchant_uid,
        imp_uid: f.imp_uid,
        status_before: f.status,
        status_after: f.status,
        outcome: 'reason_opened',
        reasons_opened: '["redirect_without_webhook"]',
        error: null,
        at,
      })
      .execute();
    const detail = await orderDetail(h.ctx, f.id);
    expect(detail.timeline.find((e) => e.kind === 'run_item')).toMatchObject({
      runId: run.id,
      runKind: 'reconcile',
      trigger: 'schedule',
      dryRun: false,
      outcome: 'reason_opened',
      reasonsOpened: ['redirect_without_webhook'],
    });
    expect(detail.order.merchantUid).toBe(f.merchant_uid);
    expect(detail.order.openReasons.sort()).toEqual(['missing_flag', 'unverified']);
    expect(detail.reasons.filter((r) => r.resolvedAt === null)).toHaveLength(2);
    const action = detail.timeline.find((e) => e.kind === 'operator_action');
    expect(action).toMatchObject({
      actor: 'detail-admin@example.com',
      action: 'order.resolve',
      reason: 'checked by phone',
      before: '{\n  "a": 1\n}',
    });
    expect(detail.timeline.map((e) => e.at)).toEqual([...detail.timeline.map((e) => e.at)].sort());

    const { cookie } = await h.sessionFor(admin);
    const missing = makeRequest('/orders/99999', { cookie });
    expect((await callRoute(orderLoader, missing, { orderId: '99999' }, h.context(missing))).status).toBe(404);
    const junk = makeRequest('/orders/abc', { cookie });
    expect((await callRoute(orderLoader, junk, { orderId: 'abc' }, h.context(junk))).status).toBe(404);
  });
});

/** The body as text with its BOM kept (Response.text() drops it). */
async function readWithBom(response: Response): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
}

/** A strict RFC 4180 reader for the test (quotes, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}
