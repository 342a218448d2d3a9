import { z } from 'zod';
import { attachOriginalDelivery, claimDeliveryIdentity, insertWebhookDelivery } from '../../../db/evidence';
import { findOrder } from '../../../db/orders';
import { enqueueWebhookJob } from '../../../db/webhook-jobs';
import { isIamportWebhookIp } from '../../iamport/webhook-ips';
import { archivedMessage, getStore, type Store } from '../stores/stores.server';
import { countUnknownStore } from './unknown-evidence.server';
import { toDbTime } from '../time';
import type { MonitorDeps } from '../deps';

/** Iamport's body is three short fields; anything this large is not a webhook. */
export const MAX_WEBHOOK_BYTES = 64 * 1024;

/** Headers never stored with the evidence. */
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const webhookBodySchema = z.object({
  imp_uid: z.string('imp_uid is required').regex(/^[A-Za-z0-9_-]{1,64}$/, 'imp_uid is malformed'),
  merchant_uid: z
    .string()
    .max(80, 'merchant_uid is too long')
    // "." / ".." cannot be a URL segment, a blank id cannot be asked for, control characters are not ids.
    .refine((v) => !/^\.{1,2}$/.test(v) && v.trim() !== '' && !CONTROL.test(v), 'merchant_uid is malformed')
    .optional(),
  status: z.string().max(20, 'status is too long').optional(),
  cancellation_id: z.string().max(100, 'cancellation_id is too long').optional(),
});
export type WebhookBody = z.infer<typeof webhookBodySchema>;

export type WebhookRequest = {
  storeSlug: string;
  contentType: string | null;
  headers: [string, string][];
  /** The body bytes as received, or the first MAX_WEBHOOK_BYTES when `tooLarge`. */
  body: Uint8Array;
  tooLarge: boolean;
  ip: string;
};

export type WebhookAnswer = { status: number; body: Record<string, unknown> };

type Parsed = { ok: true; body: WebhookBody } | { ok: false; status: 400 | 415; message: string };

/** Parses by media type (not an exact string match: `application/json; charset=utf-8` is JSON). */
export function parseWebhookBody(contentType: string | null, text: string): Parsed {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let candidate: unknown;
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      candidate = JSON.parse(text);
    } catch (error) {
      return { ok: false, status: 400, message: `body is not valid JSON: ${(error as Error).message}` };
    }
    if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
      return { ok: false, status: 400, message: 'body must be a JSON object' };
    }
  } else if (mediaType === 'application/x-www-form-urlencoded') {
    candidate = Object.fromEntries(new URLSearchParams(text));
  } else {
    return {
      ok: false,
      status: 415,
      message: `unsupported content type ${JSON.stringify(mediaType || 'none')}: send application/json or application/x-www-form-urlencoded`,
    };
  }
  const result = webhookBodySchema.safeParse(candidate);
  if (!result.success) return { ok: false, status: 400, message: result.error.issues.map((i) => i.message).join('; ') };
  return { ok: true, body: result.data };
}

function decodeUtf8(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), valid: true };
  } catch {
    return { text: new TextDecoder('utf-8').decode(bytes), valid: false };
  }
}

/**
 * Records one webhook delivery durably and decides the answer. The delivery row (and, when it is
 * accepted, its verification job) is committed before this returns, so an answered 200 is never
 * lost; verification happens later from the queue. Refused deliveries are stored too.
 */
export async function captureWebhook(
  deps: MonitorDeps & { notifyWebhookQueued: () => void },
  request: WebhookRequest,
): Promise<WebhookAnswer> {
  const store = await getStore(deps, request.storeSlug);
  if (!store) {
    // Not evidence of anything we monitor: counted per slug, never stored in full.
    await countUnknownStore(deps, request.storeSlug, 'webhook');
    deps.metrics.inc('monitor_webhooks_total', { answer: '404', duplicate: 'false' });
    return refuse(404, 'not_found', 'unknown store');
  }
  const { text, valid } = decodeUtf8(request.body);
  const listed = isIamportWebhookIp(request.ip);
  const parsed: Parsed | null = request.tooLarge || !valid ? null : parseWebhookBody(request.contentType, text);

  let answer: WebhookAnswer;
  if (request.tooLarge) answer = refuse(413, 'payload_too_large', `body is larger than ${MAX_WEBHOOK_BYTES} bytes`);
  // Archived: kept as evidence (the data stays visible), answered 410, never verified.
  else if (store.archivedAt) answer = refuse(410, 'gone', archivedMessage(store));
  else if (store.webhookIpPolicy === 'enforce' && !listed)
    answer = refuse(403, 'forbidden', `source ${request.ip} is not one of Iamport's webhook addresses`);
  else if (!valid) answer = refuse(400, 'bad_request', 'body is not valid UTF-8');
  else if (parsed && !parsed.ok)
    answer = refuse(parsed.status, parsed.status === 415 ? 'unsupported_media_type' : 'bad_request', parsed.message);
  else answer = { status: 200, body: { ok: true } };

  const body = parsed?.ok ? parsed.body : null;
  const at = toDbTime(deps.now());
  const accepted = answer.status === 200 && store !== null && body !== null;
  const { deliveryId, duplicateOf } = await deps.db.transaction().execute(async (trx) => {
    const identity = accepted
      ? {
          storeId: store.id,
          impUid: body.imp_uid,
          status: body.status ?? null,
          cancellationId: body.cancellation_id ?? null,
        }
      : null;
    const duplicateOf = identity ? await claimDeliveryIdentity(trx, identity) : null;
    const order = store && body?.merchant_uid ? await findOrder(trx, store.id, body.merchant_uid) : undefined;
    const delivery = await insertWebhookDelivery(trx, {
      store_slug: request.storeSlug.slice(0, 100),
      store_id: store?.id ?? null,
      order_id: order?.id ?? null,
      received_at: at,
      content_type: request.contentType?.slice(0, 200) ?? null,
      headers_json: JSON.stringify(request.headers.filter(([name]) => !SECRET_HEADERS.has(name.toLowerCase()))),
      body_text: text,
      body_base64: valid ? null : Buffer.from(request.body).toString('base64'),
      body_bytes: request.body.byteLength,
      source_ip: request.ip,
      ip_listed: listed ? 1 : 0,
      answer_status: answer.status,
      parse_error: answerError(answer),
      imp_uid: body?.imp_uid ?? null,
      merchant_uid: body?.merchant_uid ?? null,
      status: body?.status ?? null,
      cancellation_id: body?.cancellation_id ?? null,
      duplicate_of: duplicateOf,
    });
    if (identity && duplicateOf === null) await attachOriginalDelivery(trx, identity, delivery.id);
    // A duplicate is evidence, not work: the original's verification already covers it.
    if (accepted && duplicateOf === null)
      await enqueueWebhookJob(trx, { deliveryId: delivery.id, storeId: (store as Store).id, at });
    return { deliveryId: delivery.id, duplicateOf };
  });

  deps.metrics.inc('monitor_webhooks_total', {
    answer: String(answer.status),
    duplicate: String(duplicateOf !== null),
  });
  if (accepted && duplicateOf === null) deps.notifyWebhookQueued();
  return {
    status: answer.status,
    body: { ...answer.body, delivery_id: deliveryId, ...(duplicateOf !== null ? { duplicate_of: duplicateOf } : {}) },
  };
}

function refuse(status: number, code: string, message: string): WebhookAnswer {
  return { status, body: { error: { code, message } } };
}

function answerError(answer: WebhookAnswer): string | null {
  const error = answer.body.error as { message?: string } | undefined;
  return error?.message ?? null;
}
