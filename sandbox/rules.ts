/**
 * The sandbox's decisions as pure functions: token lifetime, paging, status windows, the PG
 * window's outcomes and redirect styles, refund rules. The HTTP and database layers call these;
 * test/unit/sandbox tests them table by table. Section numbers refer to
 * docs/decisions/0112-iamport-facts.md (the gateway facts the project relies on).
 */

export const PAYMENT_STATUSES = ['ready', 'paid', 'failed', 'cancelled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const SORTINGS = ['-started', 'started', '-paid', 'paid', '-updated', 'updated'] as const;
export type Sorting = (typeof SORTINGS)[number];

export const REDIRECT_STYLES = ['imp_success', 'success', 'none', 'ids_only'] as const;
export type RedirectStyle = (typeof REDIRECT_STYLES)[number];

export const OUTCOMES = [
  'paid',
  'failed',
  'buyer_cancel',
  'window_not_opened',
  'card_refused',
  'vbank_issued',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Messages the live API is known to send (iamport-facts §1.3, §2, §3.7, §6.1) and the sandbox's own. */
export const MSG = {
  missingKeys: 'imp_key, imp_secret 파라메터가 누락되었습니다.',
  badKeys: 'imp_key, imp_secret 인증에 실패하였습니다.',
  unauthorized: '인증 Token이 전달되지 않았거나 유효하지 않습니다.',
  paymentNotFound: '존재하지 않는 결제정보입니다.',
  paymentsNotFound: '해당되는 결제건을 찾지 못하였습니다.',
  prepareNotFound: '사전등록된 결제정보가 존재하지 않습니다.',
  prepareExists: '이미 사전등록된 merchant_uid입니다. 금액을 변경하려면 PUT /payments/prepare를 사용하세요.',
  prepareMissing: 'merchant_uid, amount 파라메터가 누락되었습니다.',
  badStatus: '지원되지 않는 상태값입니다.',
  badSorting: '지원되지 않는 정렬방식입니다. (-started, started, -paid, paid, -updated, updated)',
  badPage: 'page는 1 이상의 정수여야 합니다.',
  pageOutOfRange: '데이터 범위를 넘어선 page입니다.',
  badLimit: 'limit은 1 이상 1000 이하의 정수여야 합니다.',
  badWindow: '조회기간(from ~ to)은 최대 90일까지 지정할 수 있습니다.',
  badFromTo: 'from, to는 unix timestamp(초)로 지정해야 하며 from은 to보다 클 수 없습니다.',
  tooManyIds: 'imp_uid[], merchant_uid[]는 합쳐서 최대 100개까지 조회할 수 있습니다.',
  noIds: 'imp_uid[] 또는 merchant_uid[]를 지정해주셔야합니다.',
  cancelNoId: '취소할 거래건의 imp_uid 또는 merchant_uid 중 하나를 지정해주셔야합니다.',
  cancelNotFound: '취소할 결제건이 존재하지 않습니다.',
  cancelNotPaid: '결제완료 상태가 아닌 결제건은 취소할 수 없습니다.',
  cancelAlreadyFull: '이미 전액취소된 주문입니다.',
  cancelVbankRefund: '가상계좌 환불에는 refund_holder, refund_bank, refund_account 파라메터가 필요합니다.',
  alreadyPaid: '이미 결제가 이루어진 거래건입니다.',
  unknownPath: '지원되지 않는 API입니다.',
  badMethod: '지원되지 않는 HTTP method입니다.',
  badJson: '요청 본문을 해석할 수 없습니다. (application/json 또는 application/x-www-form-urlencoded)',
  bodyTooLarge: '요청 본문이 너무 큽니다.',
} as const;

// ---------------------------------------------------------------------------------------------
// Tokens (iamport-facts §1.2)

export const TOKEN_LIFETIME_S = 30 * 60;
export const TOKEN_EXTENSION_WINDOW_S = 60;
export const TOKEN_EXTENSION_S = 5 * 60;

export type TokenDecision = { action: 'issue'; expiresAt: number } | { action: 'reuse' | 'extend'; expiresAt: number };

/**
 * getToken answers the same token until it expires; a call in its last minute extends it by five
 * minutes; after expiry (or with none) a new 30-minute token is issued.
 */
export function decideToken(current: { expiresAt: number } | null, nowS: number): TokenDecision {
  if (!current || current.expiresAt <= nowS) return { action: 'issue', expiresAt: nowS + TOKEN_LIFETIME_S };
  if (current.expiresAt - nowS <= TOKEN_EXTENSION_WINDOW_S)
    return { action: 'extend', expiresAt: current.expiresAt + TOKEN_EXTENSION_S };
  return { action: 'reuse', expiresAt: current.expiresAt };
}

/** `Authorization: Bearer x` and a bare `x` are both accepted (iamport-facts §1.4). */
export function tokenFromHeader(header: string | undefined): string | null {
  if (!header) return null;
  const value = header.trim();
  const bearer = /^bearer\s+(.+)$/i.exec(value);
  const token = (bearer ? bearer[1]! : value).trim();
  return token === '' ? null : token;
}

// ---------------------------------------------------------------------------------------------
// Paging and windows (iamport-facts §3.3-3.6)

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 20;
export const MAX_WINDOW_S = 90 * 24 * 60 * 60;
export const MAX_BATCH_IDS = 100;

export type Invalid = { error: string };

function isInvalid<T>(value: T | Invalid): value is Invalid {
  return typeof value === 'object' && value !== null && 'error' in value;
}
export { isInvalid };

/** A query parameter that must be a whole number: missing gives the default, anything else an error. */
export function intParam(raw: string | null, fallback: number): number | null {
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d{1,15}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

export function parseSorting(raw: string | null): Sorting | Invalid {
  if (raw === null || raw === '') return '-started';
  return (SORTINGS as readonly string[]).includes(raw) ? (raw as Sorting) : { error: MSG.badSorting };
}

export function parsePaging(
  rawPage: string | null,
  rawLimit: string | null,
): { page: number; limit: number } | Invalid {
  const page = intParam(rawPage, 1);
  if (page === null || page < 1) return { error: MSG.badPage };
  const limit = intParam(rawLimit, DEFAULT_LIMIT);
  if (limit === null || limit < 1 || limit > MAX_LIMIT) return { error: MSG.badLimit };
  return { page, limit };
}

/** `previous`/`next` are page numbers, 0 when there is none; a page past the data is a 400. */
export function pageWindow(
  total: number,
  page: number,
  limit: number,
): { offset: number; previous: number; next: number } | Invalid {
  const lastPage = Math.max(1, Math.ceil(total / limit));
  if (page > lastPage) return { error: MSG.pageOutOfRange };
  return { offset: (page - 1) * limit, previous: page > 1 ? page - 1 : 0, next: page < lastPage ? page + 1 : 0 };
}

/** `to` defaults to now, `from` to `to` − 90 days; both inclusive; wider than 90 days is refused. */
export function statusWindow(
  rawFrom: string | null,
  rawTo: string | null,
  nowS: number,
): { from: number; to: number } | Invalid {
  const to = intParam(rawTo, nowS);
  if (to === null || to < 0) return { error: MSG.badFromTo };
  const from = intParam(rawFrom, Math.max(0, to - MAX_WINDOW_S));
  if (from === null || from < 0 || from > to) return { error: MSG.badFromTo };
  if (to - from > MAX_WINDOW_S) return { error: MSG.badWindow };
  return { from, to };
}

/** The time /payments/status filters on: the time field of the payment's current status (iamport-facts §3.5). */
export function statusTime(p: {
  status: PaymentStatus;
  started_at: number;
  paid_at: number;
  failed_at: number;
  cancelled_at: number;
}): number {
  switch (p.status) {
    case 'paid':
      return p.paid_at;
    case 'cancelled':
      return p.cancelled_at;
    case 'failed':
      return p.failed_at;
    default:
      return p.started_at;
  }
}

// ---------------------------------------------------------------------------------------------
// The PG window (iamport-facts §6)

/** `html5_inicis.INIpayTest` → provider and MID; the MID falls back to a per-PG test MID. */
export function parsePg(pg: string | null | undefined, fallback: string): { provider: string; pgId: string } {
  const value = (pg ?? '').trim() || fallback;
  const dot = value.indexOf('.');
  const provider = (dot === -1 ? value : value.slice(0, dot)).toLowerCase().slice(0, 16) || fallback;
  const pgId = dot === -1 ? (TEST_MIDS[provider] ?? `${provider}_test`) : value.slice(dot + 1);
  return { provider, pgId: pgId.slice(0, 80) };
}

const TEST_MIDS: Record<string, string> = {
  html5_inicis: 'INIpayTest',
  inicis: 'INIpayTest',
  kcp: 'T0000',
  nice: 'nictest00m',
  tosspayments: 'tosstest',
  kakaopay: 'TC0ONETIME',
  danal_tpay: 'A010002002',
};

const IDS_ONLY_PGS = new Set(['tosspayments', 'smartro_v2', 'nice_v2', 'paypal_v2', 'ksnet', 'welcome']);

/**
 * The redirect style a PG uses by default (iamport-facts §6.3): the new-SDK PGs send ids only, Inicis real-time
 * transfer sends no flag, everything else `imp_success`. The PG window lets the tester override it.
 */
export function defaultRedirectStyle(provider: string, payMethod: string): RedirectStyle {
  if (IDS_ONLY_PGS.has(provider)) return 'ids_only';
  if ((provider === 'html5_inicis' || provider === 'inicis') && payMethod === 'trans') return 'none';
  return 'imp_success';
}

export type WindowResult = {
  imp_uid: string | null;
  merchant_uid: string;
  /** "The process ended normally": paid or vbank issued. Never a statement about the money. */
  ok: boolean;
  error_code: string | null;
  error_msg: string | null;
};

/**
 * The query string appended to m_redirect_url (iamport-facts §6.2-6.3). `imp_success`/`success` carry the
 * flag; `none` and `ids_only` carry no flag. Errors travel as error_code/error_msg in every style.
 */
export function redirectParams(style: RedirectStyle, r: WindowResult): [string, string][] {
  const out: [string, string][] = [];
  if (r.imp_uid) out.push(['imp_uid', r.imp_uid]);
  out.push(['merchant_uid', r.merchant_uid]);
  if (style === 'imp_success') out.push(['imp_success', String(r.ok)]);
  if (style === 'success') out.push(['success', String(r.ok)]);
  if (!r.ok) {
    if (r.error_code !== null) out.push(['error_code', r.error_code]);
    if (r.error_msg !== null) out.push(['error_msg', r.error_msg]);
  }
  return out;
}

/** Appends the result to m_redirect_url, keeping whatever query it already had. */
export function redirectUrl(mRedirectUrl: string, style: RedirectStyle, r: WindowResult): string {
  const url = new URL(mRedirectUrl);
  for (const [key, value] of redirectParams(style, r)) url.searchParams.append(key, value);
  return url.toString();
}

export type OutcomeEffect = {
  status: PaymentStatus;
  ok: boolean;
  error_code: string | null;
  error_msg: string | null;
  fail_reason: string | null;
};

/** Error codes the PG window uses by default; PGs pass their own codes through unchanged (iamport-facts §6.2). */
export const OUTCOME_ERRORS: Record<Exclude<Outcome, 'paid' | 'vbank_issued'>, { code: string; msg: string }> = {
  failed: { code: 'PG0001', msg: '[PG] 결제 승인에 실패하였습니다.' },
  buyer_cancel: { code: 'F400', msg: '[결제포기] 사용자가 결제를 취소하셨습니다' },
  window_not_opened: { code: 'PG_CONFIG', msg: 'PG사 결제창 호출에 실패하였습니다. (PG 설정 오류)' },
  card_refused: { code: 'CARD_LIMIT', msg: '[카드사 거절] 한도초과 또는 잔액부족' },
};

export const INICIS_BUYER_CANCEL_REASON = '사용자가 결제를 취소함';

/**
 * What each button of the PG window does (iamport-facts §4.1, §6.1): an abandoned window stays `ready`,
 * except under html5_inicis where it becomes `failed` with "사용자가 결제를 취소함".
 */
export function outcomeEffect(
  outcome: Outcome,
  provider: string,
  override: { code?: string | null; msg?: string | null } = {},
): OutcomeEffect {
  if (outcome === 'paid') return { status: 'paid', ok: true, error_code: null, error_msg: null, fail_reason: null };
  if (outcome === 'vbank_issued')
    return { status: 'ready', ok: true, error_code: null, error_msg: null, fail_reason: null };
  const defaults = OUTCOME_ERRORS[outcome];
  const error_code = override.code?.trim() || defaults.code;
  const error_msg = override.msg?.trim() || defaults.msg;
  if (outcome === 'buyer_cancel') {
    return provider === 'html5_inicis'
      ? { status: 'failed', ok: false, error_code, error_msg, fail_reason: INICIS_BUYER_CANCEL_REASON }
      : { status: 'ready', ok: false, error_code, error_msg, fail_reason: null };
  }
  return { status: 'failed', ok: false, error_code, error_msg, fail_reason: error_msg };
}

const KST_OFFSET_S = 9 * 60 * 60;

/**
 * The vbank deposit deadline from request_pay's `vbank_due` (`YYYYMMDD` → end of that day KST,
 * `YYYYMMDDhhmm` KST, or unix seconds); three days from now when absent or unreadable.
 */
export function vbankDue(raw: unknown, nowS: number): number {
  const fallback = nowS + 3 * 24 * 60 * 60;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw > nowS) return raw;
  if (typeof raw !== 'string') return fallback;
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2}))?$/.exec(raw.trim());
  if (!m) return /^\d{9,11}$/.test(raw.trim()) ? Number(raw.trim()) : fallback;
  const [, y, mo, d, h, mi] = m;
  const endOfDay = h === undefined;
  const utc = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    endOfDay ? 23 : Number(h),
    endOfDay ? 59 : Number(mi),
    endOfDay ? 59 : 0,
  );
  if (Number.isNaN(utc)) return fallback;
  return Math.floor(utc / 1000) - KST_OFFSET_S;
}

// ---------------------------------------------------------------------------------------------
// Refunds (iamport-facts §3.8)

export type CancelRequest = {
  amount: number | null;
  checksum: number | null;
  refund_holder: string | null;
  refund_bank: string | null;
  refund_account: string | null;
};

export type CancelPlan =
  | { ok: true; refund: number; cancelAmount: number; status: PaymentStatus; full: boolean }
  | { ok: false; message: string };

/** Sums money without binary-float dust (USD 0.1 + 0.2); KRW is integral anyway. */
export function addMoney(a: number, b: number): number {
  return Math.round((a + b) * 1e6) / 1e6;
}

/**
 * Decides a refund: missing/0 amount refunds the balance; `checksum` must equal the balance
 * when given; over-refunds and refunds of unpaid payments are refused; a vbank needs the refund
 * account. The status after a partial refund is the merchant's setting (docs/decisions/0102).
 */
export function planCancel(
  p: { status: PaymentStatus; amount: number; cancel_amount: number; pay_method: string | null },
  req: CancelRequest,
  partialStatus: 'paid' | 'cancelled',
): CancelPlan {
  if (p.status !== 'paid' && p.status !== 'cancelled') return { ok: false, message: MSG.cancelNotPaid };
  const balance = addMoney(p.amount, -p.cancel_amount);
  if (balance <= 0) return { ok: false, message: MSG.cancelAlreadyFull };
  if (req.checksum !== null && addMoney(req.checksum, -balance) !== 0) {
    return {
      ok: false,
      message: `checksum이 일치하지 않습니다. (취소가능금액: ${balance}, checksum: ${req.checksum})`,
    };
  }
  const refund = req.amount === null || req.amount === 0 ? balance : req.amount;
  if (refund < 0) return { ok: false, message: '취소금액은 0보다 커야 합니다.' };
  if (refund > balance)
    return { ok: false, message: `취소요청금액(${refund})이 취소가능금액(${balance})을 초과합니다.` };
  if (p.pay_method === 'vbank' && (!req.refund_holder || !req.refund_bank || !req.refund_account)) {
    return { ok: false, message: MSG.cancelVbankRefund };
  }
  const cancelAmount = addMoney(p.cancel_amount, refund);
  const full = cancelAmount >= p.amount;
  return { ok: true, refund, cancelAmount, status: full ? 'cancelled' : partialStatus, full };
}

// ---------------------------------------------------------------------------------------------
// Webhooks (iamport-facts §5)

export type WebhookScenario = {
  /** Never sent (recorded as dropped). */
  drop: boolean;
  /** Sent this many seconds after the event (sandbox clock). */
  delay_seconds: number;
  /** How many times the same notification is sent (2 = one duplicate). */
  copies: number;
  /** Relative to the browser's redirect; only meaningful for window payments. */
  order: 'any' | 'before_redirect' | 'after_redirect';
  /** PortOne's optional retries: up to 5 more attempts, 1 minute apart, on network errors and 5xx. */
  retry: boolean;
};

export const DEFAULT_SCENARIO: WebhookScenario = {
  drop: false,
  delay_seconds: 0,
  copies: 1,
  order: 'any',
  retry: false,
};

export const WEBHOOK_RETRIES = 5;
export const WEBHOOK_RETRY_INTERVAL_MS = 60_000;
/** Sent after the redirect: how long after the 302 the held notification becomes due. */
export const AFTER_REDIRECT_DELAY_S = 1;

export type AttemptOutcome = { status: number | null; error: string | null };

/** After an attempt: 2xx is delivered; 4xx is final; network errors and 5xx retry when enabled. */
export function nextDeliveryStep(
  outcome: AttemptOutcome,
  attemptsSoFar: number,
  retry: boolean,
  nowMs: number,
): { state: 'delivered' | 'failed' } | { state: 'pending'; dueAtMs: number } {
  if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) return { state: 'delivered' };
  const retryable = outcome.status === null || outcome.status >= 500;
  if (retry && retryable && attemptsSoFar < 1 + WEBHOOK_RETRIES)
    return { state: 'pending', dueAtMs: nowMs + WEBHOOK_RETRY_INTERVAL_MS };
  return { state: 'failed' };
}

/** The notification body fields, in the documented order (iamport-facts §5.3). */
export function webhookFields(n: {
  imp_uid: string;
  merchant_uid: string;
  status: string;
  cancellation_id: string | null;
}): [string, string][] {
  const fields: [string, string][] = [
    ['imp_uid', n.imp_uid],
    ['merchant_uid', n.merchant_uid],
    ['status', n.status],
  ];
  if (n.cancellation_id) fields.push(['cancellation_id', n.cancellation_id]);
  return fields;
}

export function webhookBody(
  format: 'json' | 'form',
  fields: [string, string][],
): { body: string; contentType: string } {
  if (format === 'form')
    return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' };
  return { body: JSON.stringify(Object.fromEntries(fields)), contentType: 'application/json' };
}
