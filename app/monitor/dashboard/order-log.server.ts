import { z } from 'zod';
import type { Db } from '../../../db/connection';
import {
  choosePageDriver,
  countOpenReasons,
  distinctOrderValues,
  listOpenReasons,
  listOrderPage,
  openReasonsOfOrders,
  ORDER_SORTS,
  type AttentionRow,
  type OrderFilter,
  type OrderKey,
  type OrderLogRow,
  type OrderPageQuery,
  type OrderSort,
  type PageDriver,
  type SortDirection,
} from '../../../db/dashboard-orders';
import { findOrderById, reasonsOf } from '../../../db/orders';
import { listRunItemsForOrder } from '../../../db/runs';
import { listAudit } from '../../auth/audit.server';
import { AppError } from '../../errors';
import { ATTENTION_REASONS, ORDER_STATUSES, type AttentionReason, type OrderStatus } from '../status';
import { listAllStores, type Store } from '../stores/stores.server';
import { maskText } from './mask';
import { orderTimeline, type TimelineEntry } from './timeline.server';

/**
 * The payment log, its CSV export, the order page and the attention queue: read-only views for
 * the dashboard (docs/decisions/0140-payment-log-queries.md). Everything here parses its input
 * from URL parameters (zod) and answers plain, serialisable objects; the manual actions live in
 * manual-actions.server.ts.
 */

type ReadDeps = { db: Db };

export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** KST has no daylight saving time: a day in the filter is always [00:00, 24:00) at +09:00. */
const DISPLAY_OFFSET = '+09:00';

// ---------------------------------------------------------------------------------------------
// Parameters

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
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
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = String(issue.path[0] ?? 'query');
    throw new AppError('bad_request', `${param} ${issue.message}`, { param });
  }
  const p = result.data;
  const sort = p.sort ?? 'created';
  const direction = p.dir ?? 'desc';
  const filter: OrderFilter = {};
  if (p.store) {
    const store = (await listAllStores(deps)).find((s) => s.slug === p.store);
    if (!store)
      throw new AppError('bad_request', `store ${JSON.stringify(p.store)} does not exist`, { param: 'store' });
    filter.storeId = store.id;
  }
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
// The log

export type StoreRef = { id: number; slug: string; name: string };

export type OrderLogItem = {
  id: number;
  store: StoreRef;
  merchantUid: string;
  impUid: string | null;
  name: string | null;
  status: OrderStatus;
  expectedAmount: number | null;
  paidAmount: number | null;
  cancelAmount: number | null;
  currency: string;
  payMethod: string | null;
  pgProvider: string | null;
  buyerName: string | null;
  createdAt: string;
  updatedAt: string;
  paidAt: string | null;
  nextCheckAt: string | null;
  checkAttempts: number;
  openReasons: AttentionReason[];
};

export type OrderLogPage = {
  items: OrderLogItem[];
  /** Cursors of the neighbouring pages (null at either end). */
  next: string | null;
  prev: string | null;
  /** True on the first page (no cursor, or walked back to the start). */
  first: boolean;
};

function storeRef(stores: Map<number, Store>, id: number): StoreRef {
  const store = stores.get(id);
  return { id, slug: store?.slug ?? `#${id}`, name: store?.name ?? `#${id}` };
}

async function toItems(deps: ReadDeps, rows: OrderLogRow[], stores: Map<number, Store>): Promise<OrderLogItem[]> {
  const reasons = await openReasonsOfOrders(
    deps.db,
    rows.filter((r) => r.open_reason_count > 0).map((r) => r.id),
  );
  const byOrder = new Map<number, AttentionReason[]>();
  for (const r of reasons) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r.reason as AttentionReason]);
  return rows.map((r) => ({
    id: r.id,
    store: storeRef(stores, r.store_id),
    merchantUid: r.merchant_uid,
    impUid: r.imp_uid,
    name: r.name,
    status: r.status as OrderStatus,
    expectedAmount: r.expected_amount,
    paidAmount: r.paid_amount,
    cancelAmount: r.cancel_amount,
    currency: r.currency,
    payMethod: r.pay_method,
    pgProvider: r.pg_provider,
    buyerName: r.buyer_name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    paidAt: r.paid_at,
    nextCheckAt: r.next_check_at,
    checkAttempts: r.check_attempts,
    openReasons: byOrder.get(r.id) ?? [],
  }));
}

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
  const storeMap = new Map((stores ?? (await listAllStores(deps))).map((s) => [s.id, s]));
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
  return { items: await toItems(deps, page, storeMap), next, prev, first: prev === null };
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
    stores: stores.map((s) => ({ id: s.id, slug: s.slug, name: s.name })),
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
  return { stores: stores.map((s) => ({ id: s.id, slug: s.slug, name: s.name })), payMethods, pgProviders };
}

// ---------------------------------------------------------------------------------------------
// CSV export

export const CSV_COLUMNS = [
  'id',
  'store',
  'merchant_uid',
  'imp_uid',
  'name',
  'status',
  'open_reasons',
  'expected_amount',
  'paid_amount',
  'cancel_amount',
  'currency',
  'pay_method',
  'pg_provider',
  'buyer_name',
  'created_at',
  'updated_at',
  'paid_at',
] as const;

/** Rows fetched per query while streaming the export. */
export const CSV_CHUNK = 1000;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break. A text that a
 * spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) is
 * prefixed with `'` first, so a buyer name like `=HYPERLINK(…)` stays text (OWASP "CSV injection").
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: (string | number | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvRow(item: OrderLogItem, maskBuyer = false): string {
  return csvLine([
    item.id,
    item.store.slug,
    item.merchantUid,
    item.impUid,
    item.name,
    item.status,
    item.openReasons.join(' '),
    item.expectedAmount,
    item.paidAmount,
    item.cancelAmount,
    item.currency,
    item.payMethod,
    item.pgProvider,
    maskBuyer && item.buyerName !== null ? maskText(item.buyerName) : item.buyerName,
    item.createdAt,
    item.updatedAt,
    item.paidAt,
  ]);
}

/**
 * The filtered log as CSV, streamed: the database is read in keyset chunks of CSV_CHUNK rows
 * as the client reads, so memory stays flat whatever the size. The cursor of the page being
 * viewed is ignored: the export is the whole filtered set, in the page's order. Starts with a
 * UTF-8 BOM so spreadsheet programs read Korean text correctly.
 */
export async function exportOrderLogCsv(
  deps: ReadDeps,
  params: URLSearchParams,
  now: Date,
  options: { maskBuyer?: boolean } = {},
): Promise<{ filename: string; body: ReadableStream<Uint8Array> }> {
  const parsed = { ...(await parseOrderLogParams(deps, params)), cursor: null, size: CSV_CHUNK };
  const stores = await listAllStores(deps);
  // One plan for the whole export: the probes run once, not per chunk.
  const driver = await choosePageDriver(deps.db, parsed.filter, parsed.sort);
  const encoder = new TextEncoder();
  let after: OrderKey | undefined;
  let started = false;
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`\uFEFF${csvLine([...CSV_COLUMNS])}`));
        return;
      }
      if (done) return;
      const page = await orderLogPage(
        deps,
        { ...parsed, cursor: after ? { page: 'after', key: after } : null },
        stores,
        driver,
      );
      if (page.items.length > 0)
        controller.enqueue(encoder.encode(page.items.map((item) => csvRow(item, options.maskBuyer === true)).join('')));
      if (page.next) {
        const last = page.items[page.items.length - 1]!;
        after = { value: sortValueOf(last, parsed.sort), id: last.id };
      } else {
        done = true;
        controller.close();
      }
    },
  });
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return { filename: `orders-${stamp}.csv`, body };
}

function sortValueOf(item: OrderLogItem, sort: OrderSort): string | number {
  switch (sort) {
    case 'created':
      return item.createdAt;
    case 'updated':
      return item.updatedAt;
    case 'amount':
      return item.expectedAmount ?? item.paidAmount ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The order page

export type OperatorActionEntry = {
  kind: 'operator_action';
  at: string;
  id: number;
  actor: string;
  action: string;
  reason: string | null;
  /** Pretty-printed JSON snapshots (text, shown escaped). */
  before: string | null;
  after: string | null;
};

/** What a reconciliation run (re-check or reverse sweep) did to the order. */
export type RunItemEntry = {
  kind: 'run_item';
  at: string;
  id: number;
  runId: number;
  runKind: string;
  trigger: string;
  dryRun: boolean;
  outcome: string;
  statusBefore: string | null;
  statusAfter: string | null;
  reasonsOpened: string[];
  error: string | null;
};

export type OrderTimelineEntry = TimelineEntry | OperatorActionEntry | RunItemEntry;

export type ReasonView = {
  id: number;
  reason: AttentionReason;
  openedAt: string;
  detail: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
};

export type OrderDetail = {
  order: OrderLogItem & {
    source: string;
    gatewayStatus: string | null;
    vbankDueAt: string | null;
    preparedAt: string | null;
    lastCheckedAt: string | null;
    /** What a cancel can still refund (paid − cancelled); null when nothing was paid at the gateway. */
    refundable: number | null;
    /** Paid amount known and different from the expected one. */
    amountDiffers: boolean;
  };
  reasons: ReasonView[];
  timeline: OrderTimelineEntry[];
};

const TIMELINE_AUDIT_LIMIT = 500;

function parseNames(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function pretty(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value, null, 2);
}

/** Everything the order page shows; 404 (AppError) for an unknown id. */
export async function orderDetail(deps: ReadDeps, orderId: number): Promise<OrderDetail> {
  const row = await findOrderById(deps.db, orderId);
  if (!row) throw new AppError('not_found', `order ${orderId} does not exist`);
  const [stores, reasons, timeline, audit, runItems] = await Promise.all([
    listAllStores(deps),
    reasonsOf(deps.db, orderId),
    orderTimeline(deps, orderId),
    listAudit(deps, { targetType: 'order', targetId: String(orderId), limit: TIMELINE_AUDIT_LIMIT }),
    listRunItemsForOrder(deps.db, orderId),
  ]);
  const open = reasons.filter((r) => r.resolved_at === null).map((r) => r.reason as AttentionReason);
  const [item] = await toItems(deps, [{ ...row, sort_value: row.created_at }], new Map(stores.map((s) => [s.id, s])));
  const actions: OperatorActionEntry[] = audit.map((e) => ({
    kind: 'operator_action',
    at: e.at,
    id: e.id,
    actor: e.actorLabel,
    action: e.action,
    reason: e.reason,
    before: pretty(e.before),
    after: pretty(e.after),
  }));
  const runs: RunItemEntry[] = runItems.map((i) => ({
    kind: 'run_item',
    at: i.at,
    id: i.id,
    runId: i.run_id,
    runKind: i.kind,
    trigger: i.trigger,
    dryRun: i.dry_run === 1,
    outcome: i.outcome,
    statusBefore: i.status_before,
    statusAfter: i.status_after,
    reasonsOpened: parseNames(i.reasons_opened),
    error: i.error,
  }));
  const refundable =
    row.imp_uid && row.paid_amount !== null ? Math.max(0, row.paid_amount - (row.cancel_amount ?? 0)) : null;
  return {
    order: {
      ...item!,
      openReasons: open,
      source: row.source,
      gatewayStatus: row.gateway_status,
      vbankDueAt: row.vbank_due_at,
      preparedAt: row.prepared_at,
      lastCheckedAt: row.last_checked_at,
      refundable,
      amountDiffers:
        row.paid_amount !== null && row.expected_amount !== null && row.paid_amount !== row.expected_amount,
    },
    reasons: reasons.map((r) => ({
      id: r.id,
      reason: r.reason as AttentionReason,
      openedAt: r.opened_at,
      detail: r.detail,
      resolvedAt: r.resolved_at,
      resolvedBy: r.resolved_by,
      note: r.resolution_note,
    })),
    // Stable: same-time entries keep the evidence → check → decision → action order.
    timeline: [...timeline, ...runs, ...actions].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
  };
}

// ---------------------------------------------------------------------------------------------
// Attention queue

export const ATTENTION_GROUP_SIZE = 25;

export type AttentionItem = {
  reasonId: number;
  reason: AttentionReason;
  since: string;
  detail: string | null;
  orderId: number;
  store: StoreRef;
  merchantUid: string;
  impUid: string | null;
  status: OrderStatus;
  expectedAmount: number | null;
  paidAmount: number | null;
  currency: string;
  nextCheckAt: string | null;
  lastCheckedAt: string | null;
  attempts: number;
  openReasonCount: number;
};

export type AttentionGroup = {
  reason: AttentionReason;
  count: number;
  oldest: string;
  items: AttentionItem[];
  /** Cursor of this group's next rows (shown when one reason is selected), else null. */
  next: string | null;
};

export type AttentionQueue = {
  groups: AttentionGroup[];
  /** Every reason with open orders (for the reason tabs), whichever is selected. */
  summary: { reason: AttentionReason; count: number }[];
  total: number;
  params: { reason: string; store: string; after: boolean };
  stores: StoreRef[];
};

const attentionParams = z.object({
  reason: optional(z.enum(ATTENTION_REASONS, `must be one of ${ATTENTION_REASONS.join(', ')}`)),
  store: optional(z.string().trim().max(40, 'must be at most 40 characters')),
  after: optional(z.string().max(200)),
});
const attentionCursor = z.object({ o: z.string().max(64), i: z.number().int().positive() });

function toAttentionItem(row: AttentionRow, stores: Map<number, Store>): AttentionItem {
  return {
    reasonId: row.reason_id,
    reason: row.reason as AttentionReason,
    since: row.opened_at,
    detail: row.detail,
    orderId: row.order_id,
    store: storeRef(stores, row.store_id),
    merchantUid: row.merchant_uid,
    impUid: row.imp_uid,
    status: row.status as OrderStatus,
    expectedAmount: row.expected_amount,
    paidAmount: row.paid_amount,
    currency: row.currency,
    nextCheckAt: row.next_check_at,
    lastCheckedAt: row.last_checked_at,
    attempts: row.check_attempts,
    openReasonCount: row.open_reason_count,
  };
}

/**
 * Ambiguous orders grouped by open reason, oldest first (the reasons in the order of
 * ATTENTION_REASONS). Each group shows its first ATTENTION_GROUP_SIZE rows; with `reason` set,
 * only that group, paged by `after`.
 */
export async function attentionQueue(deps: ReadDeps, params: URLSearchParams): Promise<AttentionQueue> {
  const parsed = attentionParams.safeParse({
    reason: params.get('reason') ?? undefined,
    store: params.get('store') ?? undefined,
    after: params.get('after') ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('bad_request', `${String(issue.path[0] ?? 'query')} ${issue.message}`, {
      param: String(issue.path[0] ?? 'query'),
    });
  }
  const p = parsed.data;
  const stores = await listAllStores(deps);
  const storeMap = new Map(stores.map((s) => [s.id, s]));
  let storeId: number | undefined;
  if (p.store) {
    const store = stores.find((s) => s.slug === p.store);
    if (!store)
      throw new AppError('bad_request', `store ${JSON.stringify(p.store)} does not exist`, { param: 'store' });
    storeId = store.id;
  }
  let after: { openedAt: string; id: number } | undefined;
  if (p.after) {
    if (!p.reason) throw new AppError('bad_request', 'after needs reason', { param: 'after' });
    let value: unknown = null;
    try {
      value = JSON.parse(Buffer.from(p.after, 'base64url').toString('utf8'));
    } catch {
      value = null;
    }
    const c = attentionCursor.safeParse(value);
    if (!c.success)
      throw new AppError('bad_request', 'after is not valid: go back to the first page', { param: 'after' });
    after = { openedAt: c.data.o, id: c.data.i };
  }
  const counts = await countOpenReasons(deps.db, storeId);
  const order = new Map<string, number>(ATTENTION_REASONS.map((r, i) => [r, i]));
  const known = counts.filter((c) => order.has(c.reason)).sort((a, b) => order.get(a.reason)! - order.get(b.reason)!);
  const selected = known.filter((c) => !p.reason || c.reason === p.reason);
  const groups = await Promise.all(
    selected.map(async (c): Promise<AttentionGroup> => {
      const rows = await listOpenReasons(deps.db, {
        reason: c.reason,
        storeId,
        after: p.reason ? after : undefined,
        limit: ATTENTION_GROUP_SIZE,
      });
      const page = rows.slice(0, ATTENTION_GROUP_SIZE);
      const last = page[page.length - 1];
      const next =
        p.reason && rows.length > ATTENTION_GROUP_SIZE && last
          ? Buffer.from(JSON.stringify({ o: last.opened_at, i: last.reason_id })).toString('base64url')
          : null;
      return {
        reason: c.reason as AttentionReason,
        count: c.count,
        oldest: c.oldest,
        items: page.map((r) => toAttentionItem(r, storeMap)),
        next,
      };
    }),
  );
  return {
    groups,
    summary: known.map((c) => ({ reason: c.reason as AttentionReason, count: c.count })),
    total: counts.reduce((sum, c) => sum + c.count, 0),
    params: { reason: p.reason ?? '', store: p.store ?? '', after: p.after !== undefined },
    stores: stores.map((s) => ({ id: s.id, slug: s.slug, name: s.name })),
  };
}
