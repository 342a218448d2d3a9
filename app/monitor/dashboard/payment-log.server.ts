import { z } from 'zod';
import {
  distinctOrderValues,
  listOrderPage,
  ORDER_SORTS,
  type OrderFilter,
  type OrderKey,
  type OrderLogRow,
  type OrderPageQuery,
  type OrderSort,
  type PageDriver,
  type SortDirection,
} from '../../../db/payment-log';
import { AppError } from '../../errors';
import { ATTENTION_REASONS, ORDER_STATUSES } from '../status';
import { listAllStores, type Store } from '../stores/stores.server';
import {
  badParam,
  optional,
  storeBySlug,
  storeMap,
  storeRefs,
  toOrderItems,
  type OrderLogItem,
  type ReadDeps,
  type StoreRef,
} from './shared.server';

/**
 * The payment log (`/orders`): its URL parameters parsed with zod (a clear 400 naming the
 * parameter), one keyset page with the cursors of its neighbours, and the filters' choices
 * (docs/decisions/0140-payment-log-queries.md). The CSV export walks the same pages.
 */

export type { OrderLogItem, StoreRef };

export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** KST has no daylight saving time: a day in the filter is always [00:00, 24:00) at +09:00. */
const DISPLAY_OFFSET = '+09:00';

// ---------------------------------------------------------------------------------------------
// Parameters

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-11-24')
  .refine(
    (v) =>
      !Number.isNaN(Date.parse(`${v}T00:00:00${DISPLAY_OFFSET}`)) &&
      new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
    'is not a real date',
  );
const amount = z.coerce
  .number('must be a whole number')
  .int('must be a whole number')
  .min(0, 'must be 0 or more')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');
const code = z
  .string()
  .trim()
  .max(40, 'must be at most 40 characters')
  .regex(/^[A-Za-z0-9_.-]+$/, 'may hold letters, digits, _ . - only');

const paramsSchema = z
  .object({
    store: optional(z.string().trim().max(40, 'must be at most 40 characters')),
    status: optional(z.enum(ORDER_STATUSES, `must be one of ${ORDER_STATUSES.join(', ')}`)),
    reason: optional(z.enum(['any', ...ATTENTION_REASONS], `must be any or one of ${ATTENTION_REASONS.join(', ')}`)),
    method: optional(code),
    pg: optional(code),
    from: optional(day),
    to: optional(day),
    min: optional(amount),
    max: optional(amount),
    q: optional(z.string().trim().min(1).max(100, 'must be at most 100 characters')),
    sort: optional(z.enum(ORDER_SORTS, `must be one of ${ORDER_SORTS.join(', ')}`)),
    dir: optional(z.enum(['asc', 'desc'], 'must be asc or desc')),
    size: optional(
      z.coerce
        .number('must be a whole number')
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`),
    ),
    cursor: optional(z.string().max(500, 'is too long')),
  })
  .superRefine((p, ctx) => {
    if (p.from && p.to && p.from > p.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    if (p.min !== undefined && p.max !== undefined && p.min > p.max)
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'must not be less than min' });
  });

/** The filters as the form shows them (strings, '' when unset): echoed back into the GET form. */
export type OrderLogForm = {
  store: string;
  status: string;
  reason: string;
  method: string;
  pg: string;
  from: string;
  to: string;
  min: string;
  max: string;
  q: string;
  sort: OrderSort;
  dir: SortDirection;
};

export type ParsedOrderLogParams = {
  form: OrderLogForm;
  filter: OrderFilter;
  sort: OrderSort;
  direction: SortDirection;
  size: number;
  cursor: Cursor | null;
};

type Cursor = { page: 'after' | 'before'; key: OrderKey };

const cursorSchema = z.object({
  s: z.enum(ORDER_SORTS),
  d: z.enum(['asc', 'desc']),
  p: z.enum(['a', 'b']),
  v: z.union([z.string().max(64), z.number().int()]),
  i: z.number().int().positive(),
});

/** An opaque position in the log: base64url JSON of the sort, direction, side and key. */
export function encodeCursor(
  sort: OrderSort,
  direction: SortDirection,
  page: 'after' | 'before',
  key: OrderKey,
): string {
  return Buffer.from(
    JSON.stringify({ s: sort, d: direction, p: page === 'after' ? 'a' : 'b', v: key.value, i: key.id }),
  ).toString('base64url');
}

function decodeCursor(raw: string, sort: OrderSort, direction: SortDirection): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success)
    throw new AppError('bad_request', 'cursor is not valid: go back to the first page', { param: 'cursor' });
  const c = parsed.data;
  if (c.s !== sort || c.d !== direction) {
    throw new AppError('bad_request', 'cursor belongs to another sort order: go back to the first page', {
      param: 'cursor',
    });
  }
  if ((sort === 'amount') !== (typeof c.v === 'number'))
    throw new AppError('bad_request', 'cursor is not valid: go back to the first page', { param: 'cursor' });
  return { page: c.p === 'a' ? 'after' : 'before', key: { value: c.v, id: c.i } };
}

/** The first day boundary at or after `day` 00:00 KST, as stored (UTC ISO). */
function kstDayStart(value: string, plusDays = 0): string {
  const start = new Date(`${value}T00:00:00${DISPLAY_OFFSET}`);
  return new Date(start.getTime() + plusDays * 86_400_000).toISOString();
}

/**
 * Parses the log's URL parameters. Throws AppError `bad_request` naming the parameter and what
 * it allows (`status must be one of …`), so a hand-edited URL gets a clear 400.
 */
export async function parseOrderLogParams(deps: ReadDeps, params: URLSearchParams): Promise<ParsedOrderLogParams> {
  const raw: Record<string, string> = {};
  for (const key of paramsSchema.keyof().options) {
    const value = params.get(key);
    if (value !== null) raw[key] = value;
  }
  const result = paramsSchema.safeParse(raw);
  if (!result.success) throw badParam(result.error);
  const p = result.data;
  const sort = p.sort ?? 'created';
  const direction = p.dir ?? 'desc';
  const filter: OrderFilter = {};
  if (p.store) filter.storeId = storeBySlug(await listAllStores(deps), p.store).id;
  if (p.status) filter.status = p.status;
  if (p.reason) filter.reason = p.reason;
  if (p.method) filter.payMethod = p.method;
  if (p.pg) filter.pgProvider = p.pg;
  if (p.from) filter.createdFrom = kstDayStart(p.from);
  if (p.to) filter.createdBefore = kstDayStart(p.to, 1);
  if (p.min !== undefined) filter.amountMin = p.min;
  if (p.max !== undefined) filter.amountMax = p.max;
  if (p.q) filter.search = p.q;
  return {
    form: {
      store: p.store ?? '',
      status: p.status ?? '',
      reason: p.reason ?? '',
      method: p.method ?? '',
      pg: p.pg ?? '',
      from: p.from ?? '',
      to: p.to ?? '',
      min: p.min === undefined ? '' : String(p.min),
      max: p.max === undefined ? '' : String(p.max),
      q: p.q ?? '',
      sort,
      dir: direction,
    },
    filter,
    sort,
    direction,
    size: p.size ?? PAGE_SIZE,
    cursor: p.cursor ? decodeCursor(p.cursor, sort, direction) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// The page

export type OrderLogPage = {
  items: OrderLogItem[];
  /** Cursors of the neighbouring pages (null at either end). */
  next: string | null;
  prev: string | null;
  /** True on the first page (no cursor, or walked back to the start). */
  first: boolean;
};

const keyOf = (row: OrderLogRow): OrderKey => ({ value: row.sort_value, id: row.id });

/** One page of the log for parsed parameters, with the cursors of its neighbours. */
export async function orderLogPage(
  deps: ReadDeps,
  parsed: ParsedOrderLogParams,
  stores?: Store[],
  driver?: PageDriver,
): Promise<OrderLogPage> {
  const { sort, direction, size, cursor } = parsed;
  const query: OrderPageQuery = { filter: parsed.filter, sort, direction, limit: size };
  if (cursor?.page === 'after') query.after = cursor.key;
  if (cursor?.page === 'before') query.before = cursor.key;
  const rows = await listOrderPage(deps.db, query, driver);
  const byId = await storeMap(deps, stores);
  const more = rows.length > size;
  let page: OrderLogRow[];
  let next: string | null = null;
  let prev: string | null = null;
  if (cursor?.page === 'before') {
    // Walking back: the extra row (if any) is the farthest one, at the start.
    page = more ? rows.slice(1) : rows;
    if (more && page[0]) prev = encodeCursor(sort, direction, 'before', keyOf(page[0]));
    const last = page[page.length - 1];
    if (last) next = encodeCursor(sort, direction, 'after', keyOf(last));
  } else {
    page = more ? rows.slice(0, size) : rows;
    const last = page[page.length - 1];
    if (more && last) next = encodeCursor(sort, direction, 'after', keyOf(last));
    if (cursor && page[0]) prev = encodeCursor(sort, direction, 'before', keyOf(page[0]));
  }
  return { items: await toOrderItems(deps, page, byId), next, prev, first: prev === null };
}

export type OrderLogView = {
  params: OrderLogForm;
  page: OrderLogPage;
  stores: StoreRef[];
  payMethods: string[];
  pgProviders: string[];
  /** True when any filter is set (the empty state then says "nothing matches"). */
  filtered: boolean;
};

/** The payment log page: parameters parsed (400 on bad ones), one page, and the filter choices. */
export async function orderLog(deps: ReadDeps, params: URLSearchParams): Promise<OrderLogView> {
  const parsed = await parseOrderLogParams(deps, params);
  const stores = await listAllStores(deps);
  const [page, payMethods, pgProviders] = await Promise.all([
    orderLogPage(deps, parsed, stores),
    distinctOrderValues(deps.db, 'pay_method'),
    distinctOrderValues(deps.db, 'pg_provider'),
  ]);
  return {
    params: parsed.form,
    page,
    stores: storeRefs(stores),
    payMethods,
    pgProviders,
    filtered: Object.keys(parsed.filter).length > 0,
  };
}

/** The choices of the log's filters without listing anything (for a page that failed to parse). */
export async function orderLogChoices(
  deps: ReadDeps,
): Promise<Pick<OrderLogView, 'stores' | 'payMethods' | 'pgProviders'>> {
  const [stores, payMethods, pgProviders] = await Promise.all([
    listAllStores(deps),
    distinctOrderValues(deps.db, 'pay_method'),
    distinctOrderValues(deps.db, 'pg_provider'),
  ]);
  return { stores: storeRefs(stores), payMethods, pgProviders };
}
