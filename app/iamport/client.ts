import type { z } from 'zod';
import { classifyAnswer, classifyTransportError, isConnectionReset, unreadablePayload } from './classify';
import { DEFAULT_CURRENCY, toMajorUnits } from './money';
import { toPayment, toPrepared, tokenExpiry } from './normalize';
import type {
  CallMeta,
  CancelInput,
  GatewayError,
  GatewayResult,
  IamportClient,
  OperationMeta,
  Payment,
  PaymentStatus,
  Token,
} from './types';
import { authWire, pagedPaymentsWire, paymentListWire, paymentWire, prepareWire, type EnvelopeWire } from './wire';

export type IamportClientOptions = {
  /** `https://api.iamport.kr`, or the sandbox's URL. */
  baseUrl: string;
  impKey: string;
  impSecret: string;
  /** Per HTTP exchange, body included. Default 5000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The clock the token cache runs on. */
  now?: () => Date;
  /** Sub-merchant code sent as the `Tier` header on API calls (agency accounts). */
  tier?: string;
  /**
   * Ask `GET /payments/{imp_uid}` to include test-channel payments (`include_sandbox=true`).
   * Default false, like the gateway: a test-channel payment then looks "not found" by imp_uid.
   */
  includeSandbox?: boolean;
  /** Page size for findAll and the status lists (the gateway allows 1 to 1000). Default 100. */
  pageSize?: number;
};

export type { CancelInput, IamportClient, ListOptions, Token } from './types';

const TOKEN_PATH = '/users/getToken';
/** Refresh this long before the token's expiry (iamport-facts §1.5, as the PHP client does). */
const TOKEN_MARGIN_MS = 30_000;
const BATCH_SIZE = 100;
const MAX_PAGES = 10_000;

type Exchange = {
  meta: CallMeta;
  text: string | null;
  answer: { ok: true; envelope: EnvelopeWire } | { ok: false; error: GatewayError };
  /** The connection was closed under the request before any answer (see `exchange`). */
  reset?: boolean;
};
type TokenOutcome =
  | { ok: true; token: Token; call: CallMeta | null }
  | { ok: false; error: GatewayError; call: CallMeta };
type Step<T> = { ok: true; value: T } | { ok: false; error: GatewayError; decisive: CallMeta };

/** Collects the exchanges of one operation and builds its `meta`. */
class Operation {
  readonly calls: CallMeta[] = [];
  readonly tokenCalls: CallMeta[] = [];
  private readonly started = performance.now();

  constructor(
    readonly method: string,
    readonly path: string,
  ) {}

  ok<T>(value: T, decisive?: CallMeta): GatewayResult<T> {
    return { ok: true, value, meta: this.meta(decisive) };
  }

  fail<T>(error: GatewayError, decisive: CallMeta): GatewayResult<T> {
    return { ok: false, error, meta: this.meta(decisive) };
  }

  private meta(decisive: CallMeta | undefined): OperationMeta {
    const base: CallMeta = decisive ?? {
      method: this.method,
      path: this.path,
      httpStatus: null,
      latencyMs: 0,
      raw: null,
      rawText: null,
    };
    const meta: OperationMeta = { ...base, latencyMs: performance.now() - this.started };
    const single = this.calls.length === 1 && this.calls[0] === decisive;
    if (this.calls.length > 0 && !single) meta.calls = [...this.calls];
    if (this.tokenCalls.length > 0) meta.tokenCalls = [...this.tokenCalls];
    return meta;
  }
}

/**
 * Builds one client: one set of credentials, one token cache. Keep it for as long as the
 * credentials are valid (the monitor keeps one per store) so the token is reused. See
 * `IamportClient` (types.ts) for what every method guarantees and never does. Throws RangeError
 * for a bad `timeoutMs` or `pageSize`, never for anything the network does.
 */
export function createIamportClient(options: IamportClientOptions): IamportClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive integer');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
    throw new RangeError('pageSize must be 1 to 1000');

  let cached: Token | null = null;
  let inflight: Promise<TokenOutcome> | null = null;

  /**
   * One HTTP exchange: never throws, always bounded by the timeout, body read and classified. A
   * request that changes nothing (a GET, or the token exchange, which only issues a token) is sent
   * once more on a new connection when the first one was closed under it before any answer, as a
   * server's kept-alive connection is when it times out just as we reuse it.
   */
  async function exchange(method: string, path: string, init: { body?: unknown; token?: string }): Promise<Exchange> {
    const first = await exchangeOnce(method, path, init);
    const repeatable = method === 'GET' || path === TOKEN_PATH;
    if (!first.reset || !repeatable) return first;
    return exchangeOnce(method, path, init);
  }

  async function exchangeOnce(
    method: string,
    path: string,
    init: { body?: unknown; token?: string },
  ): Promise<Exchange> {
    const started = performance.now();
    const meta = (httpStatus: number | null, raw: unknown = null, rawText: string | null = null): CallMeta => ({
      method,
      path,
      httpStatus,
      latencyMs: performance.now() - started,
      raw,
      rawText,
    });
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    if (init.token !== undefined) {
      headers.Authorization = `Bearer ${init.token}`;
      if (options.tier) headers.Tier = options.tier;
    }
    let url: string;
    try {
      url = new URL(baseUrl + path).href;
    } catch {
      const error: GatewayError = {
        kind: 'rejected',
        httpStatus: null,
        code: null,
        message: `invalid API base URL ${JSON.stringify(options.baseUrl)}`,
        notFound: false,
      };
      return { meta: meta(null), text: null, answer: { ok: false, error } };
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let status: number | null = null;
    try {
      const response = await fetchImpl(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: controller.signal,
        redirect: 'manual',
      });
      status = response.status;
      const text = await response.text();
      clearTimeout(timer);
      const answer = classifyAnswer(status, text);
      if (answer.ok) return { meta: meta(status, answer.json), text, answer: { ok: true, envelope: answer.envelope } };
      return {
        meta: meta(status, answer.json, answer.keepText ? text : null),
        text,
        answer: { ok: false, error: answer.error },
      };
    } catch (thrown) {
      clearTimeout(timer);
      const error = classifyTransportError(thrown, { timedOut, timeoutMs });
      if (status !== null) {
        // Headers arrived but the body did not: say so, and keep the status we saw.
        error.message = `HTTP ${status} but the body never arrived: ${error.message}`;
        error.httpStatus = status;
      }
      const reset = status === null && !timedOut && isConnectionReset(thrown);
      return { meta: meta(status), text: null, answer: { ok: false, error }, reset };
    }
  }

  /** The envelope's `response` through `schema` and `convert`; a mismatch is an unreadable answer. */
  function decode<S extends z.ZodType, T>(
    ex: Exchange & { answer: { ok: true } },
    schema: S,
    convert: (wire: z.infer<S>) => T,
  ): Step<T> {
    const status = ex.meta.httpStatus ?? 0;
    const parsed = schema.safeParse(ex.answer.envelope.response);
    if (!parsed.success) {
      ex.meta.rawText = ex.text;
      return { ok: false, error: unreadablePayload(status, parsed.error), decisive: ex.meta };
    }
    try {
      return { ok: true, value: convert(parsed.data) };
    } catch (error) {
      ex.meta.rawText = ex.text;
      return {
        ok: false,
        error: unreadablePayload(status, error instanceof Error ? error : new Error(String(error))),
        decisive: ex.meta,
      };
    }
  }

  async function fetchToken(): Promise<TokenOutcome> {
    const ex = await exchange('POST', TOKEN_PATH, { body: { imp_key: options.impKey, imp_secret: options.impSecret } });
    redactToken(ex.meta);
    const prefixed = (error: GatewayError): GatewayError => ({ ...error, message: `access token: ${error.message}` });
    if (!ex.answer.ok) return { ok: false, error: prefixed(ex.answer.error), call: ex.meta };
    const decoded = decode(ex as Exchange & { answer: { ok: true } }, authWire, (wire) => ({
      accessToken: wire.access_token,
      expiresAt: tokenExpiry(wire, now()),
    }));
    redactToken(ex.meta);
    if (!decoded.ok) return { ok: false, error: prefixed(decoded.error), call: ex.meta };
    cached = decoded.value;
    return { ok: true, token: decoded.value, call: ex.meta };
  }

  /** The cached token if it has more than the margin left, else one shared refresh. */
  function ensureToken(): Promise<TokenOutcome> {
    if (cached && now().getTime() < cached.expiresAt.getTime() - TOKEN_MARGIN_MS) {
      return Promise.resolve({ ok: true, token: cached, call: null });
    }
    inflight ??= fetchToken().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  /** One authorised exchange, retried once with a fresh token on 401. */
  async function authed(op: Operation, method: string, path: string, body?: unknown): Promise<Step<Exchange>> {
    for (let attempt = 0; ; attempt += 1) {
      const token = await ensureToken();
      if (token.call) op.tokenCalls.push(token.call);
      if (!token.ok) return { ok: false, error: token.error, decisive: token.call };
      const ex = await exchange(method, path, { body, token: token.token.accessToken });
      op.calls.push(ex.meta);
      if (ex.meta.httpStatus === 401 && attempt === 0) {
        // Expired early, revoked, or our clock ran fast: drop it (unless a concurrent caller already did).
        if (cached?.accessToken === token.token.accessToken) cached = null;
        continue;
      }
      return { ok: true, value: ex };
    }
  }

  /** One authorised exchange whose success payload goes through `schema` and `convert`. */
  async function single<S extends z.ZodType, T>(
    method: string,
    path: string,
    schema: S,
    convert: (wire: z.infer<S>) => T,
    body?: unknown,
  ): Promise<GatewayResult<T>> {
    const op = new Operation(method, path);
    const step = await authed(op, method, path, body);
    if (!step.ok) return op.fail(step.error, step.decisive);
    const ex = step.value;
    if (!ex.answer.ok) return op.fail(ex.answer.error, ex.meta);
    const decoded = decode(ex as Exchange & { answer: { ok: true } }, schema, convert);
    return decoded.ok ? op.ok(decoded.value, ex.meta) : op.fail(decoded.error, decoded.decisive);
  }

  /** Every page of a paged list (or one page), payments seen twice kept once. */
  async function paged(
    basePath: string,
    params: Record<string, string | number | undefined>,
    onlyPage: number | undefined,
  ): Promise<GatewayResult<{ total: number; payments: Payment[] }>> {
    const op = new Operation('GET', basePath);
    const payments: Payment[] = [];
    const seen = new Set<string>();
    let total = 0;
    let page = onlyPage ?? 1;
    let last: CallMeta | undefined;
    for (let fetched = 0; ; fetched += 1) {
      const path = basePath + query({ ...params, page });
      if (fetched >= MAX_PAGES) {
        return op.fail(
          {
            kind: 'indeterminate',
            httpStatus: null,
            code: null,
            message: `stopped after ${MAX_PAGES} pages`,
            notFound: false,
          },
          last!,
        );
      }
      const step = await authed(op, 'GET', path);
      if (!step.ok) return op.fail(step.error, step.decisive);
      const ex = step.value;
      last = ex.meta;
      if (!ex.answer.ok) return op.fail(ex.answer.error, ex.meta);
      const decoded = decode(ex as Exchange & { answer: { ok: true } }, pagedPaymentsWire, (wire) => ({
        ...wire,
        list: wire.list.map(toPayment),
      }));
      if (!decoded.ok) return op.fail(decoded.error, decoded.decisive);
      if (fetched === 0) total = decoded.value.total;
      for (const payment of decoded.value.list) {
        if (seen.has(payment.impUid)) continue;
        seen.add(payment.impUid);
        payments.push(payment);
      }
      const next = decoded.value.next;
      if (onlyPage !== undefined || next === 0) return op.ok({ total, payments }, ex.meta);
      if (next <= page) {
        const error: GatewayError = {
          kind: 'indeterminate',
          httpStatus: ex.meta.httpStatus,
          code: 0,
          message: `paging did not advance (page ${page}, next ${next})`,
          notFound: false,
        };
        return op.fail(error, ex.meta);
      }
      page = next;
    }
  }

  function statusSegment(status: PaymentStatus | undefined): string {
    return status ? `/${status}` : '';
  }

  return {
    async getToken() {
      const op = new Operation('POST', TOKEN_PATH);
      const token = await ensureToken();
      if (!token.ok) return op.fail(token.error, token.call);
      if (!token.call)
        return {
          ok: true,
          value: token.token,
          meta: {
            method: 'POST',
            path: TOKEN_PATH,
            httpStatus: null,
            latencyMs: 0,
            raw: null,
            rawText: null,
            fromCache: true,
          },
        };
      return op.ok(token.token, token.call);
    },

    getPayment(impUid) {
      const path = `/payments/${segment(impUid, 'impUid')}${options.includeSandbox ? '?include_sandbox=true' : ''}`;
      return single('GET', path, paymentWire, toPayment);
    },

    async getPayments(impUids) {
      const unique = [...new Set(impUids.map((id) => requireText(id, 'impUids[]')))];
      const op = new Operation('GET', '/payments');
      const payments: Payment[] = [];
      const returned = new Set<string>();
      let last: CallMeta | undefined;
      for (let start = 0; start < unique.length; start += BATCH_SIZE) {
        const batch = unique.slice(start, start + BATCH_SIZE);
        const path = `/payments?${batch.map((id) => `imp_uid[]=${encodeURIComponent(id)}`).join('&')}`;
        const step = await authed(op, 'GET', path);
        if (!step.ok) return op.fail(step.error, step.decisive);
        const ex = step.value;
        last = ex.meta;
        if (!ex.answer.ok) {
          if (ex.answer.error.notFound) continue; // 404: none of this batch exists.
          return op.fail(ex.answer.error, ex.meta);
        }
        // 200 (all found) or 207 (some): the missing ones are those not returned.
        const decoded = decode(ex as Exchange & { answer: { ok: true } }, paymentListWire, (list) =>
          list.map(toPayment),
        );
        if (!decoded.ok) return op.fail(decoded.error, decoded.decisive);
        for (const payment of decoded.value) {
          if (returned.has(payment.impUid)) continue;
          returned.add(payment.impUid);
          payments.push(payment);
        }
      }
      return op.ok({ payments, missing: unique.filter((id) => !returned.has(id)) }, last);
    },

    findPayment(merchantUid, findOptions = {}) {
      const path = `/payments/find/${segment(merchantUid, 'merchantUid')}${statusSegment(findOptions.status)}${query({ sorting: findOptions.sorting })}`;
      return single('GET', path, paymentWire, toPayment);
    },

    async findAllPayments(merchantUid, findOptions = {}) {
      const basePath = `/payments/findAll/${segment(merchantUid, 'merchantUid')}${statusSegment(findOptions.status)}`;
      const result = await paged(basePath, { limit: pageSize, sorting: findOptions.sorting }, undefined);
      if (!result.ok) return result;
      // The spec is unclear whether findAll filters by status (iamport-facts §3.4): make sure.
      const payments = findOptions.status
        ? result.value.payments.filter((p) => p.status === findOptions.status)
        : result.value.payments;
      return { ...result, value: payments };
    },

    listPaymentsByStatus(status, listOptions) {
      const limit = listOptions.limit ?? pageSize;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be 1 to 1000');
      if (listOptions.page !== undefined && (!Number.isInteger(listOptions.page) || listOptions.page < 1))
        throw new RangeError('page starts at 1');
      const params = {
        limit,
        from: listOptions.from ? unixSeconds(listOptions.from) : undefined,
        to: listOptions.to ? unixSeconds(listOptions.to) : undefined,
        sorting: listOptions.sorting,
      };
      return paged(`/payments/status/${status}`, params, listOptions.page);
    },

    prepare(input) {
      return single('POST', '/payments/prepare', prepareWire, toPrepared, prepareBody(input));
    },

    getPrepared(merchantUid) {
      return single('GET', `/payments/prepare/${segment(merchantUid, 'merchantUid')}`, prepareWire, toPrepared);
    },

    updatePrepared(input) {
      return single('PUT', '/payments/prepare', prepareWire, toPrepared, prepareBody(input));
    },

    cancel(input) {
      return single('POST', '/payments/cancel', paymentWire, toPayment, cancelBody(input));
    },
  };
}

function prepareBody(input: { merchantUid: string; amount: number; currency?: string }): Record<string, unknown> {
  requireText(input.merchantUid, 'merchantUid');
  const amount = requireMinor(input.amount, 'amount', input.currency ?? DEFAULT_CURRENCY);
  return {
    merchant_uid: input.merchantUid,
    amount,
    ...(input.currency !== undefined ? { currency: input.currency } : {}),
  };
}

function cancelBody(input: CancelInput): Record<string, unknown> {
  if (input.impUid === undefined && input.merchantUid === undefined)
    throw new RangeError('cancel needs an impUid or a merchantUid');
  if (input.impUid !== undefined) requireText(input.impUid, 'impUid');
  if (input.merchantUid !== undefined) requireText(input.merchantUid, 'merchantUid');
  requireText(input.reason, 'reason');
  const currency = input.currency ?? DEFAULT_CURRENCY;
  const body: Record<string, unknown> = { reason: input.reason };
  if (input.impUid !== undefined) body.imp_uid = input.impUid;
  if (input.merchantUid !== undefined) body.merchant_uid = input.merchantUid;
  if (input.amount !== undefined) {
    // The gateway reads amount 0 as "refund everything": a computed 0 must not become a full refund.
    if (input.amount <= 0) throw new RangeError('cancel amount must be positive; omit it for a full refund');
    body.amount = requireMinor(input.amount, 'amount', currency);
  }
  if (input.checksum !== null) body.checksum = requireMinor(input.checksum, 'checksum', currency);
  if (input.enableWebhook !== undefined) body.enable_webhook = input.enableWebhook;
  if (input.refund) {
    body.refund_holder = input.refund.holder;
    body.refund_bank = input.refund.bank;
    body.refund_account = input.refund.account;
  }
  return body;
}

function requireText(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new RangeError(`${name} must be a non-empty string`);
  return value;
}

function requireMinor(value: number, name: string, currency: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer of minor units`);
  return toMajorUnits(value, currency);
}

function segment(value: string, name: string): string {
  // URLs resolve "." and ".." segments away (even percent-encoded), so such an id cannot be asked for.
  if (value === '.' || value === '..') throw new RangeError(`${name} cannot be "${value}"`);
  return encodeURIComponent(requireText(value, name));
}

function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A token answer is evidence of the exchange, never of the token: blank it out before it is kept. */
function redactToken(meta: CallMeta): void {
  const raw = meta.raw as { response?: { access_token?: unknown } } | null;
  if (
    raw &&
    typeof raw === 'object' &&
    raw.response &&
    typeof raw.response === 'object' &&
    'access_token' in raw.response
  ) {
    meta.raw = { ...raw, response: { ...raw.response, access_token: '[redacted]' } };
  }
  if (meta.rawText) meta.rawText = meta.rawText.replace(/("access_token"\s*:\s*")[^"]*"/g, '$1[redacted]"');
}
