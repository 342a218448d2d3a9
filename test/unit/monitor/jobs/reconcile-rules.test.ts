import { describe, expect, it } from 'vitest';
import { decide, type ObservedPayment } from '~/monitor/verify/decide';
import { crossedWindow, isVbankOverdue } from '~/monitor/verify/timed-reasons.server';
import { nextCronRun } from '~/monitor/dashboard/runs.server';
import { parseJobArgs, table } from '../../../../jobs/reconcile-cli';

const payment = (over: Partial<ObservedPayment> = {}): ObservedPayment => ({
  impUid: 'imp_100000000001',
  merchantUid: 'order-1',
  status: 'paid',
  amount: 1000,
  cancelAmount: 0,
  currency: 'KRW',
  payMethod: 'card',
  vbankNum: null,
  ...over,
});

describe('reasons the job opens are resolved by a settled answer (decide)', () => {
  const order = { status: 'pending' as const, impUid: null, expectedAmount: 1000, currency: 'KRW' };

  it('a found payment resolves stale_pending; not found keeps it', () => {
    expect(decide({ order, observation: { kind: 'found', payment: payment() } }).resolve).toContain('stale_pending');
    expect(decide({ order, observation: { kind: 'not_found' } }).resolve).not.toContain('stale_pending');
    expect(
      decide({ order, observation: { kind: 'error', errorKind: 'retryable', message: 'x' } }).resolve,
    ).not.toContain('stale_pending');
  });

  it.each([
    ['paid', { status: 'paid' }, true],
    ['still ready', { status: 'ready', payMethod: 'vbank', vbankNum: '123' }, false],
    ['cancelled', { status: 'cancelled', cancelAmount: 1000 }, true],
  ] as const)('a vbank that is now %s: vbank_overdue resolved %s', (_label, over, resolved) => {
    const d = decide({
      order: { ...order, status: 'vbank_issued', impUid: 'imp_100000000001' },
      observation: { kind: 'found', payment: payment(over) },
    });
    expect(d.resolve.includes('vbank_overdue')).toBe(resolved);
  });
});

describe('isVbankOverdue', () => {
  const now = new Date('2026-11-24T12:00:00.000Z');
  it.each([
    ['vbank_issued', '2026-11-24T11:59:59.000Z', true],
    ['vbank_issued', '2026-11-24T12:00:00.000Z', true],
    ['vbank_issued', '2026-11-24T12:00:01.000Z', false],
    ['vbank_issued', null, false],
    ['paid', '2026-11-20T00:00:00.000Z', false],
  ])('%s due %s → %s', (status, due, overdue) => {
    expect(isVbankOverdue({ status, vbank_due_at: due }, now)).toBe(overdue);
  });
});

describe('crossedWindow', () => {
  it('is what crossed the lag line since the previous run, with the overlap', () => {
    expect(
      crossedWindow({
        previousEnd: new Date('2026-11-24T11:59:00.000Z'),
        now: new Date('2026-11-24T12:00:00.000Z'),
        lagSeconds: 600,
        overlapMs: 60_000,
      }),
    ).toEqual({ from: '2026-11-24T11:48:00.000Z', to: '2026-11-24T11:50:00.000Z' });
  });
});

describe('nextCronRun', () => {
  const at = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s);
  it.each([
    ['* * * * *', at(2026, 11, 24, 9, 0, 30), at(2026, 11, 24, 9, 1)],
    ['* * * * *', at(2026, 11, 24, 9, 1, 0), at(2026, 11, 24, 9, 2)],
    ['0 * * * *', at(2026, 11, 24, 9, 0, 0), at(2026, 11, 24, 10, 0)],
    ['*/15 * * * *', at(2026, 11, 24, 23, 50), at(2026, 11, 25, 0, 0)],
    ['30 4 * * 1', at(2026, 11, 24, 9, 0), at(2026, 11, 30, 4, 30)],
    ['*/10 * * * * *', at(2026, 11, 24, 9, 0, 5), at(2026, 11, 24, 9, 0, 10)],
  ])('%s after %s is %s', (expression, after, expected) => {
    expect(nextCronRun(expression, after)).toEqual(expected);
  });

  it('is null for an invalid expression', () => {
    expect(nextCronRun('nope', new Date())).toBeNull();
  });
});

describe('CLI arguments', () => {
  it('parses reconcile and sweep options', () => {
    expect(parseJobArgs('reconcile', ['--store', 'demo', '--dry-run', '--all'])).toEqual({
      kind: 'reconcile',
      store: 'demo',
      dryRun: true,
      all: true,
    });
    expect(parseJobArgs('sweep', ['--from', '2026-11-01', '--to', '2026-11-02T00:00:00Z'])).toEqual({
      kind: 'sweep',
      store: undefined,
      dryRun: false,
      from: new Date('2026-11-01T00:00:00.000Z'),
      to: new Date('2026-11-02T00:00:00.000Z'),
    });
  });

  it.each([
    ['reconcile', ['--bogus']],
    ['reconcile', ['--from', '2026-11-01']],
    ['sweep', ['--from', 'yesterday']],
    ['sweep', ['--all']],
  ] as const)('%s %j is a usage error', (kind, args) => {
    expect(() => parseJobArgs(kind, [...args])).toThrow();
  });

  it('pads a table to its widest cells', () => {
    expect(
      table([
        ['a', 'bbb', 'c'],
        ['dddd', 'e', 'f'],
      ]),
    ).toEqual(['a     bbb  c', 'dddd  e    f']);
  });
});
