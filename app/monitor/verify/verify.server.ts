import { inTransaction } from '../../../db/connection';
import type { OrderRow } from '../../../db/monitor-schema';
import { findOrder, findOrderById, insertOrderIfAbsent, newPendingOrder, openReasonsOf } from '../../../db/orders';
import type { GatewayResult, Payment } from '../../iamport/types';
import type { MonitorDeps } from '../deps';
import type { AttentionReason, OrderStatus, Trigger, VerificationOutcome } from '../status';
import type { Store } from '../stores/stores.server';
import { toDbTime } from '../time';
import { requestCancel, type CancelRefusal } from './cancel.server';
import type { RedirectFlag } from './decide';
import { observe, recordGatewayCheck, type Prefetched } from './gateway.server';
import { changeOrder, type Applied } from './ledger.server';
import type { GatewayObservation, LedgerChange } from './plan';

export type VerifyInput = {
  store: Store;
  trigger: Trigger;
  impUid: string | null;
  merchantUid: string | null;
  redirectHitId?: number | null;
  webhookDeliveryId?: number | null;
  redirectFlag?: RedirectFlag | null;
  /** The redirect said the process failed (flag false or an error_code). */
  redirectClaimsFailure?: boolean;
  /** A webhook's `status` field (worded into reasons, never decides). */
  webhookStatus?: string | null;
  /** Our own cancel caused what the gateway now says. */
  ownAction?: boolean;
  prefetched?: Prefetched;
  /**
   * The store's order for this payment when the caller already looked it up (the webhook worker
   * reads a whole batch's orders in one query); ignored unless its store and merchant_uid match.
   */
  order?: OrderRow;
  timeoutMs?: number;
};

export type VerifyResult = {
  orderId: number | null;
  merchantUid: string | null;
  status: OrderStatus | null;
  outcome: VerificationOutcome;
  /** The gateway answered conclusively. */
  settled: boolean;
  /** Our status changed. */
  changed: boolean;
  openReasons: AttentionReason[];
};

/**
 * The one verification of the product: every trigger (redirect, webhook, schedule, button, our
 * own cancel) comes here. It asks the gateway (unless handed a batch result), records the raw
 * answer, finds or creates the order, hands the answer to the order ledger (which applies the
 * state machine under the order's lock, opens and resolves attention reasons and schedules the
 * next check) and applies the store's mismatch policy.
 *
 * Guarantees: idempotent (the same gateway answer twice changes nothing the second time); safe
 * when triggers for one order race; an error or timeout never changes a status (it opens
 * `unverified`). It never trusts the redirect flag or the webhook's `status`.
 */
export async function verifyPayment(deps: MonitorDeps, input: VerifyInput): Promise<VerifyResult> {
  const { store } = input;
  let checkId: number | null = input.prefetched?.checkId ?? null;
  let fetched: Omit<Prefetched, 'checkId'> | null = input.prefetched ?? null;
  let operationResult: GatewayResult<Payment> | null = null;
  let operation = 'getPayment';
  if (!fetched) {
    const client = deps.gateways.forStore(store, { timeoutMs: input.timeoutMs });
    if (input.impUid) {
      operationResult = await client.getPayment(input.impUid);
    } else if (input.merchantUid) {
      operation = 'findPayment';
      operationResult = await client.findPayment(input.merchantUid);
    } else {
      throw new Error('verifyPayment needs an imp_uid or a merchant_uid');
    }
    fetched = observe(operationResult);
  }

  // The gateway's merchant_uid wins over the one the evidence claimed (iamport-facts §5.6 step 3).
  const merchantUid = fetched.payment?.merchantUid ?? input.merchantUid;
  let order: OrderRow | null = null;
  const known = input.order?.store_id === store.id && input.order.merchant_uid === merchantUid ? input.order : null;
  if (merchantUid)
    order =
      known ??
      (await findOrder(deps.db, store.id, merchantUid)) ??
      (await createUnknownOrder(deps, input, merchantUid, fetched.payment));

  if (operationResult) {
    checkId = await recordGatewayCheck(deps, {
      store,
      orderId: order?.id ?? null,
      trigger: input.trigger,
      operation,
      impUid: input.impUid,
      merchantUid: input.merchantUid,
      result: operationResult,
    });
  }
  const outcomeWithoutOrder: VerificationOutcome =
    fetched.observation.kind === 'not_found' ? 'not_found' : 'unverified';
  if (!order) {
    deps.metrics.inc('monitor_verifications_total', { trigger: input.trigger, outcome: outcomeWithoutOrder });
    return {
      orderId: null,
      merchantUid,
      status: null,
      outcome: outcomeWithoutOrder,
      settled: false,
      changed: false,
      openReasons: [],
    };
  }

  const applied = await changeOrder(deps, order.id, observationChange(input, fetched.observation, checkId));
  if (!applied) throw new Error(`order ${order.id} disappeared`);
  const decision = applied.plan.decision!;
  deps.metrics.inc('monitor_verifications_total', { trigger: input.trigger, outcome: decision.outcome });

  if (applied.plan.openedNow.includes('amount_mismatch') && store.mismatchPolicy === 'auto_cancel' && fetched.payment) {
    await cancelAtGateway(deps, {
      store,
      orderId: order.id,
      reason: `amount mismatch: expected ${applied.order.expected_amount} ${applied.order.currency}, paid ${fetched.payment.amount} ${fetched.payment.currency}`,
      trigger: 'auto_cancel',
    });
    const after = await findOrderById(deps.db, order.id);
    const reasons = await openReasonsOf(deps.db, order.id);
    return {
      orderId: order.id,
      merchantUid: after?.merchant_uid ?? merchantUid,
      status: after?.status ?? applied.order.status,
      outcome: decision.outcome,
      settled: decision.settled,
      changed: true,
      openReasons: reasons.map((r) => r.reason),
    };
  }
  return resultOf(applied);
}

/**
 * The ledger change for a gateway answer to this verification: the one mapping from a verification's
 * input to what the planner judges (the reconcile dry run plans from it too, so it cannot drift).
 */
export function observationChange(
  input: Omit<VerifyInput, 'impUid' | 'merchantUid' | 'prefetched' | 'timeoutMs'>,
  observation: GatewayObservation,
  checkId: number | null,
): Extract<LedgerChange, { kind: 'observation' }> {
  return {
    kind: 'observation',
    trigger: input.trigger,
    observation,
    redirectFlag: input.redirectFlag,
    redirectClaimsFailure: input.redirectClaimsFailure,
    webhookStatus: input.webhookStatus,
    unconfirmedWindowSeconds: input.store.stalePendingSeconds,
    ownAction: input.ownAction,
    checkId,
    redirectHitId: input.redirectHitId,
    webhookDeliveryId: input.webhookDeliveryId,
  };
}

function resultOf(applied: Applied): VerifyResult {
  const decision = applied.plan.decision!;
  return {
    orderId: applied.order.id,
    merchantUid: applied.order.merchant_uid,
    status: applied.order.status,
    outcome: decision.outcome,
    settled: decision.settled,
    changed: applied.order.status !== applied.before.status,
    openReasons: applied.plan.openAfter,
  };
}

export type CancelResult =
  | { ok: true; verification: VerifyResult }
  | CancelRefusal
  | { ok: false; refusal: 'gateway'; message: string; kind: string };

/**
 * Cancels (refunds) an order's payment at the gateway (cancel.server.ts `requestCancel`), then
 * verifies the answer as our own action, so the refund the gateway reports is not a late change.
 * Expected refusals (nothing paid, nothing left, an amount out of range, the gateway saying no)
 * come back as results. The caller records the audit event.
 */
export async function cancelAtGateway(
  deps: MonitorDeps,
  input: Parameters<typeof requestCancel>[1],
): Promise<CancelResult> {
  const asked = await requestCancel(deps, input);
  if (!asked.ok) return asked;
  const verification = await verifyPayment(deps, {
    store: input.store,
    trigger: input.trigger,
    impUid: asked.impUid,
    merchantUid: asked.merchantUid,
    ownAction: true,
    prefetched: asked.answer,
  });
  return { ok: true, verification };
}

/**
 * Evidence for a merchant_uid the merchant never registered: keep it as an order so nothing is
 * lost, with the expected amount from Iamport's prepare record when there is one. The order and
 * its `unknown_order` reason are written in one transaction, the reason through the ledger.
 */
async function createUnknownOrder(
  deps: MonitorDeps,
  input: VerifyInput,
  merchantUid: string,
  payment: Payment | null,
): Promise<OrderRow> {
  const client = deps.gateways.forStore(input.store, { timeoutMs: input.timeoutMs });
  const prepared = await client.getPrepared(merchantUid);
  const at = toDbTime(deps.now());
  const order = await inTransaction(deps.db, async (trx) => {
    const { order, created } = await insertOrderIfAbsent(
      trx,
      newPendingOrder(
        {
          store_id: input.store.id,
          merchant_uid: merchantUid,
          expected_amount: prepared.ok ? prepared.value.amount : null,
          currency: (prepared.ok ? prepared.value.currency : null) ?? payment?.currency ?? 'KRW',
          name: payment?.name ?? null,
          source: 'evidence',
          at,
        },
        { prepared_at: prepared.ok ? at : null },
      ),
    );
    if (created) {
      const detail = prepared.ok
        ? `not registered by the merchant; expected amount ${prepared.value.amount} taken from Iamport's prepare record`
        : 'not registered by the merchant and no prepare record at Iamport: expected amount unknown';
      await changeOrder({ ...deps, db: trx }, order.id, {
        kind: 'open',
        reason: 'unknown_order',
        detail,
        trigger: input.trigger,
      });
    }
    return order;
  });
  await recordGatewayCheck(deps, {
    store: input.store,
    orderId: order.id,
    trigger: input.trigger,
    operation: 'getPrepared',
    impUid: null,
    merchantUid,
    result: prepared,
  });
  return order;
}
