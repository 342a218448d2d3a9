/**
 * The domain's view of Iamport (PortOne V1): what the rest of the app sees once `app/iamport/`
 * has parsed and normalised the wire format. Money is an integer in the currency's minor unit,
 * times are `Date` (the gateway's `0` is `null`), names are camelCase. Nothing outside
 * `app/iamport/` knows the snake_case wire shapes (those live in `wire.ts`).
 */

/** Iamport's payment statuses (iamport-facts §4.1). The one place these wire strings live. */
export const PAYMENT_STATUSES = ['ready', 'paid', 'failed', 'cancelled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Sort orders accepted by find, findAll and the status lists (iamport-facts §3.3). */
export const SORTINGS = ['-started', 'started', '-paid', 'paid', '-updated', 'updated'] as const;
export type Sorting = (typeof SORTINGS)[number];

export type CancelHistoryItem = {
  pgTid: string | null;
  /** Integer minor units of the payment's currency. */
  amount: number;
  cancelledAt: Date | null;
  reason: string | null;
  /** Matches the `cancellation_id` of a `cancelled` webhook; absent from older answers. */
  cancellationId: string | null;
  receiptUrl: string | null;
};

export type Payment = {
  impUid: string;
  merchantUid: string;
  status: PaymentStatus;
  /** Integer minor units of `currency` (KRW has none: 1000 KRW is 1000; USD is in cents). */
  amount: number;
  /** Cumulative refunded amount, same unit. Never decide "fully refunded" from `status` alone. */
  cancelAmount: number;
  currency: string;
  payMethod: string | null;
  pgProvider: string | null;
  embPgProvider: string | null;
  pgTid: string | null;
  pgId: string | null;
  channel: string | null;
  name: string | null;
  buyerName: string | null;
  buyerEmail: string | null;
  buyerTel: string | null;
  customData: string | null;
  applyNum: string | null;
  cardName: string | null;
  cardNumber: string | null;
  /** Instalment months; 0 is a lump sum (and the value for non-card payments). */
  cardQuota: number;
  bankName: string | null;
  escrow: boolean;
  customerUid: string | null;
  startedAt: Date | null;
  paidAt: Date | null;
  failedAt: Date | null;
  cancelledAt: Date | null;
  failReason: string | null;
  cancelReason: string | null;
  receiptUrl: string | null;
  vbankCode: string | null;
  vbankName: string | null;
  vbankNum: string | null;
  vbankHolder: string | null;
  /** The deposit deadline of a virtual account. */
  vbankDate: Date | null;
  vbankIssuedAt: Date | null;
  cancelHistory: CancelHistoryItem[];
  /** Made through a test channel (only visible by imp_uid with `includeSandbox`). */
  sandbox: boolean;
};

/** An amount pre-registration (`/payments/prepare`). */
export type Prepared = {
  merchantUid: string;
  /** Integer minor units of `currency` (of KRW when the registration has no currency). */
  amount: number;
  /** Null when registered without a currency: the gateway then does not check it. */
  currency: string | null;
};

/**
 * - `retryable`: nothing happened at the gateway and asking again may work: the connection could
 *   not be made, or the answer was a 5xx or 429.
 * - `rejected`: the gateway answered and said no: a 4xx, or a 2xx whose `code` is not 0
 *   (including 404 "not found" and a refused cancel). Asking again the same way will not help.
 * - `indeterminate`: we do not know what happened: no answer within the timeout after the request
 *   went out, the connection broke mid-way, or a 2xx we could not read. Never treat it as a
 *   failure of the payment (and never as a success of a cancel).
 */
export type GatewayErrorKind = 'retryable' | 'rejected' | 'indeterminate';

export type GatewayError = {
  kind: GatewayErrorKind;
  httpStatus: number | null;
  /** The envelope's `code` when the body was an envelope. */
  code: number | null;
  /** The gateway's own message when it sent one, otherwise ours; safe to show to operators. */
  message: string;
  /** The gateway said, in its envelope, that the thing looked up does not exist (HTTP 404). */
  notFound: boolean;
};

/** One HTTP exchange with the gateway. Never holds a secret or an access token. */
export type CallMeta = {
  method: string;
  /** Path and query string as sent, relative to the base URL. */
  path: string;
  /** Null when no answer arrived (network error, timeout). */
  httpStatus: number | null;
  latencyMs: number;
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  raw: unknown;
  /** The body as text when it could not be used as JSON or did not match the schema; else null. */
  rawText: string | null;
};

/**
 * What one client operation did. The top-level fields describe the exchange that decided the
 * result (the failing one, else the last); `latencyMs` is the whole operation's wall time.
 * `calls` lists every data exchange in order when there was more than one (401 then retry,
 * batches, pages): then it, not the top level, is the complete evidence.
 */
export type OperationMeta = CallMeta & {
  calls?: CallMeta[];
  /** Token requests this operation waited for (their bodies with the token redacted). */
  tokenCalls?: CallMeta[];
  /** `getToken()` answered from the cache without any HTTP exchange. */
  fromCache?: true;
};

export type GatewayResult<T> = ({ ok: true; value: T } | { ok: false; error: GatewayError }) & { meta: OperationMeta };

export type Token = { accessToken: string; expiresAt: Date };

export type ListOptions = { from?: Date; to?: Date; limit?: number; sorting?: Sorting; page?: number };

export type CancelInput = {
  /** Wins over `merchantUid` when both are given (iamport-facts §3.8). */
  impUid?: string;
  merchantUid?: string;
  /** Integer minor units to refund; omit for a full refund (0 is refused rather than read as "all"). */
  amount?: number;
  /** The refundable balance the caller believes in (minor units); the gateway refuses when it differs. Null skips the check. */
  checksum: number | null;
  reason: string;
  /** The currency of the payment, for converting `amount` and `checksum`. Default KRW. */
  currency?: string;
  enableWebhook?: boolean;
  /** Virtual-account refunds only. */
  refund?: { holder: string; bank: string; account: string };
};

/**
 * A typed Iamport V1 REST client: the only code that speaks Iamport's wire format. Built by
 * `createIamportClient` (client.ts); decision 0110 explains the choices.
 *
 * Guarantees:
 * - Every answer is a `GatewayResult`: `ok` only for a 2xx whose envelope has `code === 0` and
 *   whose payload matches the zod wire schema; otherwise a classified `GatewayError`
 *   (`retryable` | `rejected` | `indeterminate`, see `GatewayErrorKind`) with HTTP status, code and message.
 *   Bodies are parsed whatever the status; one that is not JSON or not the expected shape is an
 *   error too, its text kept in `meta.rawText`.
 * - `meta` records every exchange of the operation (`calls` when there were several: 401 retry,
 *   batches, pages) with its status, latency and parsed body, so nothing the gateway said is lost.
 * - Amounts are integer minor units and times are `Date | null` (0 → null); an amount that is not
 *   a whole number of minor units is an unreadable answer, never rounded.
 * - One access token per client, reused until 30 s before its expiry as computed from the
 *   server's own `expired_at − now`; concurrent callers share one token request; a 401 is retried
 *   once with a fresh token.
 * - Every HTTP exchange is bounded by `timeoutMs`.
 *
 * It never: throws for anything the gateway or the network does (only for arguments that cannot
 * be sent: an empty or "."/".." id, a fractional minor amount, a cancel amount of 0, as RangeError,
 * so validate ids taken from untrusted evidence first); retries anything except that single 401 retry (a timed-out cancel may have
 * happened, so it is `indeterminate`, not retried); rounds money; puts the key, the secret or an
 * access token into `meta`; reads `process.env` or logs.
 */
export interface IamportClient {
  /** A valid access token, from the cache when it has more than 30 s left. */
  getToken(): Promise<GatewayResult<Token>>;
  /** `GET /payments/{imp_uid}`; a 404 is an error with `notFound: true`. */
  getPayment(impUid: string): Promise<GatewayResult<Payment>>;
  /**
   * `GET /payments?imp_uid[]=…` in batches of at most 100. Ids the gateway did not return (207
   * partial, 404 none) are listed in `missing`, still `ok: true`. Stops at the first failed batch.
   */
  getPayments(impUids: string[]): Promise<GatewayResult<{ payments: Payment[]; missing: string[] }>>;
  /** `GET /payments/find/{merchant_uid}[/{status}]`: the first payment in `sorting` order (default `-started`). */
  findPayment(
    merchantUid: string,
    options?: { status?: PaymentStatus; sorting?: Sorting },
  ): Promise<GatewayResult<Payment>>;
  /** `GET /payments/findAll/{merchant_uid}[/{status}]`, every page; filtered by `status` here too. */
  findAllPayments(
    merchantUid: string,
    options?: { status?: PaymentStatus; sorting?: Sorting },
  ): Promise<GatewayResult<Payment[]>>;
  /**
   * `GET /payments/status/{status}` over a window (at most 90 days at the gateway): every page,
   * or only `page` when given. `limit` is the page size. Payments seen twice while paging are kept once.
   */
  listPaymentsByStatus(
    status: PaymentStatus | 'all',
    options: ListOptions,
  ): Promise<GatewayResult<{ total: number; payments: Payment[] }>>;
  /** `POST /payments/prepare`: registers the amount the SDK must charge for `merchantUid`. */
  prepare(input: { merchantUid: string; amount: number; currency?: string }): Promise<GatewayResult<Prepared>>;
  /** `GET /payments/prepare/{merchant_uid}`; 404 (`notFound`) when nothing was registered. */
  getPrepared(merchantUid: string): Promise<GatewayResult<Prepared>>;
  /** `PUT /payments/prepare`: changes a registered amount; 404 when there is none. */
  updatePrepared(input: { merchantUid: string; amount: number; currency?: string }): Promise<GatewayResult<Prepared>>;
  /**
   * `POST /payments/cancel`: a full (no `amount`) or partial refund; answers the updated payment.
   * A refusal comes back as HTTP 200 with a non-zero code: `rejected`. A timeout is
   * `indeterminate`: look the payment up before trying again.
   */
  cancel(input: CancelInput): Promise<GatewayResult<Payment>>;
}
