import { describe, expect, it } from 'vitest';
import {
  authWire,
  envelopeWire,
  failureEnvelopeWire,
  pagedPaymentsWire,
  paymentListWire,
  paymentWire,
  paymentWireComplete,
  prepareWire,
  successEnvelopeWire,
} from '~/iamport/wire';
import {
  apiPayment,
  cancelled2022,
  cancelRefused200,
  liveCardPayment,
  multi207Sample,
  notFound404,
  pagedSample,
  partiallyCancelled,
  prepareSample,
  tokenSample,
  usdPayment,
  vbankReady,
} from './fixtures';

describe('wire schemas accept the documented samples', () => {
  it.each([
    ['token sample (§1.1)', successEnvelopeWire(authWire), tokenSample],
    ['paged list (§3.6)', successEnvelopeWire(pagedPaymentsWire), pagedSample],
    ['207 multi (§3.2)', successEnvelopeWire(paymentListWire), multi207Sample],
    ['prepare (§3.7)', successEnvelopeWire(prepareWire), prepareSample],
    ['404 not found (§2)', failureEnvelopeWire, notFound404],
    ['200 cancel refused (§2)', failureEnvelopeWire, cancelRefused200],
  ])('%s', (_name, schema, sample) => {
    const parsed = schema.safeParse(sample);
    expect(parsed.error?.issues).toBeUndefined();
  });

  it.each([
    ['live card payment, vbank_* null and 0 dates', liveCardPayment],
    ['API payment, card_type null', apiPayment],
    ['vbank ready', vbankReady],
    ['partial cancel', partiallyCancelled],
    ['USD payment', usdPayment],
  ])('payment: %s (complete form)', (_name, sample) => {
    expect(paymentWireComplete.safeParse(sample).error?.issues).toBeUndefined();
    expect(paymentWire.safeParse(sample).success).toBe(true);
  });

  it('accepts a 2022 cancel history without cancellation_id, and a payment without `sandbox`', () => {
    const { sandbox: _omitted, ...older } = cancelled2022;
    expect(paymentWire.safeParse(older).success).toBe(true);
    // …but the sandbox is held to the current, complete form.
    expect(paymentWireComplete.safeParse(cancelled2022).success).toBe(false);
  });

  it('accepts a payment with only the fields the spec requires', () => {
    const minimal = {
      imp_uid: 'imp_1',
      merchant_uid: 'm',
      amount: 1,
      cancel_amount: 0,
      currency: 'KRW',
      status: 'paid',
      sandbox: false,
    };
    expect(paymentWire.safeParse(minimal).success).toBe(true);
    expect(paymentWireComplete.safeParse(minimal).success).toBe(false);
  });

  it('ignores keys it does not know', () => {
    const parsed = paymentWire.parse({ ...liveCardPayment, extension: { REMITTER: '홍길동' } });
    expect(parsed).not.toHaveProperty('extension');
  });
});

describe('wire schemas refuse what the gateway does not send', () => {
  it.each([
    ['a string code (fixed in 2016)', envelopeWire, { code: '0', message: null, response: null }],
    ['no code', envelopeWire, { message: 'x', response: null }],
    ['an unknown status', paymentWire, { ...liveCardPayment, status: 'refunded' }],
    ['a millisecond timestamp that is fractional', paymentWire, { ...liveCardPayment, paid_at: 1512446940.123 }],
    ['a negative amount', paymentWire, { ...liveCardPayment, amount: -1 }],
    ['an amount as a string', paymentWire, { ...liveCardPayment, amount: '1000' }],
    ['no imp_uid', paymentWire, { ...liveCardPayment, imp_uid: undefined }],
    ['a token without expired_at', authWire, { access_token: 'x', now: 1 }],
    ['a paged list without next', pagedPaymentsWire, { total: 0, previous: 0, list: [] }],
    ['a success envelope with a non-zero code', successEnvelopeWire(prepareWire), { ...prepareSample, code: 1 }],
    ['a failure envelope with code 0', failureEnvelopeWire, { code: 0, message: 'x', response: null }],
  ])('%s', (_name, schema, sample) => {
    expect(schema.safeParse(sample).success).toBe(false);
  });

  it('requires every key, 0 for times and [] for arrays in the complete form', () => {
    expect(paymentWireComplete.safeParse({ ...liveCardPayment, vbank_date: null }).success).toBe(false);
    expect(paymentWireComplete.safeParse({ ...liveCardPayment, cancel_history: null }).success).toBe(false);
    const { vbank_num: _omitted, ...withoutKey } = liveCardPayment;
    expect(paymentWireComplete.safeParse(withoutKey).success).toBe(false);
  });
});
