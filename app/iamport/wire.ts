import { z } from 'zod';
import { PAYMENT_STATUSES } from './types';

/**
 * Iamport V1's JSON as it travels (snake_case, major-unit amounts, unix-second times with 0 for
 * "none"), written from the documented behaviour (docs/decisions/0112-iamport-facts.md §2-§4), not
 * generated from the spec.
 * Unknown keys are ignored (the gateway adds fields over time); the raw body is kept by the
 * client anyway. `normalize.ts` turns these shapes into the domain's types.
 */

const nullableString = z.string().nullable();
/** Unix seconds; `0` (and, leniently, `null`) means "none". */
const unixSeconds = z.number().int().nonnegative().nullable();
/** A major-unit amount; it may be fractional for currencies with minor units. */
const wireAmount = z.number().finite().nonnegative();

/** `{code, message, response}` (iamport-facts §2). Parsed for every answer, whatever its HTTP status. */
export const envelopeWire = z.object({
  code: z.number().int(),
  message: z
    .string()
    .nullish()
    .transform((m) => m ?? null),
  response: z.unknown(),
});
export type EnvelopeWire = z.infer<typeof envelopeWire>;

/** A success envelope around `payload` (what contract tests hold the sandbox to). */
export function successEnvelopeWire<T extends z.ZodType>(payload: T) {
  return z.object({ code: z.literal(0), message: z.string().nullable(), response: payload });
}

/** A failure envelope: non-zero code, a message, no payload (404, 401, refused cancel…). */
export const failureEnvelopeWire = z.object({
  code: z
    .number()
    .int()
    .refine((code) => code !== 0, 'a failure has a non-zero code'),
  message: z.string().min(1),
  response: z.null(),
});

/** `POST /users/getToken` (iamport-facts §1.1, `AuthAnnotation`). */
export const authWire = z.object({
  access_token: z.string().min(1),
  now: z.number().int().positive(),
  expired_at: z.number().int().positive(),
});
export type AuthWire = z.infer<typeof authWire>;

/** One item of `cancel_history` (`PaymentCancelAnnotation`); `cancellation_id` is absent from pre-2024 answers. */
export const cancelHistoryWire = z.object({
  pg_tid: nullableString,
  amount: wireAmount,
  cancelled_at: unixSeconds,
  reason: nullableString,
  cancellation_id: nullableString.optional(),
  receipt_url: nullableString.optional(),
});

/** One deposit into a fixed "unlimited" virtual account (Hecto). */
export const depositHistoryWire = z.object({
  pg_tid: nullableString.optional(),
  amount: wireAmount,
  depositor_name: nullableString.optional(),
  deposited_at: unixSeconds.optional(),
});

/**
 * The Payment object (iamport-facts §4, `PaymentAnnotation`) with every documented field. Only the fields the
 * spec requires are required here (`sandbox` is newer and defaults to false when absent), so an
 * answer that omits an empty field still parses; real answers, and the sandbox, send every key
 * (`paymentWireComplete`).
 */
export const paymentWire = z.object({
  imp_uid: z.string().min(1),
  merchant_uid: z.string().min(1),
  amount: wireAmount,
  cancel_amount: wireAmount,
  currency: z.string().min(1),
  status: z.enum(PAYMENT_STATUSES),
  sandbox: z.boolean().optional(),
  pay_method: nullableString.optional(),
  channel: nullableString.optional(),
  pg_provider: nullableString.optional(),
  emb_pg_provider: nullableString.optional(),
  pg_tid: nullableString.optional(),
  pg_id: nullableString.optional(),
  escrow: z.boolean().nullable().optional(),
  apply_num: nullableString.optional(),
  bank_code: nullableString.optional(),
  bank_name: nullableString.optional(),
  card_code: nullableString.optional(),
  card_name: nullableString.optional(),
  card_issuer_code: nullableString.optional(),
  card_issuer_name: nullableString.optional(),
  card_publisher_code: nullableString.optional(),
  card_publisher_name: nullableString.optional(),
  card_quota: z.number().int().nonnegative().nullable().optional(),
  card_number: nullableString.optional(),
  card_type: z.number().int().nullable().optional(),
  vbank_code: nullableString.optional(),
  vbank_name: nullableString.optional(),
  vbank_num: nullableString.optional(),
  vbank_holder: nullableString.optional(),
  vbank_date: unixSeconds.optional(),
  vbank_issued_at: unixSeconds.optional(),
  name: nullableString.optional(),
  buyer_name: nullableString.optional(),
  buyer_email: nullableString.optional(),
  buyer_tel: nullableString.optional(),
  buyer_addr: nullableString.optional(),
  buyer_postcode: nullableString.optional(),
  custom_data: nullableString.optional(),
  user_agent: nullableString.optional(),
  started_at: unixSeconds.optional(),
  paid_at: unixSeconds.optional(),
  failed_at: unixSeconds.optional(),
  cancelled_at: unixSeconds.optional(),
  fail_reason: nullableString.optional(),
  cancel_reason: nullableString.optional(),
  receipt_url: nullableString.optional(),
  cancel_history: z.array(cancelHistoryWire).nullable().optional(),
  cancel_receipt_urls: z.array(z.string()).nullable().optional(),
  deposit_history: z.array(depositHistoryWire).nullable().optional(),
  cash_receipt_issued: z.boolean().nullable().optional(),
  customer_uid: nullableString.optional(),
  customer_uid_usage: nullableString.optional(),
  promotion: z.object({ id: z.string(), discount: wireAmount }).nullable().optional(),
});
export type PaymentWire = z.infer<typeof paymentWire>;

/**
 * The same object as the live API emits it (iamport-facts §4.3): every key present, empty strings `null`,
 * empty times `0`, empty arrays `[]`. Used to hold the sandbox to the real conventions.
 */
export const paymentWireComplete = paymentWire.required().extend({
  vbank_date: z.number().int().nonnegative(),
  vbank_issued_at: z.number().int().nonnegative(),
  started_at: z.number().int().nonnegative(),
  paid_at: z.number().int().nonnegative(),
  failed_at: z.number().int().nonnegative(),
  cancelled_at: z.number().int().nonnegative(),
  card_quota: z.number().int().nonnegative(),
  cancel_history: z.array(cancelHistoryWire.required()),
  cancel_receipt_urls: z.array(z.string()),
});

/** `GET /payments?imp_uid[]=…` (iamport-facts §3.2): the payments found (all on 200, some on 207). */
export const paymentListWire = z.array(paymentWire);

/** `PagedPaymentAnnotation` (iamport-facts §3.6): `previous`/`next` are page numbers, 0 when there is none. */
export const pagedPaymentsWire = z.object({
  total: z.number().int().nonnegative(),
  previous: z.number().int().nonnegative(),
  next: z.number().int().nonnegative(),
  list: z.array(paymentWire),
});
export type PagedPaymentsWire = z.infer<typeof pagedPaymentsWire>;

/** `/payments/prepare` (iamport-facts §3.7); the spec's `required` list for it is a copy-paste bug and is ignored. */
export const prepareWire = z.object({
  merchant_uid: z.string().min(1),
  amount: wireAmount,
  currency: nullableString.optional(),
});
export type PrepareWire = z.infer<typeof prepareWire>;

/** One line per problem, for error messages and test failures. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
