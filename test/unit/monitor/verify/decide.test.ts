import { describe, expect, it } from 'vitest';
import { decide, statusForPayment, type ObservedPayment, type OrderFacts } from '~/monitor/verify/decide';

const order = (over: Partial<OrderFacts> = {}): OrderFacts => ({
  status: 'pending',
  impUid: null,
  expectedAmount: 1000,
  currency: 'KRW',
  ...over,
});
const payment = (over: Partial<ObservedPayment> = {}): ObservedPayment => ({
  impUid: 'imp_000000000001',
  merchantUid: 'order-1',
  status: 'paid',
  amount: 1000,
  cancelAmount: 0,
  currency: 'KRW',
  payMethod: 'card',
  vbankNum: null,
  ...over,
});
const found = (over: Partial<ObservedPayment> = {}) => ({ kind: 'found' as const, payment: payment(over) });

describe('statusForPayment', () => {
  it.each([
    [{ status: 'paid' }, 'paid', 'paid'],
    [{ status: 'paid', amount: 10 }, 'mismatch', 'mismatch'],
    [{ status: 'paid', currency: 'USD' }, 'mismatch', 'mismatch'],
    [{ status: 'paid', cancelAmount: 300 }, 'partially_cancelled', 'partially_cancelled'],
    [{ status: 'ready', payMethod: 'vbank', vbankNum: '123-456' }, 'vbank_issued', 'vbank_issued'],
    [{ status: 'ready', payMethod: 'vbank', amount: 1 }, 'mismatch', 'mismatch'],
    [{ status: 'ready', payMethod: 'card' }, 'failed', 'abandoned'],
    [{ status: 'failed' }, 'failed', 'failed'],
    [{ status: 'cancelled', cancelAmount: 1000 }, 'cancelled', 'cancelled'],
    [{ status: 'cancelled', cancelAmount: 400 }, 'partially_cancelled', 'partially_cancelled'],
  ] as const)('%j → %s (%s)', (over, status, outcome) => {
    expect(statusForPayment(payment(over), order())).toMatchObject({ status, outcome });
  });

  it('cannot judge the amount of an order whose expected amount is unknown', () => {
    expect(statusForPayment(payment({ amount: 5 }), order({ expectedAmount: null }))).toMatchObject({
      status: 'paid',
      amountDiffers: false,
    });
  });
});

describe('decide', () => {
  it('a gateway error never changes the status and opens unverified', () => {
    const d = decide({
      order: order({ status: 'paid' }),
      observation: { kind: 'error', errorKind: 'indeterminate', message: 'timeout' },
    });
    expect(d).toMatchObject({ status: 'paid', outcome: 'unverified', settled: false });
    expect(d.open.map((o) => o.reason)).toEqual(['unverified']);
  });

  it('not found opens not_found_at_gateway and clears unverified', () => {
    const d = decide({ order: order(), observation: { kind: 'not_found' } });
    expect(d.open.map((o) => o.reason)).toEqual(['not_found_at_gateway']);
    expect(d.resolve).toContain('unverified');
  });

  it('paid with the expected amount settles and resolves lookup reasons', () => {
    const d = decide({ order: order(), observation: found() });
    expect(d).toMatchObject({ status: 'paid', outcome: 'paid', settled: true, open: [] });
    expect(d.resolve).toEqual(
      expect.arrayContaining(['unverified', 'not_found_at_gateway', 'missing_flag', 'flag_contradicts_gateway']),
    );
  });

  it('a tampered amount becomes mismatch with amount_mismatch open', () => {
    const d = decide({ order: order(), observation: found({ amount: 10 }) });
    expect(d.status).toBe('mismatch');
    expect(d.open).toEqual([{ reason: 'amount_mismatch', detail: 'expected 1000 KRW, gateway has 10 KRW' }]);
  });

  it.each([
    [{ kind: 'imp_success', value: true }, found({ status: 'failed' }), ['flag_contradicts_gateway']],
    [{ kind: 'success', value: false }, found(), ['flag_contradicts_gateway']],
    [{ kind: 'imp_success', value: true }, found(), []],
    [{ kind: 'imp_success', value: false }, found({ status: 'failed' }), []],
    [{ kind: 'none', value: null }, found(), ['missing_flag']],
  ] as const)(
    'redirect flag %j against the gateway opens %j (resolved at once when settled)',
    (flag, observation, reasons) => {
      const d = decide({ order: order(), observation, redirectFlag: flag });
      expect(d.open.map((o) => o.reason)).toEqual(reasons);
      for (const reason of reasons) expect(d.resolve).toContain(reason);
    },
  );

  it('a missing flag stays open while the gateway cannot answer', () => {
    const d = decide({
      order: order(),
      observation: { kind: 'error', errorKind: 'retryable', message: '503' },
      redirectFlag: { kind: 'none', value: null },
    });
    expect(d.open.map((o) => o.reason)).toEqual(['missing_flag', 'unverified']);
    expect(d.resolve).not.toContain('missing_flag');
  });

  it.each([
    ['failed', 'paid', true],
    ['paid', 'cancelled', true],
    ['paid', 'partially_cancelled', true],
    ['vbank_issued', 'paid', false],
    ['pending', 'paid', false],
    ['pending', 'failed', false],
  ] as const)('same attempt %s → %s is a late change: %s', (from, toStatus, late) => {
    const over =
      toStatus === 'cancelled'
        ? { status: 'cancelled' as const, cancelAmount: 1000 }
        : toStatus === 'partially_cancelled'
          ? { status: 'cancelled' as const, cancelAmount: 10 }
          : { status: toStatus === 'failed' ? ('failed' as const) : ('paid' as const) };
    const d = decide({ order: order({ status: from, impUid: 'imp_000000000001' }), observation: found(over) });
    expect(d.status).toBe(toStatus);
    expect(d.open.some((o) => o.reason === 'late_change')).toBe(late);
  });

  it('our own cancel of a paid order is not a late change', () => {
    const d = decide({
      order: order({ status: 'paid', impUid: 'imp_000000000001' }),
      observation: found({ status: 'cancelled', cancelAmount: 1000 }),
      ownAction: true,
    });
    expect(d.status).toBe('cancelled');
    expect(d.open).toEqual([]);
  });

  it('our own cancel of a mismatched payment resolves amount_mismatch', () => {
    const d = decide({
      order: order({ status: 'mismatch', impUid: 'imp_000000000001' }),
      observation: found({ status: 'cancelled', amount: 10, cancelAmount: 10 }),
      ownAction: true,
    });
    expect(d.status).toBe('cancelled');
    expect(d.resolve).toContain('amount_mismatch');
    expect(d.open.map((o) => o.reason)).toEqual(['amount_mismatch']);
  });

  it('a new attempt that pays after a failed one is ordinary', () => {
    const d = decide({
      order: order({ status: 'failed', impUid: 'imp_000000000001' }),
      observation: found({ impUid: 'imp_000000000002' }),
    });
    expect(d.status).toBe('paid');
    expect(d.open).toEqual([]);
  });

  it('an older failed attempt cannot undo a newer paid one', () => {
    const d = decide({
      order: order({ status: 'paid', impUid: 'imp_000000000002' }),
      observation: found({ status: 'failed' }),
    });
    expect(d).toMatchObject({ status: 'paid', outcome: 'stale_attempt', payment: null });
  });

  it('is idempotent: the same answer twice changes nothing the second time', () => {
    const first = decide({ order: order(), observation: found() });
    const second = decide({ order: order({ status: first.status, impUid: 'imp_000000000001' }), observation: found() });
    expect(second.status).toBe(first.status);
    expect(second.open).toEqual([]);
  });
});

describe('decide: a failure the buyer reports but the gateway has not confirmed (decision 0010)', () => {
  it('leaves a pending order pending with unconfirmed_failure when the gateway has nothing', () => {
    const d = decide({
      order: order(),
      observation: { kind: 'not_found' },
      redirectFlag: { kind: 'imp_success', value: false },
      redirectClaimsFailure: true,
    });
    expect(d).toMatchObject({ status: 'pending', outcome: 'not_found', settled: false });
    expect(d.open.map((o) => o.reason)).toEqual(['unconfirmed_failure']);
  });

  it('keeps waiting while the store window is open, even without new evidence', () => {
    const d = decide({
      order: order(),
      observation: { kind: 'not_found' },
      unconfirmedFailure: { silentPastWindow: false },
    });
    expect(d).toMatchObject({ status: 'pending', settled: false });
    expect(d.open.map((o) => o.reason)).toEqual(['unconfirmed_failure']);
  });

  it('settles as failed/abandoned when the gateway stays silent past the window', () => {
    const d = decide({
      order: order(),
      observation: { kind: 'not_found' },
      unconfirmedFailure: { silentPastWindow: true },
    });
    expect(d).toMatchObject({ status: 'failed', outcome: 'abandoned', settled: true, open: [], payment: null });
    expect(d.resolve).toContain('unconfirmed_failure');
  });

  it('a gateway error past the window still settles nothing', () => {
    const d = decide({
      order: order(),
      observation: { kind: 'error', errorKind: 'retryable', message: '503' },
      unconfirmedFailure: { silentPastWindow: true },
    });
    expect(d).toMatchObject({ status: 'pending', outcome: 'unverified', settled: false });
  });

  it('the gateway failed payment settles it and resolves the claim', () => {
    const d = decide({
      order: order(),
      observation: found({ status: 'failed' }),
      unconfirmedFailure: { silentPastWindow: false },
    });
    expect(d).toMatchObject({ status: 'failed', outcome: 'failed', settled: true });
    expect(d.resolve).toContain('unconfirmed_failure');
  });

  it('a later payment overrides an abandoned order without late_change', () => {
    const d = decide({ order: order({ status: 'failed', impUid: null }), observation: found() });
    expect(d.status).toBe('paid');
    expect(d.open).toEqual([]);
  });

  it('never downgrades a settled order on such a claim', () => {
    const d = decide({
      order: order({ status: 'paid', impUid: 'imp_000000000001' }),
      observation: { kind: 'not_found' },
      redirectClaimsFailure: true,
    });
    expect(d.status).toBe('paid');
    expect(d.open.map((o) => o.reason)).toEqual(['not_found_at_gateway']);
  });

  it('keeps chasing when the redirect claims nothing', () => {
    const d = decide({
      order: order(),
      observation: { kind: 'not_found' },
      redirectFlag: { kind: 'none', value: null },
    });
    expect(d.status).toBe('pending');
    expect(d.open.map((o) => o.reason)).toEqual(['missing_flag', 'not_found_at_gateway']);
  });
});

/**
 * The property of decision 0010, over every evidence kind and every gateway answer kind:
 * the status decide() produces is the one the gateway's answer alone produces; evidence can open
 * reasons (and so make us ask sooner) but never moves the status, and without a gateway payment
 * it never produces a settled status.
 */
describe('property: only the gateway settles', () => {
  type Evidence = { label: string; input: Partial<Parameters<typeof decide>[0]> };
  const flags = [
    { kind: 'imp_success', value: true },
    { kind: 'imp_success', value: false },
    { kind: 'imp_success', value: null },
    { kind: 'success', value: true },
    { kind: 'success', value: false },
    { kind: 'success', value: null },
    { kind: 'none', value: null },
  ] as const;
  const evidence: Evidence[] = [{ label: 'no evidence (schedule/button)', input: {} }];
  for (const flag of flags)
    for (const errorCode of [null, 'F400', 'F1001'])
      evidence.push({
        label: `redirect ${flag.kind}=${flag.value} error_code=${errorCode}`,
        input: { redirectFlag: flag, redirectClaimsFailure: flag.value === false || errorCode !== null },
      });
  for (const status of ['paid', 'ready', 'failed', 'cancelled', 'vbank_issued', 'bogus', null])
    evidence.push({ label: `webhook status=${status}`, input: { webhookStatus: status } });

  const answers = [
    ...(['paid', 'ready', 'failed', 'cancelled'] as const).flatMap((status) => [
      { label: `found ${status} card`, observation: found({ status, payMethod: 'card' }) },
      { label: `found ${status} vbank`, observation: found({ status, payMethod: 'vbank', vbankNum: '1' }) },
      { label: `found ${status} tampered`, observation: found({ status, amount: 1 }) },
    ]),
    { label: 'found cancelled partly', observation: found({ status: 'cancelled', cancelAmount: 300 }) },
    { label: 'not_found', observation: { kind: 'not_found' as const } },
    ...['indeterminate', 'retryable', 'rejected'].map((errorKind) => ({
      label: `error ${errorKind}`,
      observation: { kind: 'error' as const, errorKind, message: 'x' },
    })),
  ];
  const orders = [
    order(),
    order({ status: 'failed', impUid: null }),
    ...(['paid', 'vbank_issued', 'failed', 'cancelled', 'mismatch'] as const).map((status) =>
      order({ status, impUid: 'imp_000000000001' }),
    ),
  ];
  const cases = orders.flatMap((o) =>
    answers.flatMap((a) =>
      evidence.map((e) => [o.status, o.impUid, a.label, e.label, o, a.observation, e.input] as const),
    ),
  );

  it('covers every evidence kind against every answer kind', () => {
    expect(evidence.length).toBeGreaterThanOrEqual(29);
    expect(cases.length).toBe(orders.length * answers.length * evidence.length);
  });

  // One test over the whole table (thousands of rows), each failure named by its row.
  it('evidence never moves the status the gateway alone gives, and never settles without a payment', () => {
    for (const [status, impUid, answer, ev, o, observation, input] of cases) {
      const row = `${status} (imp_uid ${impUid}) · gateway ${answer} · ${ev}`;
      const withEvidence = decide({ order: o, observation, ...input });
      const gatewayAlone = decide({ order: o, observation });
      expect(withEvidence.status, row).toBe(gatewayAlone.status);
      expect(withEvidence.settled, row).toBe(gatewayAlone.settled);
      if (observation.kind !== 'found') {
        expect(withEvidence.status, row).toBe(o.status);
        expect(withEvidence.settled, row).toBe(false);
      }
    }
  });

  it('and past the window, only the silence of a gateway that answered settles (as abandoned)', () => {
    for (const a of answers)
      for (const e of evidence) {
        const d = decide({
          order: order(),
          observation: a.observation,
          ...e.input,
          unconfirmedFailure: { silentPastWindow: true },
        });
        const alone = decide({ order: order(), observation: a.observation });
        if (a.observation.kind === 'not_found') expect(d).toMatchObject({ status: 'failed', outcome: 'abandoned' });
        else expect(d.status).toBe(alone.status);
      }
  });
});
