import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOrderIfAbsent, newPendingOrder } from '../../../../db/orders';
import type { OrderRow } from '../../../../db/monitor-schema';
import type { Payment } from '~/iamport/types';
import { ORDER_STATUSES, SETTLED_STATUSES, type OrderStatus } from '~/monitor/status';
import { NORMAL_TRANSITIONS, OWN_ACTION_TRANSITIONS } from '~/monitor/verify/decide';
import type { LedgerEvent } from '~/monitor/verify/ledger-events';
import { changeOrder } from '~/monitor/verify/ledger.server';
import type { GatewayObservation } from '~/monitor/verify/plan';
import { gatewayPayment } from '../../../helpers/factories';
import { createMonitorHarness, openReasonNames, type MonitorHarness } from '../../../helpers/monitor';

/**
 * The order ledger on a real SQLite file: what it writes, what its listeners see (inside its
 * transaction), and the late-change rule walked over every pair of statuses of decide.ts's
 * transition tables.
 */

let h: MonitorHarness;
let storeId: number;
let n = 0;

beforeAll(async () => {
  h = await createMonitorHarness();
  storeId = (await h.addStore()).store.id;
});
afterAll(async () => {
  await h.close();
});

const IMP_UID = 'imp_000000000001';

async function orderAt(status: OrderStatus, extra: Partial<OrderRow> = {}): Promise<OrderRow> {
  const { order } = await insertOrderIfAbsent(
    h.t.db,
    newPendingOrder(
      {
        store_id: storeId,
        merchant_uid: `ledger-${++n}`,
        expected_amount: 1000,
        currency: 'KRW',
        name: null,
        source: 'api',
        at: h.clock.now().toISOString(),
      },
      status === 'pending'
        ? extra
        : { status, imp_uid: IMP_UID, paid_amount: 1000, cancel_amount: 0, gateway_status: 'paid', ...extra },
    ),
  );
  return order;
}

function payment(merchantUid: string, over: Partial<Payment>): Payment {
  return gatewayPayment({ impUid: IMP_UID, merchantUid, ...over });
}

/** A gateway answer our state machine judges as `to` (none means pending: the gateway never says so). */
const ANSWER_FOR: Record<Exclude<OrderStatus, 'pending'>, Partial<Payment>> = {
  paid: { status: 'paid' },
  vbank_issued: { status: 'ready', payMethod: 'vbank', vbankNum: '123-456' },
  failed: { status: 'failed' },
  cancelled: { status: 'cancelled', cancelAmount: 1000 },
  partially_cancelled: { status: 'cancelled', cancelAmount: 300 },
  mismatch: { status: 'paid', amount: 10 },
};

function answerFor(to: OrderStatus, merchantUid: string): GatewayObservation {
  if (to === 'pending') return { kind: 'not_found' };
  return { kind: 'found', payment: payment(merchantUid, ANSWER_FOR[to]) };
}

describe('late_change over every pair of statuses (the transition tables)', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

  it('covers 49 pairs, and no table ever leads to pending (the gateway has no such answer)', () => {
    expect(pairs).toHaveLength(49);
    for (const from of ORDER_STATUSES) {
      expect(NORMAL_TRANSITIONS[from].has('pending')).toBe(false);
      expect(OWN_ACTION_TRANSITIONS[from].has('pending')).toBe(false);
    }
  });

  describe.each([
    { how: 'the gateway alone', ownAction: false },
    { how: 'our own cancel', ownAction: true },
  ])('a change caused by $how', ({ ownAction }) => {
    it.each(pairs)('%s → %s', async (from, to) => {
      const order = await orderAt(from);
      const applied = await changeOrder(h.ctx, order.id, {
        kind: 'observation',
        trigger: ownAction ? 'manual_cancel' : 'schedule',
        observation: answerFor(to, order.merchant_uid),
        ownAction,
        checkId: null,
      });
      const reached = to === 'pending' ? from : to;
      expect(applied?.order.status).toBe(reached);
      const allowed =
        from === reached ||
        NORMAL_TRANSITIONS[from].has(reached) ||
        (ownAction && OWN_ACTION_TRANSITIONS[from].has(reached)) ||
        !SETTLED_STATUSES.has(from);
      const open = await openReasonNames(h.t.db, order.id);
      expect(open.includes('late_change')).toBe(!allowed);
      expect(applied?.plan.openedNow.includes('late_change')).toBe(!allowed);
    });
  });
});

describe('the ledger’s listeners', () => {
  it('see reason_opened, reason_resolved and status_changed with the order’s facts, inside the change', async () => {
    const seen: LedgerEvent[][] = [];
    const orderCountsSeen: number[] = [];
    const listener = async (trx: typeof h.ctx.db, events: readonly LedgerEvent[]) => {
      seen.push([...events]);
      // Inside the transaction: the listener already reads what the ledger wrote.
      const row = await trx
        .selectFrom('order')
        .select('open_reason_count')
        .where('id', '=', events[0]!.orderId)
        .executeTakeFirstOrThrow();
      orderCountsSeen.push(row.open_reason_count);
    };
    h.ctx.ledgerListeners.push(listener);
    try {
      const order = await orderAt('pending');
      await changeOrder(h.ctx, order.id, {
        kind: 'observation',
        trigger: 'webhook',
        observation: { kind: 'error', errorKind: 'indeterminate', message: 'timeout' },
        checkId: null,
      });
      h.clock.advance(60_000);
      await changeOrder(h.ctx, order.id, {
        kind: 'observation',
        trigger: 'schedule',
        observation: { kind: 'found', payment: payment(order.merchant_uid, { status: 'paid' }) },
        checkId: null,
      });
      await changeOrder(h.ctx, order.id, {
        kind: 'open',
        reason: 'orphan_payment',
        detail: 'a second payment',
        trigger: 'sweep',
      });
      await changeOrder(h.ctx, order.id, {
        kind: 'person_resolve',
        reasons: null,
        by: 'ops@example.com',
        note: 'refunded by phone',
      });
      // Nothing changes: no events at all.
      await changeOrder(h.ctx, order.id, { kind: 'resolve', reason: 'stale_pending', by: 'time', note: 'n/a' });

      const ref = {
        orderId: order.id,
        storeId,
        merchantUid: order.merchant_uid,
        expectedAmount: 1000,
        currency: 'KRW',
      };
      expect(seen).toHaveLength(4);
      expect(seen[0]).toEqual([
        {
          ...ref,
          type: 'reason_opened',
          reason: 'unverified',
          detail: 'indeterminate: timeout',
          status: 'pending',
          paidAmount: null,
          trigger: 'webhook',
          at: '2026-11-24T09:00:00.000Z',
        },
      ]);
      const paidRef = { ...ref, status: 'paid', paidAmount: 1000, at: '2026-11-24T09:01:00.000Z' };
      expect(seen[1]).toEqual([
        { ...paidRef, trigger: 'schedule', type: 'status_changed', from: 'pending', to: 'paid' },
        { ...paidRef, trigger: 'schedule', type: 'reason_resolved', reason: 'unverified', by: 'gateway' },
      ]);
      expect(seen[2]).toEqual([
        { ...paidRef, trigger: 'sweep', type: 'reason_opened', reason: 'orphan_payment', detail: 'a second payment' },
      ]);
      expect(seen[3]).toEqual([
        { ...paidRef, trigger: 'person', type: 'reason_resolved', reason: 'orphan_payment', by: 'ops@example.com' },
      ]);
      expect(orderCountsSeen).toEqual([1, 0, 1, 0]);
    } finally {
      h.ctx.ledgerListeners.splice(h.ctx.ledgerListeners.indexOf(listener), 1);
    }
  });

  it('a listener that throws undoes the whole change', async () => {
    const order = await orderAt('pending');
    const failing = async () => {
      throw new Error('outbox is full');
    };
    h.ctx.ledgerListeners.push(failing);
    try {
      await expect(
        changeOrder(h.ctx, order.id, {
          kind: 'observation',
          trigger: 'schedule',
          observation: { kind: 'found', payment: payment(order.merchant_uid, { status: 'paid', amount: 10 }) },
          checkId: null,
        }),
      ).rejects.toThrow('outbox is full');
    } finally {
      h.ctx.ledgerListeners.splice(h.ctx.ledgerListeners.indexOf(failing), 1);
    }
    const after = await h.t.db.selectFrom('order').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'pending', paid_amount: null, open_reason_count: 0, next_check_at: null });
    expect(await h.t.db.selectFrom('attention_reason').selectAll().where('order_id', '=', order.id).execute()).toEqual(
      [],
    );
    expect(await h.t.db.selectFrom('verification').selectAll().where('order_id', '=', order.id).execute()).toEqual([]);
  });
});

describe('resolutions that stick (decision 0154)', () => {
  const mismatchAnswer = (merchantUid: string, amount: number): GatewayObservation => ({
    kind: 'found',
    payment: payment(merchantUid, { status: 'paid', amount }),
  });
  const observe = (orderId: number, observation: GatewayObservation) =>
    changeOrder(h.ctx, orderId, { kind: 'observation', trigger: 'button', observation, checkId: null });
  const rows = (orderId: number) =>
    h.t.db.selectFrom('attention_reason').selectAll().where('order_id', '=', orderId).orderBy('id').execute();

  it('a person’s resolution holds for the same answer and gives way, saying what changed, to a different one', async () => {
    const order = await orderAt('pending');
    await observe(order.id, mismatchAnswer(order.merchant_uid, 900));
    const seen = await h.t.db.selectFrom('order').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(seen.status).toBe('mismatch');
    expect(JSON.parse(seen.last_answer!)).toMatchObject({ kind: 'found', amount: 900, status: 'paid' });

    h.clock.advance(60_000);
    await changeOrder(h.ctx, order.id, {
      kind: 'person_resolve',
      reasons: ['amount_mismatch'],
      by: 'ops@example.com',
      note: 'agreed with the buyer',
    });
    expect((await rows(order.id)).map((r) => [r.reason, r.resolved_by, r.resolved_answer])).toEqual([
      ['amount_mismatch', 'ops@example.com', seen.last_answer],
    ]);

    // The same answer, twice: nothing reopens, no new row.
    for (let i = 0; i < 2; i++) {
      h.clock.advance(60_000);
      const applied = await observe(order.id, mismatchAnswer(order.merchant_uid, 900));
      expect(applied!.plan.kept).toEqual(['amount_mismatch']);
    }
    expect(await openReasonNames(h.t.db, order.id)).toEqual([]);
    expect(await rows(order.id)).toHaveLength(1);

    // A different amount: reopened, saying what changed and whose resolution it undoes.
    h.clock.advance(60_000);
    await observe(order.id, mismatchAnswer(order.merchant_uid, 950));
    expect(await openReasonNames(h.t.db, order.id)).toEqual(['amount_mismatch']);
    const reopened = (await rows(order.id))[1]!;
    expect(reopened.detail).toBe(
      "expected 1000 KRW, gateway has 950 KRW; reopened: the gateway's answer changed since ops@example.com resolved it (amount 900 → 950)",
    );
    const after = await h.t.db.selectFrom('order').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(after.open_reason_count).toBe(1);

    // The gateway resolving it later leaves nothing sticky behind: the next mismatch opens plainly.
    h.clock.advance(60_000);
    await observe(order.id, {
      kind: 'found',
      payment: payment(order.merchant_uid, { status: 'cancelled', amount: 950, cancelAmount: 950 }),
    });
    expect(await openReasonNames(h.t.db, order.id)).toEqual(['late_change']);
  });

  it('a resolution raced by re-checks of the same answer ends resolved, with one row, in any order', async () => {
    const order = await orderAt('pending');
    await observe(order.id, mismatchAnswer(order.merchant_uid, 900));
    await Promise.all([
      ...Array.from({ length: 10 }, () => observe(order.id, mismatchAnswer(order.merchant_uid, 900))),
      changeOrder(h.ctx, order.id, {
        kind: 'person_resolve',
        reasons: ['amount_mismatch'],
        by: 'ops@example.com',
        note: 'agreed with the buyer',
      }),
      ...Array.from({ length: 10 }, () => observe(order.id, mismatchAnswer(order.merchant_uid, 900))),
    ]);
    expect(await openReasonNames(h.t.db, order.id)).toEqual([]);
    expect((await rows(order.id)).map((r) => [r.reason, r.resolved_by])).toEqual([
      ['amount_mismatch', 'ops@example.com'],
    ]);
    const after = await h.t.db.selectFrom('order').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
    expect(after.open_reason_count).toBe(0);
  });

  it('time re-opening a reason a person resolved waits for a different answer', async () => {
    const order = await orderAt('pending');
    const open = () =>
      changeOrder(h.ctx, order.id, { kind: 'open', reason: 'stale_pending', detail: 'nothing after 30 min' });
    await open();
    await changeOrder(h.ctx, order.id, {
      kind: 'person_resolve',
      reasons: null,
      by: 'ops@example.com',
      note: 'a test order',
    });
    expect((await open())!.plan).toMatchObject({ noop: true, kept: ['stale_pending'] });
    expect(await openReasonNames(h.t.db, order.id)).toEqual([]);
    // The gateway answers for the first time (not found): the answer changed, so time opens it again…
    await observe(order.id, { kind: 'not_found' });
    const reopened = await open();
    expect(reopened!.plan.openedNow).toEqual(['stale_pending']);
    expect(reopened!.plan.insert[0]!.detail).toContain('(no recorded answer → no payment)');
    // …and a person's resolution against that answer holds in turn.
    await changeOrder(h.ctx, order.id, {
      kind: 'person_resolve',
      reasons: null,
      by: 'ops@example.com',
      note: 'still a test',
    });
    expect((await open())!.plan.kept).toEqual(['stale_pending']);
  });
});
