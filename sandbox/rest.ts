import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from './context';
import {
  countByMerchantUid,
  countByStatus,
  findOneByMerchantUid,
  latestByMerchantUids,
  pageByMerchantUid,
  pageByStatus,
  paymentByImpUid,
  paymentsByImpUids,
} from './db/payments';
import type { PaymentRow } from './db/schema';
import { applyFaults } from './faults';
import { SandboxError, readParams, sendEnvelope, sendOk } from './http';
import type { Merchant } from './merchants';
import { toWirePayment } from './payment-view';
import { cancelViaApi } from './payments';
import {
  MAX_BATCH_IDS,
  MSG,
  PAYMENT_STATUSES,
  isInvalid,
  pageWindow,
  parsePaging,
  parseSorting,
  statusWindow,
  tokenFromHeader,
  type PaymentStatus,
} from './rules';

/**
 * The V1 REST API (iamport-facts §1-§3): getToken, payments look-ups, prepare and cancel. Every
 * answer is the `{code, message, response}` envelope.
 */

type Handler = (
  ctx: SandboxContext,
  merchant: Merchant,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  args: string[],
) => Promise<void>;

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function numberParam(value: unknown, name: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n)) throw new SandboxError(400, `${name} 파라메터는 숫자여야 합니다.`);
  return n;
}

function boolParam(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1 || value === 'on';
}

function sendPayment(res: ServerResponse, payment: PaymentRow): void {
  sendOk(res, toWirePayment(payment));
}

function paged(
  res: ServerResponse,
  total: number,
  window: { previous: number; next: number },
  rows: PaymentRow[],
): void {
  sendOk(res, { list: rows.map(toWirePayment), next: window.next, previous: window.previous, total });
}

function statusArg(raw: string | undefined, allowAll: boolean): PaymentStatus | 'all' | null {
  if (raw === undefined || raw === '') return null;
  if (allowAll && raw === 'all') return 'all';
  if ((PAYMENT_STATUSES as readonly string[]).includes(raw)) return raw as PaymentStatus;
  throw new SandboxError(400, MSG.badStatus);
}

function valid<T>(value: T | { error: string }): T {
  if (isInvalid(value)) throw new SandboxError(400, value.error);
  return value;
}

// POST /users/getToken ------------------------------------------------------------------------

export async function getToken(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readParams(req);
  const impKey = text(body.imp_key);
  const impSecret = text(body.imp_secret);
  if (!impKey || !impSecret) throw new SandboxError(400, MSG.missingKeys);
  const merchant = ctx.merchants.byKey(impKey);
  if (!merchant || merchant.imp_secret !== impSecret) throw new SandboxError(401, MSG.badKeys);
  if (await applyFaults(ctx, merchant, res)) return;
  const token = await ctx.tokens.issue(merchant.id, ctx.clock.nowS());
  sendOk(res, { access_token: token.access_token, expired_at: token.expired_at, now: token.now });
}

/** The merchant behind the Authorization header (Bearer or raw), or a 401. */
export async function authenticate(ctx: SandboxContext, req: IncomingMessage): Promise<Merchant> {
  const token = tokenFromHeader(req.headers.authorization);
  const merchantId = token ? await ctx.tokens.authenticate(token, ctx.clock.nowS()) : null;
  const merchant = merchantId === null ? null : ctx.merchants.byId(merchantId);
  if (!merchant) throw new SandboxError(401, MSG.unauthorized);
  return merchant;
}

// GET /payments/{imp_uid} ---------------------------------------------------------------------

const getOne: Handler = async (ctx, merchant, _req, res, _url, [impUid]) => {
  const payment = await paymentByImpUid(ctx.db, merchant.id, impUid!);
  if (!payment) throw new SandboxError(404, MSG.paymentNotFound);
  sendPayment(res, payment);
};

// GET /payments?imp_uid[]=&merchant_uid[]= ----------------------------------------------------

const getMany: Handler = async (ctx, merchant, _req, res, url) => {
  const impUids: string[] = [];
  const merchantUids: string[] = [];
  for (const [key, value] of url.searchParams) {
    const m = /^(imp_uid|merchant_uid)(\[\d*\])?$/.exec(key);
    if (!m || value === '') continue;
    const list = m[1] === 'imp_uid' ? impUids : merchantUids;
    if (!list.includes(value)) list.push(value);
  }
  const requested = impUids.length + merchantUids.length;
  if (requested === 0) throw new SandboxError(400, MSG.noIds);
  if (requested > MAX_BATCH_IDS) throw new SandboxError(400, MSG.tooManyIds);
  const byImp = new Map((await paymentsByImpUids(ctx.db, merchant.id, impUids)).map((p) => [p.imp_uid, p]));
  const byMerchantUid = await latestByMerchantUids(ctx.db, merchant.id, merchantUids);
  const found: PaymentRow[] = [];
  const seen = new Set<string>();
  let hits = 0;
  for (const p of [...impUids.map((id) => byImp.get(id)), ...merchantUids.map((uid) => byMerchantUid.get(uid))]) {
    if (!p) continue;
    hits += 1;
    if (seen.has(p.imp_uid)) continue;
    seen.add(p.imp_uid);
    found.push(p);
  }
  if (hits === 0) throw new SandboxError(404, MSG.paymentsNotFound);
  sendEnvelope(res, hits === requested ? 200 : 207, 0, null, found.map(toWirePayment));
};

// GET /payments/find/{merchant_uid}/{status?} -------------------------------------------------

const find: Handler = async (ctx, merchant, _req, res, url, [merchantUid, rawStatus]) => {
  const status = statusArg(rawStatus, false) as PaymentStatus | null;
  const sorting = valid(parseSorting(url.searchParams.get('sorting')));
  const payment = await findOneByMerchantUid(ctx.db, merchant.id, merchantUid!, status, sorting);
  if (!payment) throw new SandboxError(404, MSG.paymentNotFound);
  sendPayment(res, payment);
};

// GET /payments/findAll/{merchant_uid}/{status?} ----------------------------------------------

const findAll: Handler = async (ctx, merchant, _req, res, url, [merchantUid, rawStatus]) => {
  const status = statusArg(rawStatus, false) as PaymentStatus | null;
  const sorting = valid(parseSorting(url.searchParams.get('sorting')));
  const { page, limit } = valid(parsePaging(url.searchParams.get('page'), url.searchParams.get('limit')));
  const total = await countByMerchantUid(ctx.db, merchant.id, merchantUid!, status);
  if (total === 0) throw new SandboxError(404, MSG.paymentNotFound);
  const window = valid(pageWindow(total, page, limit));
  const rows = await pageByMerchantUid(ctx.db, merchant.id, merchantUid!, status, sorting, window.offset, limit);
  paged(res, total, window, rows);
};

// GET /payments/status/{status} ---------------------------------------------------------------

const byStatus: Handler = async (ctx, merchant, _req, res, url, [rawStatus]) => {
  const status = statusArg(rawStatus, true);
  if (status === null) throw new SandboxError(400, MSG.badStatus);
  const q = url.searchParams;
  const sorting = valid(parseSorting(q.get('sorting')));
  const { page, limit } = valid(parsePaging(q.get('page'), q.get('limit')));
  const { from, to } = valid(statusWindow(q.get('from'), q.get('to'), ctx.clock.nowS()));
  const total = await countByStatus(ctx.db, merchant.id, status, from, to);
  const window = valid(pageWindow(total, page, limit));
  const rows =
    total === 0 ? [] : await pageByStatus(ctx.db, merchant.id, status, from, to, sorting, window.offset, limit);
  paged(res, total, window, rows);
};

// /payments/prepare ---------------------------------------------------------------------------

function prepareView(row: { merchant_uid: string; amount: number; currency: string | null }) {
  return { amount: row.amount, currency: row.currency, merchant_uid: row.merchant_uid };
}

async function prepareInput(req: IncomingMessage) {
  const body = await readParams(req);
  const merchantUid = text(body.merchant_uid);
  const amount = numberParam(body.amount, 'amount');
  if (!merchantUid || amount === null) throw new SandboxError(400, MSG.prepareMissing);
  if (merchantUid.length > 40) throw new SandboxError(400, 'merchant_uid는 40자 이내여야 합니다.');
  if (amount <= 0) throw new SandboxError(400, 'amount는 0보다 커야 합니다.');
  const currency = text(body.currency)?.toUpperCase() ?? null;
  return { merchantUid, amount, currency };
}

const preparePost: Handler = async (ctx, merchant, req, res) => {
  const input = await prepareInput(req);
  const nowS = ctx.clock.nowS();
  const inserted = await ctx.db
    .insertInto('prepare')
    .values({
      merchant_id: merchant.id,
      merchant_uid: input.merchantUid,
      amount: input.amount,
      currency: input.currency,
      created_at: nowS,
      updated_at: nowS,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  // A second POST for the same merchant_uid is refused and points to PUT (docs/decisions/0101).
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return sendEnvelope(res, 200, 1, MSG.prepareExists, null);
  sendOk(res, prepareView({ merchant_uid: input.merchantUid, amount: input.amount, currency: input.currency }));
};

const preparePut: Handler = async (ctx, merchant, req, res) => {
  const input = await prepareInput(req);
  const updated = await ctx.db
    .updateTable('prepare')
    .set({ amount: input.amount, currency: input.currency, updated_at: ctx.clock.nowS() })
    .where('merchant_id', '=', merchant.id)
    .where('merchant_uid', '=', input.merchantUid)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new SandboxError(404, MSG.prepareNotFound);
  sendOk(res, prepareView(updated));
};

const prepareGet: Handler = async (ctx, merchant, _req, res, _url, [merchantUid]) => {
  const row = await ctx.db
    .selectFrom('prepare')
    .selectAll()
    .where('merchant_id', '=', merchant.id)
    .where('merchant_uid', '=', merchantUid!)
    .executeTakeFirst();
  if (!row) throw new SandboxError(404, MSG.prepareNotFound);
  sendOk(res, prepareView(row));
};

// POST /payments/cancel -----------------------------------------------------------------------

const cancel: Handler = async (ctx, merchant, req, res) => {
  const body = await readParams(req);
  const impUid = text(body.imp_uid);
  const merchantUid = text(body.merchant_uid);
  if (!impUid && !merchantUid) throw new SandboxError(400, MSG.cancelNoId);
  const amount = numberParam(body.amount, 'amount');
  if (amount !== null && amount < 0) throw new SandboxError(400, 'amount 파라메터는 0 이상이어야 합니다.');
  const result = await cancelViaApi(ctx, merchant, {
    imp_uid: impUid,
    merchant_uid: merchantUid,
    amount,
    checksum: numberParam(body.checksum, 'checksum'),
    reason: text(body.reason),
    refund_holder: text(body.refund_holder),
    refund_bank: text(body.refund_bank),
    refund_account: text(body.refund_account),
    enable_webhook: boolParam(body.enable_webhook),
  });
  // Refusals are HTTP 200 with code 1 (iamport-facts §2, §3.8).
  if (!result.ok) return sendEnvelope(res, 200, 1, result.message, null);
  sendPayment(res, result.payment);
};

// Routing -------------------------------------------------------------------------------------

type Route = { methods: string[]; match: (s: string[]) => string[] | null; handler: Handler };

const routes: Route[] = [
  { methods: ['GET'], match: (s) => (s.length === 1 ? [] : null), handler: getMany },
  {
    methods: ['GET'],
    match: (s) => (s[1] === 'find' && (s.length === 3 || s.length === 4) ? s.slice(2) : null),
    handler: find,
  },
  {
    methods: ['GET'],
    match: (s) => (s[1] === 'findAll' && (s.length === 3 || s.length === 4) ? s.slice(2) : null),
    handler: findAll,
  },
  { methods: ['GET'], match: (s) => (s[1] === 'status' && s.length === 3 ? s.slice(2) : null), handler: byStatus },
  { methods: ['POST'], match: (s) => (s[1] === 'prepare' && s.length === 2 ? [] : null), handler: preparePost },
  { methods: ['PUT'], match: (s) => (s[1] === 'prepare' && s.length === 2 ? [] : null), handler: preparePut },
  { methods: ['GET'], match: (s) => (s[1] === 'prepare' && s.length === 3 ? s.slice(2) : null), handler: prepareGet },
  { methods: ['POST'], match: (s) => (s[1] === 'cancel' && s.length === 2 ? [] : null), handler: cancel },
  {
    methods: ['GET'],
    match: (s) =>
      s.length === 2 && !['cancel', 'prepare', 'find', 'findAll', 'status'].includes(s[1]!) ? s.slice(1) : null,
    handler: getOne,
  },
];

/**
 * `/payments…`: authenticates first (401 before anything else), applies the merchant's faults,
 * then dispatches. `segments` are decoded path segments starting with "payments".
 */
export async function handlePayments(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  segments: string[],
): Promise<void> {
  const method = req.method ?? 'GET';
  const matching = routes.map((r) => ({ r, args: r.match(segments) })).filter((m) => m.args !== null);
  if (matching.length === 0) throw new SandboxError(404, MSG.unknownPath);
  const hit = matching.find((m) => m.r.methods.includes(method));
  if (!hit) throw new SandboxError(405, MSG.badMethod);
  const merchant = await authenticate(ctx, req);
  if (await applyFaults(ctx, merchant, res)) return;
  await hit.r.handler(ctx, merchant, req, res, url, hit.args!);
}
