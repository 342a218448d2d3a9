import { inTransaction } from '../../../db/connection';
import { lockOrderRow } from '../../../db/dialect';
import { insertVerification } from '../../../db/evidence';
import type { OrderRow } from '../../../db/monitor-schema';
import {
  findOrder,
  findOrderById,
  insertOrderIfAbsent,
  newPendingOrder,
  openReason,
  openReasonsOf,
  resolveReasons,
  updateOrder,
} from '../../../db/orders';
import type { AppContext } from '../../context.server';
import type { GatewayResult, Payment } from '../../iamport/types';
import { cancelAtGateway } from './cancel.server';
import { decide, type Decision, type Observation, type RedirectFlag } from './decide';
import { recordGatewayCheck } from './gateway.server';
import type { LedgerEvent } from './ledger-events';
import { nextCheck } from './schedule';
import type { AttentionReason, OrderStatus, Trigger, VerificationOutcome } from '../status';
import type { Store } from '../stores/stores.server';
import { fromDbTime, toDbTime } from '../time';

export type MonitorDeps = Pick<AppContext, 'db' | 'log' | 'now' | 'config' | 'gateways' | 'metrics'> &
  Partial<Pick<AppContext, 'ledgerListeners' | 'jobListeners'>>;

/** A payment already fetched (e.g. in a batch) together with the check that recorded it. */
export type Prefetched = { observation: Observation; payment: Payment | null; checkId: number };

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
  /** Our own cancel caused what the gateway now says. */
  ownAction?: boolean;
  prefetched?: Prefetched;
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

export function observe(result: GatewayResult<Payment>): { observation: Observation; payment: Payment | null } {
  if (result.ok) return { observation: { kind: 'found', payment: result.value }, payment: result.value };
  if (result.error.notFound) return { observation: { kind: 'not_found' }, payment: null };
  return { observation: { kind: 'error', errorKind: result.error.kind, message: result.error.message }, payment: null };
}

/**
 * The one verification of the product: every trigger (redirect, webhook, schedule, button, our
 * own cancel) comes here. It asks the gateway (unless handed a batch result), records the raw
 * answer, finds or creates the order, applies the state machine under the order's lock, opens and
 * resolves attention reasons, schedules the next check and applies the store's mismatch policy.
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

  // The gateway's merchant_uid wins over the one the evidence claimed (reference §5.6 step 3).
  const merchantUid = fetched.payment?.merchantUid ?? input.merchantUid;
  let order: OrderRow | null = null;
  if (merchantUid)
    order =
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

  const applied = await applyObservation(deps, {
    orderId: order.id,
    observation: fetched.observation,
    input,
    checkId,
  });
  deps.metrics.inc('monitor_verifications_total', { trigger: input.trigger, outcome: applied.decision.outcome });

  if (applied.openedNow.includes('amount_mismatch') && store.mismatchPolicy === 'auto_cancel' && fetched.payment) {
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
      status: (after?.status ?? applied.order.status) as OrderStatus,
      outcome: applied.decision.outcome,
      settled: applied.decision.settled,
      changed: true,
      openReasons: reasons.map((r) => r.reason as AttentionReason),
    };
  }
  return {
    orderId: order.id,
    merchantUid: applied.order.merchant_uid,
    status: applied.order.status as OrderStatus,
    outcome: applied.decision.outcome,
    settled: applied.decision.settled,
    changed: applied.changed,
    openReasons: applied.openReasons,
  };
}

/**
 * Evidence for a merchant_uid the merchant never registered: keep it as an order so nothing is
 * lost, with the expected amount from Iamport's prepare record when there is one.
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
  const { order, created } = await insertOrderIfAbsent(
    deps.db,
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
  await recordGatewayCheck(deps, {
    store: input.store,
    orderId: order.id,
    trigger: input.trigger,
    operation: 'getPrepared',
    impUid: null,
    merchantUid,
    result: prepared,
  });
  if (created) {
    const detail = prepared.ok
      ? `not registered by the merchant; expected amount ${prepared.value.amount} taken from Iamport's prepare record`
      : 'not registered by the merchant and no prepare record at Iamport: expected amount unknown';
    await openReason(deps.db, { order_id: order.id, reason: 'unknown_order', opened_at: at, detail });
    await updateOrder(deps.db, order.id, { open_reason_count: 1 });
  }
  return order;
}

async function applyObservation(
  deps: MonitorDeps,
  args: { orderId: number; observation: Observation; input: VerifyInput; checkId: number | null },
): Promise<{
  order: OrderRow;
  decision: Decision;
  changed: boolean;
  openedNow: AttentionReason[];
  openReasons: AttentionReason[];
}> {
  const { input } = args;
  // A caller that already holds a transaction (the job verifying a batch) is joined, not nested.
  return inTransaction(deps.db, async (trx) => {
    await lockOrderRow(trx, deps.config.database.dialect, args.orderId);
    const order = await findOrderById(trx, args.orderId);
    if (!order) throw new Error(`order ${args.orderId} disappeared`);
    const now = deps.now();
    const at = toDbTime(now);

    const decision = decide({
      order: {
        status: order.status as OrderStatus,
        impUid: order.imp_uid,
        expectedAmount: order.expected_amount,
        currency: order.currency,
      },
      observation: args.observation,
      redirectFlag: input.redirectFlag,
      redirectClaimsFailure: input.redirectClaimsFailure,
      ownAction: input.ownAction,
    });
    // A webhook arrived, whatever it says and whatever the gateway answered: nothing is missing any more.
    if (input.trigger === 'webhook') decision.resolve.push('redirect_without_webhook');

    const before = new Set((await openReasonsOf(trx, order.id)).map((r) => r.reason as AttentionReason));
    const openedNow: AttentionReason[] = [];
    const openedAndResolved: AttentionReason[] = [];
    const resolveSet = new Set(decision.resolve);
    for (const { reason, detail } of decision.open) {
      if (resolveSet.has(reason)) {
        // Opened and explained by the same answer: kept in the history, nothing left open.
        if (before.has(reason)) continue;
        await openReason(trx, {
          order_id: order.id,
          reason,
          opened_at: at,
          detail,
          resolved_at: at,
          resolved_by: 'gateway',
        });
        openedAndResolved.push(reason);
      } else if (await openReason(trx, { order_id: order.id, reason, opened_at: at, detail })) {
        openedNow.push(reason);
      }
    }
    const toResolve = decision.resolve.filter((r) => before.has(r));
    const resolvedNow = (await resolveReasons(trx, order.id, toResolve, at, 'gateway', null)) as AttentionReason[];

    const openNow = new Set<AttentionReason>([...before, ...openedNow].filter((r) => !resolvedNow.includes(r)));
    const payment = decision.payment as Payment | null;
    const vbankDueAt = payment?.vbankDate ?? fromDbTime(order.vbank_due_at);
    const schedule = nextCheck({
      now,
      status: decision.status,
      openReasons: openNow,
      attempts: order.check_attempts,
      vbankDueAt,
    });
    const changed = decision.status !== order.status;

    const updated = await updateOrder(trx, order.id, {
      status: decision.status,
      updated_at: at,
      last_checked_at: at,
      next_check_at: schedule.nextCheckAt ? toDbTime(schedule.nextCheckAt) : null,
      check_attempts: schedule.attempts,
      open_reason_count: openNow.size,
      ...(payment
        ? {
            imp_uid: payment.impUid,
            gateway_status: payment.status,
            paid_amount: payment.amount,
            cancel_amount: payment.cancelAmount,
            pay_method: payment.payMethod,
            pg_provider: payment.pgProvider,
            buyer_name: payment.buyerName,
            vbank_due_at: payment.vbankDate ? toDbTime(payment.vbankDate) : null,
            paid_at: payment.paidAt ? toDbTime(payment.paidAt) : order.paid_at,
          }
        : {}),
    });

    // Until the order ledger lands (it will emit these itself): tell the listeners, in this transaction.
    if (deps.ledgerListeners?.length) {
      const ref = {
        orderId: order.id,
        storeId: order.store_id,
        merchantUid: order.merchant_uid,
        status: decision.status,
        expectedAmount: order.expected_amount,
        paidAmount: payment?.amount ?? order.paid_amount,
        currency: payment?.currency ?? order.currency,
        trigger: input.trigger,
        at,
      };
      const details = new Map(decision.open.map((o) => [o.reason, o.detail]));
      const events: LedgerEvent[] = [
        ...openedNow.map((reason) => ({
          ...ref,
          type: 'reason_opened' as const,
          reason,
          detail: details.get(reason) ?? '',
        })),
        ...resolvedNow.map((reason) => ({ ...ref, type: 'reason_resolved' as const, reason, by: 'gateway' })),
        ...(changed
          ? [{ ...ref, type: 'status_changed' as const, from: order.status as OrderStatus, to: decision.status }]
          : []),
      ];
      if (events.length) for (const listener of deps.ledgerListeners) await listener(trx, events);
    }

    await insertVerification(trx, {
      order_id: order.id,
      gateway_check_id: args.checkId,
      redirect_hit_id: input.redirectHitId ?? null,
      webhook_delivery_id: input.webhookDeliveryId ?? null,
      trigger: input.trigger,
      decided_at: at,
      outcome: decision.outcome,
      status_before: order.status,
      status_after: decision.status,
      gateway_status: payment?.status ?? null,
      expected_amount: order.expected_amount,
      paid_amount: payment?.amount ?? null,
      currency: payment?.currency ?? null,
      reasons_opened: JSON.stringify([...openedNow, ...openedAndResolved]),
      reasons_resolved: JSON.stringify([...resolvedNow, ...openedAndResolved]),
    });
    return { order: updated, decision, changed, openedNow, openReasons: [...openNow] };
  });
}
