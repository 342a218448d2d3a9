import { describe, expect, it } from 'vitest';
import { AmountError, currencyExponent, toMajorUnits, toMinorUnits } from '~/iamport/money';
import { toDate, toPayment, toPrepared, tokenExpiry } from '~/iamport/normalize';
import { paymentWire, prepareWire } from '~/iamport/wire';
import { cancelled2022, liveCardPayment, partiallyCancelled, usdPayment, vbankReady } from './fixtures';

describe('amounts: the gateway major unit to integer minor units', () => {
  it.each([
    [1000, 'KRW', 1000],
    [0, 'KRW', 0],
    [1500, 'JPY', 1500],
    [250000, 'VND', 250000],
    [19.99, 'USD', 1999],
    [0.1, 'USD', 10],
    [0.29, 'USD', 29], // 0.29 × 100 is 28.999999999999996 in floating point
    [10, 'EUR', 1000],
    [1.005, 'KWD', 1005],
    [1e21, 'KRW', 'error'], // beyond safe integers
    [1000.5, 'KRW', 'error'],
    [0.5, 'JPY', 'error'],
    [19.999, 'USD', 'error'],
    [1e-7, 'USD', 'error'],
    [1000, 'won', 'error'],
  ])('%s %s → %s', (value, currency, expected) => {
    if (expected === 'error') expect(() => toMinorUnits(value, currency)).toThrow(AmountError);
    else expect(toMinorUnits(value, currency)).toBe(expected);
  });

  it.each([
    [1000, 'KRW', 1000],
    [1999, 'USD', 19.99],
    [10, 'USD', 0.1],
    [29, 'USD', 0.29],
    [1005, 'KWD', 1.005],
  ])('%s minor %s → %s major, and back', (minor, currency, major) => {
    expect(toMajorUnits(minor, currency)).toBe(major);
    expect(JSON.stringify(toMajorUnits(minor, currency))).toBe(String(major));
    expect(toMinorUnits(toMajorUnits(minor, currency), currency)).toBe(minor);
  });

  it('refuses to send a fractional minor amount', () => {
    expect(() => toMajorUnits(10.5, 'USD')).toThrow(AmountError);
  });

  it.each([
    ['KRW', 0],
    ['JPY', 0],
    ['VND', 0],
    ['USD', 2],
    ['EUR', 2],
    ['KWD', 3],
  ])('%s has %i decimals', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });
});

describe('dates', () => {
  it.each([
    [0, null],
    [null, null],
    [undefined, null],
    [1512446940, new Date('2017-12-05T04:09:00.000Z')],
  ])('%s → %s', (seconds, expected) => {
    expect(toDate(seconds)).toEqual(expected);
  });
});

describe('toPayment', () => {
  it('normalises the live card payment: camelCase, minor units, 0 dates and vbank nulls → null', () => {
    const payment = toPayment(paymentWire.parse(liveCardPayment));
    expect(payment).toMatchObject({
      impUid: 'imp_448280090638',
      merchantUid: 'merchant_1512446906',
      status: 'paid',
      amount: 1000,
      cancelAmount: 0,
      currency: 'KRW',
      payMethod: 'card',
      pgProvider: 'html5_inicis',
      embPgProvider: null,
      channel: 'pc',
      customData: '{"order":"A-1"}',
      startedAt: new Date(1512446907 * 1000),
      paidAt: new Date(1512446940 * 1000),
      failedAt: null,
      cancelledAt: null,
      vbankCode: null,
      vbankNum: null,
      vbankDate: null,
      vbankIssuedAt: null,
      cancelHistory: [],
      sandbox: false,
    });
  });

  it('keeps the vbank details and its deadline', () => {
    expect(toPayment(paymentWire.parse(vbankReady))).toMatchObject({
      status: 'ready',
      paidAt: null,
      vbankName: 'KB국민은행',
      vbankNum: '123-456-7890',
      vbankDate: new Date(1512533340 * 1000),
      vbankIssuedAt: new Date(1512446940 * 1000),
    });
  });

  it('maps the cancel history, with null for a missing cancellation_id', () => {
    expect(toPayment(paymentWire.parse(partiallyCancelled)).cancelHistory).toEqual([
      {
        pgTid: 'StdpayCARDINIpayTest-cancel-1',
        amount: 3000,
        cancelledAt: new Date(1512450000 * 1000),
        reason: '부분 환불',
        cancellationId: 'cancel_1',
        receiptUrl: 'https://example.com/cancel-receipt/1',
      },
    ]);
    expect(toPayment(paymentWire.parse(cancelled2022)).cancelHistory[0]).toMatchObject({
      cancellationId: null,
      receiptUrl: null,
    });
  });

  it('converts every amount of a USD payment to cents', () => {
    const payment = toPayment(paymentWire.parse(usdPayment));
    expect([payment.amount, payment.cancelAmount, payment.cancelHistory[0]?.amount]).toEqual([1999, 10, 10]);
  });

  it('fills the fields an answer left out with their empty values', () => {
    const payment = toPayment(
      paymentWire.parse({
        imp_uid: 'imp_1',
        merchant_uid: 'm',
        amount: 1,
        cancel_amount: 0,
        currency: 'KRW',
        status: 'failed',
      }),
    );
    expect(payment).toMatchObject({
      sandbox: false,
      escrow: false,
      cardQuota: 0,
      payMethod: null,
      startedAt: null,
      cancelHistory: [],
    });
  });

  it.each([
    ['fractional KRW', { ...liveCardPayment, amount: 1000.5 }],
    ['fractional KRW cancel amount', { ...liveCardPayment, cancel_amount: 0.5 }],
    ['sub-cent USD', { ...usdPayment, amount: 19.995 }],
    [
      'a fractional cancel history amount',
      { ...partiallyCancelled, cancel_history: [{ ...partiallyCancelled.cancel_history[0], amount: 2999.9 }] },
    ],
    ['a currency that is not ISO 4217', { ...liveCardPayment, currency: 'won' }],
  ])('refuses %s instead of rounding', (_name, sample) => {
    expect(() => toPayment(paymentWire.parse(sample))).toThrow(AmountError);
  });
});

describe('toPrepared', () => {
  it.each([
    [
      { merchant_uid: 'o1', amount: 42000, currency: 'KRW' },
      { merchantUid: 'o1', amount: 42000, currency: 'KRW' },
    ],
    [
      { merchant_uid: 'o2', amount: 12.5, currency: 'USD' },
      { merchantUid: 'o2', amount: 1250, currency: 'USD' },
    ],
    [
      { merchant_uid: 'o3', amount: 5000, currency: null },
      { merchantUid: 'o3', amount: 5000, currency: null },
    ],
    [
      { merchant_uid: 'o4', amount: 5000 },
      { merchantUid: 'o4', amount: 5000, currency: null },
    ],
  ])('%j → %j', (wire, expected) => {
    expect(toPrepared(prepareWire.parse(wire))).toEqual(expected);
  });
});

describe('tokenExpiry', () => {
  it.each([
    ['local clock in step with the server', '2017-12-05T04:09:00.000Z', '2017-12-05T04:39:00.000Z'],
    ['local clock an hour fast', '2017-12-05T05:09:00.000Z', '2017-12-05T05:39:00.000Z'],
    ['local clock ten minutes slow', '2017-12-05T03:59:00.000Z', '2017-12-05T04:29:00.000Z'],
  ])('uses expired_at − now from the server: %s', (_name, receivedAt, expected) => {
    const wire = { access_token: 't', now: 1512446940, expired_at: 1512448740 };
    expect(tokenExpiry(wire, new Date(receivedAt)).toISOString()).toBe(expected);
  });
});
