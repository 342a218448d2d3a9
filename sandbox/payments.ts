import type { SandboxContext } from './context';
import { cancelTarget, hasPaidAttempt, paymentByImpUid } from './db/payments';
import type { PaymentRow } from './db/schema';
import { SandboxError } from './http';
import type { Merchant } from './merchants';
import {
  newApplyNum,
  newCancellationId,
  newImpUid,
  newPgTid,
  newVbankNum,
  type CancelHistoryItem,
} from './payment-view';
import {
  MSG,
  OUTCOME_ERRORS,
  addMoney,
  defaultRedirectStyle,
  outcomeEffect,
  parsePg,
  planCancel,
  statusTime,
  vbankDue,
  type CancelPlan,
  type Outcome,
  type PaymentStatus,
  type RedirectStyle,
  type WebhookScenario,
  type WindowResult,
} from './rules';
import { scenarioOf, type CreatePaymentInput } from './schemas';
import type { Notification } from './webhooks';

/**
 * Every change to a payment goes through this module: window outcomes, control-made payments,
 * refunds, deposits and late flips. Each change and the webhooks it causes commit in one
 * transaction; the scheduler is kicked afterwards.
 */

type Draft = Omit<PaymentRow, 'id'>;

const CARD = { code: '366', name: '신한카드', number: '536181******4021' };
const BANK = { code: '004', name: 'KB국민은행' };

function receiptUrl(ctx: SandboxContext, impUid: string): string {
  return `${ctx.baseUrl}/receipts/${impUid}`;
}

function markPaid(ctx: SandboxContext, p: Draft, paidAt: number): void {
  p.status = 'paid';
  p.paid_at = paidAt;
  p.fail_reason = null;
  p.pg_tid ??= newPgTid(p.pg_provider, paidAt);
  p.receipt_url = receiptUrl(ctx, p.imp_uid);
  if (p.pay_method === 'card') {
    p.apply_num ??= newApplyNum();
    p.card_code ??= CARD.code;
    p.card_name ??= CARD.name;
    p.card_number ??= CARD.number;
    p.card_type ??= 0;
  } else if (p.pay_method === 'trans') {
    p.bank_code ??= BANK.code;
    p.bank_name ??= BANK.name;
  }
}

function markVbankIssued(p: Draft, merchant: Merchant, issuedAt: number, due: number): void {
  p.status = 'ready';
  p.pay_method = 'vbank';
  p.pg_tid ??= newPgTid(p.pg_provider, issuedAt);
  p.vbank_code = BANK.code;
  p.vbank_name = BANK.name;
  p.vbank_num = newVbankNum();
  // tosspayments leaves the holder null (the real holder is the merchant) (iamport-facts §4).
  p.vbank_holder = p.pg_provider === 'tosspayments' ? null : merchant.name.slice(0, 40);
  p.vbank_issued_at = issuedAt;
  p.vbank_date = due;
}

function markFailed(p: Draft, failedAt: number, reason: string): void {
  p.status = 'failed';
  p.failed_at = failedAt;
  p.fail_reason = reason;
}

function applyCancel(
  ctx: SandboxContext,
  p: Draft,
  plan: Extract<CancelPlan, { ok: true }>,
  at: number,
  reason: string | null,
): string {
  const cancellationId = newCancellationId();
  const receipt = `${receiptUrl(ctx, p.imp_uid)}?cancellation_id=${cancellationId}`;
  const item: CancelHistoryItem = {
    amount: plan.refund,
    cancellation_id: cancellationId,
    cancelled_at: at,
    pg_tid: newPgTid(p.pg_provider, at),
    reason: reason ?? '',
    receipt_url: receipt,
  };
  p.cancel_history = JSON.stringify([...(JSON.parse(p.cancel_history) as CancelHistoryItem[]), item]);
  p.cancel_receipt_urls = JSON.stringify([...(JSON.parse(p.cancel_receipt_urls) as string[]), receipt]);
  p.cancel_amount = plan.cancelAmount;
  p.status = plan.status;
  p.cancelled_at = at;
  p.cancel_reason = reason;
  return cancellationId;
}

function finalize(p: Draft, nowS: number): void {
  p.updated_at = Math.max(nowS, p.started_at);
  p.status_at = statusTime(p);
}

function fullRefundPlan(p: Draft): Extract<CancelPlan, { ok: true }> {
  const refund = addMoney(p.amount, -p.cancel_amount);
  return { ok: true, refund, cancelAmount: p.amount, status: 'cancelled', full: true };
}

function notification(
  merchant: Merchant,
  p: Draft,
  status: string,
  scenario: WebhookScenario,
  extra: { cancellation_id?: string; redirectFollows?: boolean } = {},
): Notification {
  return {
    merchant,
    imp_uid: p.imp_uid,
    merchant_uid: p.merchant_uid,
    notice_urls: p.notice_urls,
    status,
    cancellation_id: extra.cancellation_id ?? null,
    scenario,
    redirectFollows: extra.redirectFollows ?? false,
  };
}

/** The scenario for one event: the merchant's default, the payment's, then the request's. */
function scenarioFor(
  merchant: Merchant,
  p: Draft,
  override?: Partial<WebhookScenario> | false,
): WebhookScenario | null {
  if (override === false) return null;
  return scenarioOf(
    merchant.webhook_scenario,
    p.webhook_scenario ? (JSON.parse(p.webhook_scenario) as Partial<WebhookScenario>) : null,
    override,
  );
}

function emptyDraft(
  fields: Pick<
    Draft,
    'imp_uid' | 'merchant_id' | 'merchant_uid' | 'amount' | 'order_amount' | 'currency' | 'started_at'
  > &
    Partial<Draft>,
): Draft {
  return {
    pay_method: 'card',
    channel: 'pc',
    pg_provider: null,
    emb_pg_provider: null,
    pg_tid: null,
    pg_id: null,
    escrow: 0,
    apply_num: null,
    bank_code: null,
    bank_name: null,
    card_code: null,
    card_name: null,
    card_quota: 0,
    card_number: null,
    card_type: null,
    vbank_code: null,
    vbank_name: null,
    vbank_num: null,
    vbank_holder: null,
    vbank_date: 0,
    vbank_issued_at: 0,
    name: null,
    cancel_amount: 0,
    buyer_name: null,
    buyer_email: null,
    buyer_tel: null,
    buyer_addr: null,
    buyer_postcode: null,
    custom_data: null,
    user_agent: null,
    status: 'ready',
    paid_at: 0,
    failed_at: 0,
    cancelled_at: 0,
    fail_reason: null,
    cancel_reason: null,
    receipt_url: null,
    cancel_history: '[]',
    cancel_receipt_urls: '[]',
    cash_receipt_issued: 0,
    updated_at: fields.started_at,
    status_at: fields.started_at,
    notice_urls: null,
    webhook_scenario: null,
    m_redirect_url: null,
    window_mode: null,
    window_origin: null,
    window_state: null,
    requested_vbank_due: null,
    ...fields,
  };
}

function customData(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function noticeUrls(value: unknown): string | null {
  const list = (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).filter(
    (v): v is string => typeof v === 'string' && /^https?:\/\/\S+$/i.test(v),
  );
  return list.length ? JSON.stringify(list.slice(0, 5)) : null;
}

/** Ids not used yet (checked against the table, inside the caller's transaction). */
async function freshImpUids(db: SandboxContext['db'], count: number): Promise<string[]> {
  const out = new Set<string>();
  while (out.size < count) {
    const candidates = new Set<string>();
    while (candidates.size + out.size < count) {
      const id = newImpUid();
      if (!out.has(id)) candidates.add(id);
    }
    const list = [...candidates];
    for (let i = 0; i < list.length; i += 500) {
      const rows = await db
        .selectFrom('payment')
        .select('imp_uid')
        .where('imp_uid', 'in', list.slice(i, i + 500))
        .execute();
      for (const r of rows) candidates.delete(r.imp_uid);
    }
    for (const id of candidates) out.add(id);
  }
  return [...out];
}

/** Columns whose SQL default is not NULL, with that default. */
const COLUMN_DEFAULTS: Partial<Record<keyof Draft, unknown>> = {
  escrow: 0,
  card_quota: 0,
  vbank_date: 0,
  vbank_issued_at: 0,
  cancel_amount: 0,
  paid_at: 0,
  failed_at: 0,
  cancelled_at: 0,
  cancel_history: '[]',
  cancel_receipt_urls: '[]',
  cash_receipt_issued: 0,
};

/**
 * Multi-row inserts in batches. A column that holds only its default in a batch is left out, so
 * a bulk of plain card payments binds about half the values (most Payment fields are empty).
 */
async function insertDrafts(db: SandboxContext['db'], drafts: Draft[]): Promise<void> {
  for (let i = 0; i < drafts.length; i += 400) {
    const batch = drafts.slice(i, i + 400);
    const keys = Object.keys(batch[0]!) as (keyof Draft)[];
    const used = keys.filter((key) => {
      const fallback = key in COLUMN_DEFAULTS ? COLUMN_DEFAULTS[key] : null;
      return batch.some((row) => row[key] !== fallback);
    });
    const rows =
      used.length === keys.length
        ? batch
        : batch.map((row) => Object.fromEntries(used.map((key) => [key, row[key]])) as Draft);
    await db.insertInto('payment').values(rows).execute();
  }
}

async function saveDraft(db: SandboxContext['db'], id: number, p: Draft): Promise<void> {
  const { imp_uid: _imp, merchant_id: _m, ...rest } = p;
  await db.updateTable('payment').set(rest).where('id', '=', id).execute();
}

function withoutId(row: PaymentRow): Draft {
  const { id: _id, ...rest } = row;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Payments made by the controls (no browser)

/**
 * Creates payments directly in their final state, as if a window had been paid (or failed, or a
 * vbank issued, or paid then refunded). Bulk arrays go in one transaction.
 */
export async function createPayments(ctx: SandboxContext, inputs: CreatePaymentInput[]): Promise<PaymentRow[]> {
  const nowS = ctx.clock.nowS();
  const nowMs = ctx.clock.nowMs();
  const drafts: Draft[] = [];
  const events: Notification[] = [];
  await ctx.db.transaction().execute(async (trx) => {
    const ids = await freshImpUids(trx, inputs.length);
    inputs.forEach((input, i) => {
      const merchant = ctx.merchants.resolve(input.merchant);
      const status = input.status ?? 'paid';
      const { provider, pgId } = parsePg(input.pg, merchant.default_pg);
      const startedAt = input.started_at ?? nowS;
      const p = emptyDraft({
        imp_uid: ids[i]!,
        merchant_id: merchant.id,
        merchant_uid: input.merchant_uid ?? `sbx_${nowMs}_${i + 1}`,
        amount: input.paid_amount ?? input.amount,
        order_amount: input.amount,
        currency: input.currency ?? 'KRW',
        started_at: startedAt,
        pay_method: input.pay_method ?? (status === 'ready' ? 'vbank' : 'card'),
        pg_provider: provider,
        pg_id: pgId,
        name: input.name ?? null,
        buyer_name: input.buyer_name ?? null,
        buyer_email: input.buyer_email ?? null,
        buyer_tel: input.buyer_tel ?? null,
        buyer_addr: input.buyer_addr ?? null,
        buyer_postcode: input.buyer_postcode ?? null,
        custom_data: customData(input.custom_data),
        notice_urls: noticeUrls(input.notice_url),
        webhook_scenario: input.webhook ? JSON.stringify(input.webhook) : null,
      });
      const at = input.paid_at ?? startedAt;
      let event: string | null = null;
      if (status === 'paid' || status === 'cancelled') {
        markPaid(ctx, p, at);
        event = 'paid';
        if (status === 'cancelled') applyCancel(ctx, p, fullRefundPlan(p), at, null);
      } else if (status === 'failed') {
        markFailed(p, at, input.fail_reason ?? OUTCOME_ERRORS.failed.msg);
      } else if (p.pay_method === 'vbank') {
        markVbankIssued(p, merchant, startedAt, input.vbank_due ?? vbankDue(null, startedAt));
        event = 'ready';
      }
      finalize(p, Math.max(nowS, at));
      drafts.push(p);
      const scenario = scenarioFor(merchant, p, input.webhook);
      if (event && scenario) events.push(notification(merchant, p, event, scenario));
    });
    await insertDrafts(trx, drafts);
    await ctx.webhooks.enqueue(trx, events);
  });
  ctx.webhooks.kick();
  if (drafts.length === 1)
    return [
      await ctx.db
        .selectFrom('payment')
        .selectAll()
        .where('imp_uid', '=', drafts[0]!.imp_uid)
        .executeTakeFirstOrThrow(),
    ];
  return drafts.map((d, i) => ({ id: -(i + 1), ...d }));
}

async function lockedPayment(trx: SandboxContext['db'], impUid: string): Promise<PaymentRow> {
  const row = await trx.selectFrom('payment').selectAll().where('imp_uid', '=', impUid).executeTakeFirst();
  if (!row) throw new SandboxError(404, MSG.paymentNotFound);
  return row;
}

/**
 * The gateway's record corrected after the fact (a PG amount correction): the payment now reports
 * `amount`, nothing else changes and no webhook is sent. Lets a test change the gateway's answer.
 */
export async function amendPayment(ctx: SandboxContext, impUid: string, amount: number): Promise<PaymentRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await lockedPayment(trx, impUid);
    if (amount < row.cancel_amount)
      throw new SandboxError(409, `the amount cannot go below what was refunded (${row.cancel_amount})`);
    await trx.updateTable('payment').set({ amount }).where('id', '=', row.id).execute();
    return { ...row, amount };
  });
}

/** A vbank deposit (ready → paid) with its `paid` webhook (iamport-facts §5.1). */
export async function depositVbank(
  ctx: SandboxContext,
  impUid: string,
  webhook?: Partial<WebhookScenario> | false,
): Promise<PaymentRow> {
  const nowS = ctx.clock.nowS();
  const row = await ctx.db.transaction().execute(async (trx) => {
    const row = await lockedPayment(trx, impUid);
    if (row.pay_method !== 'vbank' || row.status !== 'ready' || row.vbank_issued_at === 0) {
      throw new SandboxError(
        409,
        `only an issued, unpaid vbank can receive a deposit (this one is ${row.pay_method ?? 'unknown'} / ${row.status})`,
      );
    }
    const merchant = ctx.merchants.byId(row.merchant_id)!;
    const p = withoutId(row);
    markPaid(ctx, p, nowS);
    finalize(p, nowS);
    await saveDraft(trx, row.id, p);
    const scenario = scenarioFor(merchant, p, webhook);
    if (scenario) await ctx.webhooks.enqueue(trx, [notification(merchant, p, 'paid', scenario)]);
    return { ...p, id: row.id };
  });
  ctx.webhooks.kick();
  return row;
}

/**
 * Changes made outside the merchant's own calls: a late approval (failed/ready → paid, with a
 * `paid` webhook), a failure of an open attempt (no webhook), or a refund from the admin console
 * (always a `cancelled` webhook with its cancellation_id).
 */
export async function transitionPayment(
  ctx: SandboxContext,
  impUid: string,
  to: 'paid' | 'failed' | 'cancelled',
  options: { amount?: number; reason?: string | null; webhook?: Partial<WebhookScenario> | false },
): Promise<PaymentRow> {
  const nowS = ctx.clock.nowS();
  const row = await ctx.db.transaction().execute(async (trx) => {
    const row = await lockedPayment(trx, impUid);
    const merchant = ctx.merchants.byId(row.merchant_id)!;
    const p = withoutId(row);
    const scenario = scenarioFor(merchant, p, options.webhook);
    const events: Notification[] = [];
    if (to === 'paid') {
      if (row.status !== 'failed' && row.status !== 'ready')
        throw new SandboxError(409, `a ${row.status} payment cannot become paid`);
      markPaid(ctx, p, nowS);
      if (scenario) events.push(notification(merchant, p, 'paid', scenario));
    } else if (to === 'failed') {
      if (row.status !== 'ready')
        throw new SandboxError(409, `only a ready payment can fail (this one is ${row.status})`);
      markFailed(p, nowS, options.reason ?? OUTCOME_ERRORS.failed.msg);
    } else {
      const plan = planCancel(
        p,
        {
          amount: options.amount ?? null,
          checksum: null,
          refund_holder: 'console',
          refund_bank: 'console',
          refund_account: 'console',
        },
        merchant.partial_cancel_status,
      );
      if (!plan.ok) throw new SandboxError(409, plan.message);
      const cancellationId = applyCancel(ctx, p, plan, nowS, options.reason ?? null);
      if (scenario) events.push(notification(merchant, p, 'cancelled', scenario, { cancellation_id: cancellationId }));
    }
    finalize(p, nowS);
    await saveDraft(trx, row.id, p);
    await ctx.webhooks.enqueue(trx, events);
    return { ...p, id: row.id };
  });
  ctx.webhooks.kick();
  return row;
}

// ---------------------------------------------------------------------------------------------
// POST /payments/cancel (iamport-facts §3.8)

export type CancelParams = {
  imp_uid: string | null;
  merchant_uid: string | null;
  amount: number | null;
  checksum: number | null;
  reason: string | null;
  refund_holder: string | null;
  refund_bank: string | null;
  refund_account: string | null;
  enable_webhook: boolean;
};

/**
 * A refund through the API: imp_uid wins over merchant_uid; business refusals are `code 1` on
 * HTTP 200 (iamport-facts §2); a webhook only with `enable_webhook`.
 */
export async function cancelViaApi(
  ctx: SandboxContext,
  merchant: Merchant,
  req: CancelParams,
): Promise<{ ok: true; payment: PaymentRow } | { ok: false; message: string }> {
  const nowS = ctx.clock.nowS();
  const result = await ctx.db.transaction().execute(async (trx) => {
    const row = req.imp_uid
      ? await paymentByImpUid(trx, merchant.id, req.imp_uid)
      : await cancelTarget(trx, merchant.id, req.merchant_uid!);
    if (!row) return { ok: false as const, message: MSG.cancelNotFound };
    const p = withoutId(row);
    const plan = planCancel(p, req, merchant.partial_cancel_status);
    if (!plan.ok) return { ok: false as const, message: plan.message };
    const cancellationId = applyCancel(ctx, p, plan, nowS, req.reason);
    finalize(p, nowS);
    await saveDraft(trx, row.id, p);
    const scenario = req.enable_webhook ? scenarioFor(merchant, p) : null;
    if (scenario)
      await ctx.webhooks.enqueue(trx, [
        notification(merchant, p, 'cancelled', scenario, { cancellation_id: cancellationId }),
      ]);
    return { ok: true as const, payment: { ...p, id: row.id } };
  });
  if (result.ok) ctx.webhooks.kick();
  return result;
}

// ---------------------------------------------------------------------------------------------
// The browser flow (iamport-facts §6)

export type WindowRequest = {
  imp_code: string | null;
  origin: string | null;
  user_agent: string | null;
  params: Record<string, unknown>;
};

export type WindowStart =
  | { kind: 'open'; payment: PaymentRow }
  | { kind: 'refused'; merchant_uid: string; error_code: string; error_msg: string; style: RedirectStyle };

function text(value: unknown, max: number): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value).slice(0, max);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.slice(0, max);
}

/** The m_redirect_url of a request, when it is an absolute http(s) URL. */
export function mRedirectUrlOf(params: Record<string, unknown>): { present: boolean; url: string | null } {
  const raw = params.m_redirect_url;
  if (raw === undefined || raw === null || raw === '') return { present: false, url: null };
  if (typeof raw !== 'string') return { present: true, url: null };
  try {
    const url = new URL(raw);
    return { present: true, url: url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null };
  } catch {
    return { present: true, url: null };
  }
}

/**
 * IMP.request_pay: validates like the SDK does before any window opens (unknown merchant, bad
 * amount, a prepared amount that differs, a merchant_uid already paid), then records a `ready`
 * payment for the open window.
 */
export async function openWindow(ctx: SandboxContext, req: WindowRequest): Promise<WindowStart> {
  const nowS = ctx.clock.nowS();
  const params = req.params;
  const merchant_uid = text(params.merchant_uid, 40) ?? `nobody_${ctx.clock.nowMs()}`;
  const payMethod = text(params.pay_method, 20) ?? 'card';
  const merchant = req.imp_code ? ctx.merchants.byCode(req.imp_code) : null;
  const { provider, pgId } = parsePg(text(params.pg, 60), merchant?.default_pg ?? 'html5_inicis');
  const style = defaultRedirectStyle(provider, payMethod);
  const refuse = (error_code: string, error_msg: string): WindowStart => ({
    kind: 'refused',
    merchant_uid,
    error_code,
    error_msg,
    style,
  });
  if (!merchant) return refuse('F0000', '가맹점 식별코드(IMP.init)가 올바르지 않습니다.');
  const amount =
    typeof params.amount === 'number'
      ? params.amount
      : typeof params.amount === 'string' && params.amount.trim() !== ''
        ? Number(params.amount)
        : NaN;
  if (!Number.isFinite(amount) || amount <= 0) return refuse('F0001', '결제금액(amount)이 올바르지 않습니다.');
  const currency = (text(params.currency, 3) ?? 'KRW').toUpperCase();
  const prepared = await ctx.db
    .selectFrom('prepare')
    .selectAll()
    .where('merchant_id', '=', merchant.id)
    .where('merchant_uid', '=', merchant_uid)
    .executeTakeFirst();
  if (prepared && (prepared.amount !== amount || (prepared.currency !== null && prepared.currency !== currency))) {
    return refuse(
      'F1001',
      `사전등록된 결제정보와 요청 금액이 일치하지 않습니다. (사전등록: ${prepared.amount}, 요청: ${amount})`,
    );
  }
  if (await hasPaidAttempt(ctx.db, merchant.id, merchant_uid)) return refuse('F1002', MSG.alreadyPaid);

  const [imp_uid] = await freshImpUids(ctx.db, 1);
  const m = mRedirectUrlOf(params);
  const ua = req.user_agent ?? null;
  const p = emptyDraft({
    imp_uid: imp_uid!,
    merchant_id: merchant.id,
    merchant_uid,
    amount,
    order_amount: amount,
    currency,
    started_at: nowS,
    pay_method: payMethod,
    channel: ua && /Mobi|Android|iPhone/i.test(ua) ? 'mobile' : 'pc',
    pg_provider: provider,
    pg_id: pgId,
    name: text(params.name, 100),
    buyer_name: text(params.buyer_name, 100),
    buyer_email: text(params.buyer_email, 100),
    buyer_tel: text(params.buyer_tel, 40),
    buyer_addr: text(params.buyer_addr, 200),
    buyer_postcode: text(params.buyer_postcode, 20),
    custom_data: customData(params.custom_data),
    user_agent: ua ? ua.slice(0, 500) : null,
    escrow: params.escrow === true ? 1 : 0,
    card_quota: Number.isInteger(params.card_quota) ? Number(params.card_quota) : 0,
    notice_urls: noticeUrls(params.notice_url),
    m_redirect_url: m.url,
    window_mode: m.url ? 'redirect' : 'callback',
    window_origin: text(req.origin, 300),
    window_state: 'open',
    requested_vbank_due: params.vbank_due === undefined ? null : vbankDue(params.vbank_due, nowS),
  });
  await ctx.db.insertInto('payment').values(p).execute();
  const row = await ctx.db.selectFrom('payment').selectAll().where('imp_uid', '=', p.imp_uid).executeTakeFirstOrThrow();
  return { kind: 'open', payment: row };
}

export type WindowChoice = {
  outcome: Outcome;
  style: RedirectStyle | null;
  error_code: string | null;
  error_msg: string | null;
  tampered_amount: number | null;
  scenario: Partial<WebhookScenario> | null;
};

/**
 * The tester pressed a button in the PG window: the payment takes its final state, the webhooks
 * the reference promises are queued (paid, vbank ready; never on failure), and the browser's
 * result is returned for the redirect or the callback.
 */
export async function completeWindow(
  ctx: SandboxContext,
  impUid: string,
  choice: WindowChoice,
): Promise<{
  payment: PaymentRow;
  result: WindowResult;
  style: RedirectStyle;
  scenario: WebhookScenario | null;
  notified: boolean;
}> {
  const nowS = ctx.clock.nowS();
  const done = await ctx.db.transaction().execute(async (trx) => {
    const row = await lockedPayment(trx, impUid);
    if (row.window_state !== 'open') throw new SandboxError(409, '이미 종료된 결제창입니다.');
    const merchant = ctx.merchants.byId(row.merchant_id)!;
    const p = withoutId(row);
    const provider = p.pg_provider ?? merchant.default_pg;
    const effect = outcomeEffect(choice.outcome, provider, { code: choice.error_code, msg: choice.error_msg });
    if ((choice.outcome === 'paid' || choice.outcome === 'vbank_issued') && choice.tampered_amount !== null)
      p.amount = choice.tampered_amount;
    let event: string | null = null;
    if (choice.outcome === 'paid') {
      markPaid(ctx, p, nowS);
      event = 'paid';
    } else if (choice.outcome === 'vbank_issued') {
      markVbankIssued(
        p,
        merchant,
        nowS,
        p.requested_vbank_due !== null && p.requested_vbank_due > nowS ? p.requested_vbank_due : vbankDue(null, nowS),
      );
      event = 'ready';
    } else if (effect.status === 'failed') {
      markFailed(p, nowS, effect.fail_reason ?? effect.error_msg ?? OUTCOME_ERRORS.failed.msg);
    }
    p.window_state = 'closed';
    finalize(p, nowS);
    await saveDraft(trx, row.id, p);
    const scenario = scenarioFor(merchant, p, choice.scenario ?? undefined);
    let notified = false;
    if (event && scenario)
      notified =
        (await ctx.webhooks.enqueue(trx, [notification(merchant, p, event, scenario, { redirectFollows: true })])) > 0;
    const result: WindowResult = {
      imp_uid: p.imp_uid,
      merchant_uid: p.merchant_uid,
      ok: effect.ok,
      error_code: effect.error_code,
      error_msg: effect.error_msg,
    };
    return {
      payment: { ...p, id: row.id },
      result,
      style: choice.style ?? defaultRedirectStyle(provider, p.pay_method ?? 'card'),
      scenario,
      notified,
    };
  });
  return done;
}

export { type PaymentStatus };
