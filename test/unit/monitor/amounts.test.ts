import { describe, expect, it } from 'vitest';
import { orderAmounts } from '~/monitor/amounts';
import type { OrderStatus } from '~/monitor/status';

describe('what an order’s amounts mean', () => {
  it.each([
    // status, gateway amount, cancelled, expected → paid, refunded, net, refundable, awaiting deposit
    ['paid', 8000, 0, 8000, 8000, 0, 8000, 8000, null],
    ['partially_cancelled', 4000, 1500, 4000, 4000, 1500, 2500, 2500, null],
    ['cancelled', 4000, 4000, 4000, 4000, 4000, 0, 0, null],
    ['mismatch', 100, 0, 8000, 100, 0, 100, 100, null],
    // The gateway's amount on these is what was asked for, not paid.
    ['failed', 8000, 0, 8000, null, null, null, 0, null],
    ['pending', 8000, 0, 8000, null, null, null, 0, null],
    ['vbank_issued', 33000, 0, 33000, null, null, null, 0, 33000],
    ['vbank_issued', null, null, 33000, null, null, null, 0, 33000],
    ['paid', null, null, 8000, null, null, null, 0, null],
  ] as const)(
    '%s %j/%j (expected %j)',
    (status, paidAmount, cancelAmount, expectedAmount, paid, refunded, net, refundable, awaiting) => {
      expect(orderAmounts({ status: status as OrderStatus, paidAmount, cancelAmount, expectedAmount })).toEqual({
        paid,
        refunded,
        net,
        refundable,
        awaitingDeposit: awaiting,
      });
    },
  );
});
