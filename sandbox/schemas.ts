import { z } from 'zod';
import { DEFAULT_SCENARIO, OUTCOMES, PAYMENT_STATUSES, REDIRECT_STYLES, type WebhookScenario } from './rules';

/** zod for everything the controls accept. Numbers may arrive as strings from forms. */

const num = z.coerce.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number');
const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'on', 'off']).transform((v) => v === 'true' || v === '1' || v === 'on'),
]);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

export const webhookScenarioSchema = z
  .object({
    drop: bool.optional(),
    delay_seconds: num
      .pipe(
        z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 3600),
      )
      .optional(),
    copies: num.pipe(z.number().int().min(1).max(20)).optional(),
    order: z.enum(['any', 'before_redirect', 'after_redirect']).optional(),
    retry: bool.optional(),
  })
  .strict();
export type WebhookScenarioInput = z.infer<typeof webhookScenarioSchema>;

export function scenarioOf(...layers: (Partial<WebhookScenario> | null | undefined)[]): WebhookScenario {
  const out: WebhookScenario = { ...DEFAULT_SCENARIO };
  for (const layer of layers)
    if (layer) Object.assign(out, Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)));
  return out;
}

export const faultsSchema = z
  .object({
    /** Answer every affected request with this status (e.g. 500, 502, 503). */
    status: num.pipe(z.number().int().min(400).max(599)).nullable().optional(),
    /** Fraction of requests affected (0..1); 1 when only `status` is given. */
    error_rate: num.pipe(z.number().min(0).max(1)).optional(),
    /** Added before every answer of this merchant's API calls. */
    latency_ms: num.pipe(z.number().int().min(0).max(120_000)).optional(),
    /** Never answer (the client's timeout fires). */
    hang: bool.optional(),
    /** How many more requests are affected; absent = until cleared. */
    remaining: num.pipe(z.number().int().min(0)).nullable().optional(),
    /** The body of a faulted answer: the envelope, or an HTML page like a proxy error. */
    body: z.enum(['envelope', 'html']).optional(),
  })
  .strict();
export type ApiFaults = {
  status: number | null;
  error_rate: number;
  latency_ms: number;
  hang: boolean;
  remaining: number | null;
  body: 'envelope' | 'html';
};

export function faultsOf(input: z.infer<typeof faultsSchema>): ApiFaults {
  const status = input.status ?? null;
  return {
    status,
    error_rate: input.error_rate ?? (status !== null ? 1 : 0),
    latency_ms: input.latency_ms ?? 0,
    hang: input.hang ?? false,
    remaining: input.remaining ?? null,
    body: input.body ?? 'envelope',
  };
}

const partialStatus = z.enum(['paid', 'cancelled']);

export const merchantInputSchema = z
  .object({
    imp_code: z
      .string()
      .regex(/^imp\d{8}$/, 'must look like imp12345678')
      .optional(),
    imp_key: z.string().min(1).max(100).optional(),
    imp_secret: z.string().min(1).max(200).optional(),
    name: z.string().min(1).max(100).optional(),
    webhook_url: httpUrl.nullable().optional(),
    webhook_format: z.enum(['json', 'form']).optional(),
    webhook_scenario: webhookScenarioSchema.optional(),
    partial_cancel_status: partialStatus.optional(),
    default_pg: z.string().min(1).max(40).optional(),
  })
  .strict();

export const merchantPatchSchema = merchantInputSchema.omit({ imp_code: true });

const shortText = (max: number) => z.string().max(max).nullable().optional();

export const createPaymentSchema = z
  .object({
    merchant: z.string().optional(),
    merchant_uid: z.string().min(1).max(40).optional(),
    amount: num.pipe(z.number().positive()),
    /** What was actually paid, when it differs from the order (a tampered browser amount). */
    paid_amount: num.pipe(z.number().positive()).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    name: shortText(100),
    pay_method: z.string().min(1).max(20).optional(),
    pg: z.string().min(1).max(60).optional(),
    status: z.enum(PAYMENT_STATUSES).optional(),
    fail_reason: shortText(200),
    buyer_name: shortText(100),
    buyer_email: shortText(100),
    buyer_tel: shortText(40),
    buyer_addr: shortText(200),
    buyer_postcode: shortText(20),
    custom_data: z.unknown().optional(),
    notice_url: z.union([httpUrl, z.array(httpUrl).max(5)]).optional(),
    started_at: num.pipe(z.number().int().min(0)).optional(),
    paid_at: num.pipe(z.number().int().min(0)).optional(),
    vbank_due: num.pipe(z.number().int().min(0)).optional(),
    /** A per-payment scenario; `false` sends (and records) no webhook at all. */
    webhook: z.union([webhookScenarioSchema, z.literal(false)]).optional(),
  })
  .strict();
export type CreatePaymentInput = z.infer<typeof createPaymentSchema>;

export const transitionSchema = z
  .object({
    to: z.enum(['paid', 'failed', 'cancelled']),
    /** Refund amount for `cancelled` (console cancel); missing = the whole balance. */
    amount: num.pipe(z.number().positive()).optional(),
    reason: shortText(200),
    webhook: z.union([webhookScenarioSchema, z.literal(false)]).optional(),
  })
  .strict();

/** A correction of the gateway's record: the amount it now reports for the payment. */
export const amendSchema = z
  .object({
    amount: num.pipe(z.number().int().positive()),
  })
  .strict();

export const depositSchema = z
  .object({
    webhook: z.union([webhookScenarioSchema, z.literal(false)]).optional(),
  })
  .strict();

export const advanceSchema = z
  .object({
    seconds: num.pipe(
      z
        .number()
        .min(0)
        .max(366 * 24 * 3600),
    ),
  })
  .strict();

export const shopOptionsSchema = z
  .object({
    monitorUrl: httpUrl,
    storeSlug: z.string().min(1).max(100),
    apiKey: z.string().min(1).max(500),
  })
  .strict();

/** The browser's `IMP.request_pay` call as it reaches /checkout/start (lenient: real params vary). */
export const checkoutPayloadSchema = z.object({
  imp_code: z.string().max(40).nullable(),
  origin: z.string().max(300).nullable().optional(),
  user_agent: z.string().max(1000).nullable().optional(),
  params: z.record(z.string(), z.unknown()),
});

export const windowFormSchema = z.object({
  outcome: z.enum(OUTCOMES),
  style: z.enum(REDIRECT_STYLES).optional(),
  error_code: z.string().max(40).optional(),
  error_msg: z.string().max(200).optional(),
  tampered_amount: z.string().max(20).optional(),
  webhook: z
    .enum(['merchant', 'on_time', 'delayed', 'dropped', 'duplicated', 'before_redirect', 'after_redirect'])
    .optional(),
  delay_seconds: z.string().max(10).optional(),
  retry: z.string().optional(),
});

/** A readable one-liner from the first zod issue: `amount: must be a number`. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length ? issue.path.join('.') : 'body';
  return `${where}: ${issue.message}`;
}
