import { describe, expect, it } from 'vitest';
import { classifyAnswer, classifyTransportError, kindForStatus } from '~/iamport/classify';
import {
  isAwaitingDeposit,
  isFullyCancelled,
  isPartiallyCancelled,
  isPaymentStatus,
  isSettledStatus,
  refundableBalance,
} from '~/iamport/payment';
import { connectionRefused, socketClosed } from './fake-fetch';

const body = (code: number, message: string | null = null, response: unknown = null) =>
  JSON.stringify({ code, message, response });

describe('classifyAnswer: success only for a 2xx with code 0', () => {
  it.each([
    [200, body(0, null, {}), 'ok', false],
    [207, body(0, null, []), 'ok', false],
    [200, body(1, '취소할 결제건이 존재하지 않습니다.'), 'rejected', false],
    [207, body(-1, 'x'), 'rejected', false],
    [400, body(-1, '지원되지 않는 상태값입니다.'), 'rejected', false],
    [401, body(-1, 'Unauthorized'), 'rejected', false],
    [404, body(-1, '존재하지 않는 결제정보입니다.'), 'rejected', true],
    [404, body(0, null, null), 'rejected', false],
    [404, 'Not Found', 'rejected', false],
    [429, body(-1, 'slow down'), 'retryable', false],
    [500, body(0, null, {}), 'retryable', false],
    [503, '', 'retryable', false],
    [200, '', 'indeterminate', false],
    [200, '{"code":"0"}', 'indeterminate', false],
    [200, '[1,2]', 'indeterminate', false],
  ])('HTTP %i %s → %s (notFound %s)', (status, text, kind, notFound) => {
    const answer = classifyAnswer(status, text);
    if (kind === 'ok') {
      expect(answer.ok).toBe(true);
      return;
    }
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ kind, httpStatus: status, notFound });
  });

  it('carries the gateway message and code', () => {
    const answer = classifyAnswer(404, body(-1, '존재하지 않는 결제정보입니다.'));
    expect(!answer.ok && answer.error).toEqual({
      kind: 'rejected',
      httpStatus: 404,
      code: -1,
      message: '존재하지 않는 결제정보입니다.',
      notFound: true,
    });
  });

  it.each([
    [200, 'indeterminate'],
    [204, 'indeterminate'],
    [301, 'rejected'],
    [403, 'rejected'],
    [408, 'rejected'],
    [429, 'retryable'],
    [500, 'retryable'],
    [504, 'retryable'],
  ])('an unreadable HTTP %i is %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });
});

describe('classifyTransportError', () => {
  const aggregate = () => {
    const members = [Object.assign(new Error('connect ECONNREFUSED ::1:9'), { code: 'ECONNREFUSED' })];
    return new TypeError('fetch failed', {
      cause: Object.assign(new AggregateError(members, ''), { code: 'ECONNREFUSED' }),
    });
  };
  const dns = () =>
    new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.example.test'), { code: 'ENOTFOUND' }),
    });
  it.each([
    ['our timeout fired', new DOMException('aborted', 'AbortError'), true, 'indeterminate'],
    ['connection refused', connectionRefused(), false, 'retryable'],
    ['connection refused (happy eyeballs aggregate)', aggregate(), false, 'retryable'],
    ['DNS failure', dns(), false, 'retryable'],
    ['a port fetch blocks (9)', new TypeError('fetch failed', { cause: new Error('bad port') }), false, 'retryable'],
    ['socket closed after sending', socketClosed(), false, 'indeterminate'],
    ['something else', 'weird', false, 'indeterminate'],
  ])('%s → %s', (_name, error, timedOut, kind) => {
    expect(classifyTransportError(error, { timedOut, timeoutMs: 100 })).toMatchObject({
      kind,
      httpStatus: null,
      code: null,
      notFound: false,
    });
  });
});

describe('payment helpers', () => {
  it.each([
    ['ready', false],
    ['paid', true],
    ['failed', true],
    ['cancelled', true],
  ] as const)('isSettledStatus(%s) = %s', (status, settled) => {
    expect(isSettledStatus(status)).toBe(settled);
  });

  it.each([
    ['paid', true],
    ['refunded', false],
    ['', false],
    [null, false],
  ])('isPaymentStatus(%j) = %s', (value, expected) => {
    expect(isPaymentStatus(value)).toBe(expected);
  });

  it.each([
    [{ amount: 10000, cancelAmount: 0 }, 10000, false, false],
    [{ amount: 10000, cancelAmount: 3000 }, 7000, false, true],
    [{ amount: 10000, cancelAmount: 10000 }, 0, true, false],
    [{ amount: 0, cancelAmount: 0 }, 0, false, false],
    [{ amount: 1000, cancelAmount: 1200 }, 0, true, false],
  ])('%j: refundable %i, full %s, partial %s', (payment, balance, full, partial) => {
    expect(refundableBalance(payment)).toBe(balance);
    expect(isFullyCancelled(payment)).toBe(full);
    expect(isPartiallyCancelled(payment)).toBe(partial);
  });

  it('a vbank awaits its deposit only while ready', () => {
    expect(isAwaitingDeposit({ status: 'ready', payMethod: 'vbank' })).toBe(true);
    expect(isAwaitingDeposit({ status: 'paid', payMethod: 'vbank' })).toBe(false);
    expect(isAwaitingDeposit({ status: 'ready', payMethod: 'card' })).toBe(false);
  });
});
