import { sql, type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from './schema';
import type { AttentionReason, OrderStatus } from '../app/monitor/status';

/**
 * Read queries of the payment log and its CSV export
 * (docs/decisions/0140-payment-log-queries.md). Every list is a keyset scan: the page after a
 * cursor `(sort value, id)` is found by an index range, never by OFFSET, so the millionth row
 * costs what the first does. Indexes: migrations 0002 and 0030.
 */

type Q = Kysely<Database>;
type OrderEb = ExpressionBuilder<Database, 'order'>;

export const ORDER_SORTS = ['created', 'updated', 'amount'] as const;
export type OrderSort = (typeof ORDER_SORTS)[number];
export type SortDirection = 'asc' | 'desc';

/** A parsed filter of the payment log; every field narrows the set (AND). */
export type OrderFilter = {
  storeId?: number;
  status?: OrderStatus;
  /** An open attention reason, or `any` for every order with one open. */
  reason?: AttentionReason | 'any';
  payMethod?: string;
  pgProvider?: string;
  /** created_at >= createdFrom (ISO UTC). */
  createdFrom?: string;
  /** created_at < createdBefore (ISO UTC, exclusive). */
  createdBefore?: string;
  amountMin?: number;
  amountMax?: number;
  /** An exact imp_uid or buyer name, or a prefix of merchant_uid. */
  search?: string;
};

/** A position in one sort order: the row's sort value and its id (the tie-breaker). */
export type OrderKey = { value: string | number; id: number };

export type OrderPageQuery = {
  filter: OrderFilter;
  sort: OrderSort;
  direction: SortDirection;
  /** Rows strictly after this key in the sort order (the next page). */
  after?: OrderKey;
  /** Rows strictly before this key (the previous page); answered in the sort order too. */
  before?: OrderKey;
  limit: number;
};

export type OrderLogRow = {
  id: number;
  store_id: number;
  merchant_uid: string;
  imp_uid: string | null;
  name: string | null;
  status: OrderStatus;
  expected_amount: number | null;
  paid_amount: number | null;
  cancel_amount: number | null;
  currency: string;
  pay_method: string | null;
  pg_provider: string | null;
  buyer_name: string | null;
  created_at: string;
  updated_at: string;
  paid_at: string | null;
  next_check_at: string | null;
  check_attempts: number;
  open_reason_count: number;
  /** The value of the page's sort key, for building cursors. */
  sort_value: string | number;
};

/** The list's amount: what the merchant expected, or what was paid when nobody expected anything. */
const amountKey = sql<number>`coalesce(${sql.ref('order.expected_amount')}, ${sql.ref('order.paid_amount')}, 0)`;

function sortKey(sort: OrderSort): RawBuilder<string | number> {
  switch (sort) {
    case 'created':
      return sql<string>`${sql.ref('order.created_at')}`;
    case 'updated':
      return sql<string>`${sql.ref('order.updated_at')}`;
    case 'amount':
      return amountKey;
  }
}

/**
 * Which filter drives a page's scan. `sort`: the sort key's index is walked (with the store or
 * status, which lead an index for every sort key, as its prefix) and the other filters are
 * checked on the way. Otherwise one selective filter's index finds the few matching rows, which
 * are then sorted. See choosePageDriver.
 */
export type PageDriver = 'sort' | 'search' | 'reason' | 'amount' | 'created' | 'payMethod' | 'pgProvider';

/**
 * The same value without its index: `col || ''` and `x + 0` compare like the column but are not
 * sargable. Used for every filter that does not drive the scan, so that without statistics the
 * planner cannot pick a plan that sorts a large match set, or scans the whole table through the
 * wrong index.
 */
const plainText = (ref: RawBuilder<string | null> | RawBuilder<string>) => sql<string>`(${ref} || '')`;
const plainNumber = (expr: RawBuilder<number>) => sql<number>`(${expr} + 0)`;
const col = (
  column:
    | 'order.pay_method'
    | 'order.pg_provider'
    | 'order.created_at'
    | 'order.merchant_uid'
    | 'order.imp_uid'
    | 'order.buyer_name',
) => sql<string>`${sql.ref(column)}`;

/** Upper bound of a prefix range: UTF-8 (BINARY) order sorts by code point. */
const prefixEnd = (prefix: string) => `${prefix}\u{10FFFF}`;

/** The filters that can drive the scan for this sort, each as the condition that uses its index. */
function candidateDrivers(filter: OrderFilter, sort: OrderSort): Exclude<PageDriver, 'sort'>[] {
  const out: Exclude<PageDriver, 'sort'>[] = [];
  if (filter.search !== undefined) out.push('search');
  // "Any open reason" newest first is order_open_created_idx itself: aligned with the sort.
  if (filter.reason !== undefined && !(filter.reason === 'any' && sort === 'created')) out.push('reason');
  if ((filter.amountMin !== undefined || filter.amountMax !== undefined) && sort !== 'amount') out.push('amount');
  if ((filter.createdFrom !== undefined || filter.createdBefore !== undefined) && sort !== 'created')
    out.push('created');
  // Pay method and PG lead an index that continues with created_at only.
  if (filter.payMethod !== undefined && sort !== 'created') out.push('payMethod');
  if (filter.pgProvider !== undefined && sort !== 'created') out.push('pgProvider');
  return out;
}

function filterConditions(
  eb: OrderEb,
  filter: OrderFilter,
  sort: OrderSort,
  driver: PageDriver,
): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [];
  const onlyReason = filter.reason === 'any' ? undefined : filter.reason;
  const bySort = driver === 'sort';
  // Sargable (index-usable) when this filter drives, or when the sort drives and the filter
  // continues into the sort order (store and status lead an index per sort key; migration 0030).
  const store = bySort
    ? sql<number>`${sql.ref('order.store_id')}`
    : plainNumber(sql<number>`${sql.ref('order.store_id')}`);
  if (filter.storeId !== undefined) where.push(eb(store, '=', filter.storeId));
  if (filter.status !== undefined)
    where.push(
      eb(
        bySort ? sql<string>`${sql.ref('order.status')}` : plainText(sql<string>`${sql.ref('order.status')}`),
        '=',
        filter.status,
      ),
    );

  const aligned = (d: PageDriver, alignedWithSort: boolean) => driver === d || (bySort && alignedWithSort);
  const method = aligned('payMethod', sort === 'created')
    ? col('order.pay_method')
    : plainText(col('order.pay_method'));
  if (filter.payMethod !== undefined) where.push(eb(method, '=', filter.payMethod));
  const pg = aligned('pgProvider', sort === 'created') ? col('order.pg_provider') : plainText(col('order.pg_provider'));
  if (filter.pgProvider !== undefined) where.push(eb(pg, '=', filter.pgProvider));
  const created = aligned('created', sort === 'created') ? col('order.created_at') : plainText(col('order.created_at'));
  if (filter.createdFrom !== undefined) where.push(eb(created, '>=', filter.createdFrom));
  if (filter.createdBefore !== undefined) where.push(eb(created, '<', filter.createdBefore));
  const amount = aligned('amount', sort === 'amount') ? amountKey : plainNumber(amountKey);
  if (filter.amountMin !== undefined) where.push(eb(amount, '>=', filter.amountMin));
  if (filter.amountMax !== undefined) where.push(eb(amount, '<=', filter.amountMax));

  if (filter.reason !== undefined) {
    if (driver === 'reason') {
      // Start from the open reasons (attention_reason_open_idx), then sort the few orders.
      where.push(
        eb(
          'order.id',
          'in',
          eb
            .selectFrom('attention_reason')
            .select('attention_reason.order_id')
            .where('attention_reason.resolved_at', 'is', null)
            .$if(onlyReason !== undefined, (q) => q.where('attention_reason.reason', '=', onlyReason!)),
        ),
      );
    } else if (filter.reason === 'any') {
      // Literal 0: the partial index order_open_created_idx is defined by this exact term.
      where.push(
        bySort && sort === 'created'
          ? sql<SqlBool>`${sql.ref('order.open_reason_count')} > 0`
          : sql<SqlBool>`(${sql.ref('order.open_reason_count')} + 0) > 0`,
      );
    } else {
      where.push(
        eb.exists(
          eb
            .selectFrom('attention_reason')
            .select(sql`1`.as('one'))
            .whereRef('attention_reason.order_id', '=', 'order.id')
            .where('attention_reason.resolved_at', 'is', null)
            .where('attention_reason.reason', '=', filter.reason),
        ),
      );
    }
  }
  if (filter.search !== undefined) {
    // An exact imp_uid or buyer name, or a merchant_uid prefix: three index look-ups when driving.
    const q = filter.search;
    const wrap = driver === 'search' ? (c: RawBuilder<string>) => c : plainText;
    const uid = wrap(col('order.merchant_uid'));
    where.push(
      eb.or([
        eb(wrap(col('order.imp_uid')), '=', q),
        eb(wrap(col('order.buyer_name')), '=', q),
        eb.and([eb(uid, '>=', q), eb(uid, '<', prefixEnd(q))]),
      ]),
    );
  }
  return where;
}

/** The probe of one candidate: its matching rows, counted through its own index, at most `limit`. */
function probeQuery(db: Q, filter: OrderFilter, sort: OrderSort, driver: Exclude<PageDriver, 'sort'>, limit: number) {
  if (driver === 'reason') {
    const onlyReason = filter.reason === 'any' ? undefined : filter.reason;
    const inner = db
      .selectFrom('attention_reason')
      .select(sql`1`.as('one'))
      .where('resolved_at', 'is', null)
      .$if(onlyReason !== undefined, (q) => q.where('reason', '=', onlyReason!))
      .limit(limit);
    return db.selectFrom(inner.as('probe')).select((eb) => eb.fn.countAll<number>().as('n'));
  }
  // Only the candidate's own condition: an index-only count, whatever the other filters.
  const only: OrderFilter = {};
  if (driver === 'search') only.search = filter.search;
  if (driver === 'amount') Object.assign(only, { amountMin: filter.amountMin, amountMax: filter.amountMax });
  if (driver === 'created')
    Object.assign(only, { createdFrom: filter.createdFrom, createdBefore: filter.createdBefore });
  if (driver === 'payMethod') only.payMethod = filter.payMethod;
  if (driver === 'pgProvider') only.pgProvider = filter.pgProvider;
  for (const key of Object.keys(only) as (keyof OrderFilter)[]) if (only[key] === undefined) delete only[key];
  const inner = db
    .selectFrom('order')
    .select(sql`1`.as('one'))
    .where((eb) => eb.and(filterConditions(eb, only, sort, driver)))
    .limit(limit);
  return db.selectFrom(inner.as('probe')).select((eb) => eb.fn.countAll<number>().as('n'));
}

/**
 * Chooses what drives a page's scan (docs/decisions/0140-payment-log-queries.md). Each filter
 * that could drive is probed: its matches are counted through its own index, stopping at a
 * threshold (2% of the table, at least 5000). The one with the fewest matches below the
 * threshold drives and its rows are sorted; when none is that selective, the sort index
 * drives, and since every filter then matches at least 2% of the rows, a page of 50 is found
 * within a few thousand rows (when matches are spread over the sort order). Both ways a page's cost is bounded, statistics or not.
 */
export async function choosePageDriver(db: Q, filter: OrderFilter, sort: OrderSort): Promise<PageDriver> {
  const candidates = candidateDrivers(filter, sort);
  if (candidates.length === 0) return 'sort';
  const top = await db
    .selectFrom('order')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const threshold = Math.max(5000, Math.ceil(Number(top?.id ?? 0) / 50));
  let best: { driver: PageDriver; n: number } = { driver: 'sort', n: threshold };
  for (const driver of candidates) {
    const row = await probeQuery(db, filter, sort, driver, threshold).executeTakeFirstOrThrow();
    const n = Number(row.n);
    if (n < best.n) best = { driver, n };
  }
  return best.driver;
}

/**
 * One page of the payment log in the requested order, `limit + 1` rows at most so the caller
 * knows whether another page follows. With `before`, the rows just before the key are answered
 * (still in the requested order). `driver` defaults to choosePageDriver's choice.
 */
export async function listOrderPage(db: Q, query: OrderPageQuery, driver?: PageDriver): Promise<OrderLogRow[]> {
  const rows = await orderPageQuery(
    db,
    query,
    driver ?? (await choosePageDriver(db, query.filter, query.sort)),
  ).execute();
  return query.before !== undefined ? rows.reverse() : rows;
}

/** The SQL of listOrderPage (unexecuted, for EXPLAIN QUERY PLAN in tests and the benchmark). */
export function orderPageQuery(db: Q, query: OrderPageQuery, driver: PageDriver) {
  // When a filter drives, its few rows are sorted: the sort key must not pull in its own index.
  const key =
    driver === 'sort'
      ? sortKey(query.sort)
      : query.sort === 'amount'
        ? plainNumber(amountKey)
        : plainText(sortKey(query.sort) as RawBuilder<string>);
  const id = driver === 'sort' ? sql<number>`${sql.ref('order.id')}` : plainNumber(sql<number>`${sql.ref('order.id')}`);
  // Walking backwards is the same scan in the opposite direction, reversed afterwards.
  const direction: SortDirection =
    query.before !== undefined ? (query.direction === 'asc' ? 'desc' : 'asc') : query.direction;
  const cursor = query.before ?? query.after;
  return db
    .selectFrom('order')
    .select([
      'order.id',
      'order.store_id',
      'order.merchant_uid',
      'order.imp_uid',
      'order.name',
      'order.status',
      'order.expected_amount',
      'order.paid_amount',
      'order.cancel_amount',
      'order.currency',
      'order.pay_method',
      'order.pg_provider',
      'order.buyer_name',
      'order.created_at',
      'order.updated_at',
      'order.paid_at',
      'order.next_check_at',
      'order.check_attempts',
      'order.open_reason_count',
      sortKey(query.sort).as('sort_value'),
    ])
    .where((eb) => {
      const where = filterConditions(eb, query.filter, query.sort, driver);
      if (cursor) {
        // `key <= v AND (key < v OR id < i)`: the first term is an index range on any sort key,
        // expressions included (a row-value comparison is not, for the amount expression).
        const [cmp, cmpOrEqual] = direction === 'desc' ? (['<', '<='] as const) : (['>', '>='] as const);
        where.push(eb(key, cmpOrEqual, cursor.value), eb.or([eb(key, cmp, cursor.value), eb(id, cmp, cursor.id)]));
      }
      return eb.and(where);
    })
    .orderBy(key, direction)
    .orderBy(id, direction)
    .limit(query.limit + 1);
}

/** Open attention reasons of the given orders (for a page of the log). */
export function openReasonsOfOrders(
  db: Q,
  orderIds: number[],
): Promise<{ order_id: number; reason: AttentionReason; opened_at: string }[]> {
  if (orderIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('attention_reason')
    .select(['order_id', 'reason', 'opened_at'])
    .where('order_id', 'in', orderIds)
    .where('resolved_at', 'is', null)
    .orderBy('order_id')
    .orderBy('opened_at')
    .execute();
}

/**
 * The distinct non-null values of a column, by a loose index scan (one index seek per value,
 * whatever the table size): the choices of the pay method and PG filters.
 */
export async function distinctOrderValues(db: Q, column: 'pay_method' | 'pg_provider', max = 100): Promise<string[]> {
  const col = sql.ref(column);
  const result = await sql<{ v: string | null }>`
    with recursive seen(v, n) as (
      select (select min(${col}) from "order"), 1
      union all
      select (select min(${col}) from "order" where ${col} > seen.v), n + 1 from seen where seen.v is not null and n < ${max}
    )
    select v from seen where v is not null`.execute(db);
  return result.rows.map((r) => r.v!).filter((v) => v !== null);
}
