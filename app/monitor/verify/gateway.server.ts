import type { Db } from '../../../db/connection';
import { insertGatewayCheck } from '../../../db/evidence';
import { createIamportClient } from '../../iamport/client';
import type { CallMeta, GatewayResult, IamportClient, Payment } from '../../iamport/types';
import type { Metrics } from '../../metrics.server';
import { storeSecret, type Store } from '../stores/stores.server';
import type { Trigger } from '../status';
import type { GatewayObservation } from './plan';
import { toDbTime } from '../time';

/** Default timeout of gateway calls made off the buyer's path (webhook queue, jobs, buttons). */
export const GATEWAY_TIMEOUT_MS = 10_000;
/** The buyer waits on the redirect: past this we show "confirming your payment" instead. */
export const REDIRECT_GATEWAY_TIMEOUT_MS = 3_000;

export type GatewayRegistry = {
  /** One client (and so one cached token) per store, configuration and timeout. */
  forStore: (store: Store, options?: { timeoutMs?: number }) => IamportClient;
};

export function createGatewayRegistry(deps: {
  appSecret: string;
  fetch?: typeof fetch;
  now?: () => Date;
}): GatewayRegistry {
  const clients = new Map<string, IamportClient>();
  return {
    forStore(store, options) {
      const timeoutMs = options?.timeoutMs ?? GATEWAY_TIMEOUT_MS;
      // updatedAt is in the key so editing a store's credentials or URL takes effect at once.
      const key = `${store.id}|${store.updatedAt}|${timeoutMs}`;
      let client = clients.get(key);
      if (!client) {
        for (const existing of clients.keys())
          if (existing.startsWith(`${store.id}|`) && !existing.startsWith(`${store.id}|${store.updatedAt}|`))
            clients.delete(existing);
        client = createIamportClient({
          baseUrl: store.apiBaseUrl,
          impKey: store.impKey,
          impSecret: storeSecret(store, deps.appSecret),
          timeoutMs,
          fetch: deps.fetch,
          now: deps.now,
        });
        clients.set(key, client);
      }
      return client;
    },
  };
}

/** The evidence of one gateway operation, as stored: every raw answer, never a token. */
export function rawEvidence(meta: CallMeta & { calls?: CallMeta[] }): string | null {
  const raw = meta.calls ? meta.calls.map((c) => c.raw ?? c.rawText) : (meta.raw ?? meta.rawText);
  return raw === null || raw === undefined ? null : JSON.stringify(raw);
}

/** Records one gateway operation (its raw JSON, status, latency) and counts it. */
export async function recordGatewayCheck(
  deps: { db: Db; now: () => Date; metrics: Metrics },
  input: {
    store: Store;
    orderId: number | null;
    trigger: Trigger;
    operation: string;
    impUid: string | null;
    merchantUid: string | null;
    result: GatewayResult<unknown>;
  },
): Promise<number> {
  const { result } = input;
  const meta = result.meta as CallMeta & { calls?: CallMeta[] };
  for (const call of meta.calls ?? [meta]) {
    deps.metrics.inc('monitor_gateway_calls_total', {
      operation: input.operation,
      status: String(call.httpStatus ?? 'none'),
    });
  }
  const row = await insertGatewayCheck(deps.db, {
    store_id: input.store.id,
    order_id: input.orderId,
    trigger: input.trigger,
    operation: input.operation,
    imp_uid: input.impUid,
    merchant_uid: input.merchantUid,
    checked_at: toDbTime(deps.now()),
    ok: result.ok ? 1 : 0,
    http_status: meta.httpStatus,
    error_kind: result.ok ? null : result.error.kind,
    error_code: result.ok ? null : result.error.code,
    error_message: result.ok ? null : result.error.message,
    latency_ms: Math.round(meta.latencyMs),
    raw_json: rawEvidence(meta),
  });
  return row.id;
}

/** A payment already fetched (e.g. in a batch) together with the check that recorded it. */
export type Prefetched = { observation: GatewayObservation; payment: Payment | null; checkId: number };

/** What one look-up's answer says about the payment: found, not found, or no answer. */
export function observe(result: GatewayResult<Payment>): { observation: GatewayObservation; payment: Payment | null } {
  if (result.ok) return { observation: { kind: 'found', payment: result.value }, payment: result.value };
  if (result.error.notFound) return { observation: { kind: 'not_found' }, payment: null };
  return { observation: { kind: 'error', errorKind: result.error.kind, message: result.error.message }, payment: null };
}

/**
 * The one reading of a batched `GET /payments?imp_uid[]=` answer, for the webhook worker and the
 * reconciler alike: per asked imp_uid, the payment when listed, `not_found` when the answer says
 * it is missing (or the whole answer is a not-found), the error when the call failed. An imp_uid
 * the answer neither lists nor reports missing is an indeterminate answer (`unverified`, retried
 * on the backoff): never a not-found, and never a second call behind the batch's back.
 */
export function batchAnswers(
  result: GatewayResult<{ payments: Payment[]; missing: string[] }>,
  impUids: readonly string[],
  checkId: number,
): Map<string, Prefetched> {
  const answers = new Map<string, Prefetched>();
  if (!result.ok) {
    const observation: GatewayObservation = result.error.notFound
      ? { kind: 'not_found' }
      : { kind: 'error', errorKind: result.error.kind, message: result.error.message };
    for (const id of impUids) answers.set(id, { observation, payment: null, checkId });
    return answers;
  }
  const listed = new Map(result.value.payments.map((p) => [p.impUid, p]));
  const missing = new Set(result.value.missing);
  for (const id of impUids) {
    const payment = listed.get(id);
    if (payment) answers.set(id, { observation: { kind: 'found', payment }, payment, checkId });
    else if (missing.has(id)) answers.set(id, { observation: { kind: 'not_found' }, payment: null, checkId });
    else
      answers.set(id, {
        observation: {
          kind: 'error',
          errorKind: 'indeterminate',
          message: 'the batch answer neither listed nor missed this imp_uid',
        },
        payment: null,
        checkId,
      });
  }
  return answers;
}
