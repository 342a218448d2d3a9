import { describe, expect, it } from 'vitest';
import type { ObservedPayment } from '~/monitor/verify/decide';
import type { OrderStatus } from '~/monitor/status';
import { classifySweptPayment, splitWindow } from '~/monitor/jobs/sweep.server';

const paidAt = new Date('2026-11-24T09:00:00.000Z');
const payment = (over: Partial<ObservedPayment & { paidAt: Date | null }> = {}) => ({
  impUid: 'imp_100000000001',
  merchantUid: 'order-1',
  status: 'paid' as const,
  amount: 1000,
  cancelAmount: 0,
  currency: 'KRW',
  payMethod: 'card',
  vbankNum: null,
  paidAt,
  ...over,
});
const order = (status: OrderStatus, impUid: string | null = 'imp_100000000001') => ({
  status,
  impUid,
  expectedAmount: 1000,
  currency: 'KRW',
});

describe('classifySweptPayment', () => {
  it.each([
    ['paid, no order', payment(), null, 'unknown'],
    [
      'issued vbank, no order',
      payment({ status: 'ready', payMethod: 'vbank', vbankNum: '1', paidAt: null }),
      null,
      'unknown',
    ],
    ['refunded after payment, no order', payment({ status: 'cancelled', cancelAmount: 1000 }), null, 'unknown'],
    ['abandoned window, no order', payment({ status: 'ready', paidAt: null }), null, 'ignored'],
    ['cancelled before any payment, no order', payment({ status: 'cancelled', paidAt: null }), null, 'ignored'],
    ['paid, paid here', payment(), order('paid'), 'agrees'],
    ['paid, pending here (never verified)', payment(), order('pending', null), 'disagrees'],
    ['paid, vbank issued here (deposit webhook lost)', payment(), order('vbank_issued'), 'disagrees'],
    ['paid, failed here', payment(), order('failed'), 'disagrees'],
    ['paid with another amount, pending here', payment({ amount: 10 }), order('pending', null), 'disagrees'],
    ['paid with another amount, mismatch here', payment({ amount: 10 }), order('mismatch'), 'agrees'],
    [
      'cancelled, paid here (refund outside the monitor)',
      payment({ status: 'cancelled', cancelAmount: 1000 }),
      order('paid'),
      'disagrees',
    ],
    ['abandoned window, pending here', payment({ status: 'ready', paidAt: null }), order('pending', null), 'ignored'],
    [
      'an old abandoned attempt, paid here by another',
      payment({ impUid: 'imp_100000000002', status: 'ready', paidAt: null }),
      order('paid'),
      'ignored',
    ],
    [
      'a second paid attempt, paid here by another',
      payment({ impUid: 'imp_100000000002' }),
      order('paid'),
      'second_payment',
    ],
    ['a paid attempt after a failed one', payment({ impUid: 'imp_100000000002' }), order('failed'), 'disagrees'],
    [
      'a refunded second attempt, paid here by another',
      payment({ impUid: 'imp_100000000002', status: 'cancelled', cancelAmount: 1000 }),
      order('paid'),
      'ignored',
    ],
  ] as const)('%s → %s', (_label, p, o, kind) => {
    expect(classifySweptPayment(p, o).kind).toBe(kind);
  });
});

describe('splitWindow', () => {
  it('splits a window into pieces the gateway accepts', () => {
    const from = new Date('2026-01-01T00:00:00.000Z');
    const to = new Date('2026-07-01T00:00:00.000Z');
    const pieces = splitWindow(from, to);
    expect(pieces).toHaveLength(3);
    expect(pieces[0]!.from).toEqual(from);
    expect(pieces[2]!.to).toEqual(to);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.from).toEqual(pieces[i - 1]!.to);
  });

  it('is empty for an empty window', () => {
    expect(splitWindow(new Date(5), new Date(5))).toEqual([]);
  });
});
