import { describe, expect, it } from 'vitest';
import {
  cooldownMs,
  createBreaker,
  createLimiter,
  httpCallsOf,
  isFailure,
  isTransient,
  withRetry,
  type CallOutcome,
} from '~/monitor/jobs/gateway-manners';
import { forEachLimited } from '~/monitor/concurrency';

const ok: CallOutcome = { ok: true };
const fail = (kind: string, notFound = false): CallOutcome => ({
  ok: false,
  error: { kind, message: `${kind} failure`, notFound, httpStatus: notFound ? 404 : 503 },
});

describe('failure classification', () => {
  it.each([
    [ok, false, false],
    [fail('retryable'), true, true],
    [fail('indeterminate'), true, true],
    [fail('rejected'), true, false],
    [fail('rejected', true), false, false],
  ])('%j: failure %s, transient %s', (result, failure, transient) => {
    expect(isFailure(result)).toBe(failure);
    expect(isTransient(result)).toBe(transient);
  });

  it('counts data exchanges and token requests, a shared token request once', () => {
    const token = { method: 'POST', path: '/users/getToken' };
    const get = { method: 'GET', path: '/payments?imp_uid[]=imp_1' };
    expect(httpCallsOf({ ok: true, meta: get })).toBe(1);
    expect(httpCallsOf({ ok: true, meta: { ...get, tokenCalls: [token] } })).toBe(2);
    expect(httpCallsOf({ ok: true, meta: { ...get, calls: [{}, {}, {}], tokenCalls: [token] } })).toBe(4);
    // The token request failed: it was the only exchange.
    expect(httpCallsOf({ ok: false, meta: { ...token, tokenCalls: [token] } })).toBe(1);
    const seen = new WeakSet<object>();
    expect(httpCallsOf({ ok: true, meta: { ...get, tokenCalls: [token] } }, seen)).toBe(2);
    expect(httpCallsOf({ ok: true, meta: { ...get, tokenCalls: [token] } }, seen)).toBe(1);
  });
});

describe('withRetry', () => {
  const run = async (answers: CallOutcome[], delays = [10, 20]) => {
    const slept: number[] = [];
    const seen: number[] = [];
    let i = 0;
    const { result, attempts } = await withRetry(async () => answers[Math.min(i++, answers.length - 1)]!, {
      retryDelaysMs: delays,
      sleep: async (ms) => {
        slept.push(ms);
      },
      onAttempt: (_r, n) => {
        seen.push(n);
      },
    });
    return { result, attempts, slept, seen };
  };

  it('retries a transient failure until an answer, waiting the given delays', async () => {
    expect(await run([fail('retryable'), fail('indeterminate'), ok])).toEqual({
      result: ok,
      attempts: 3,
      slept: [10, 20],
      seen: [1, 2, 3],
    });
  });

  it('gives up after the last delay', async () => {
    const r = await run([fail('retryable')]);
    expect(r.attempts).toBe(3);
    expect(r.result.ok).toBe(false);
  });

  it('never retries a rejection or a not-found answer', async () => {
    expect((await run([fail('rejected'), ok])).attempts).toBe(1);
    expect((await run([fail('rejected', true), ok])).attempts).toBe(1);
  });
});

describe('circuit breaker', () => {
  it('opens after N failures in a row and stays open', () => {
    const b = createBreaker(3);
    b.record(fail('retryable'));
    b.record(fail('retryable'));
    expect(b.isOpen).toBe(false);
    b.record(fail('rejected'));
    expect(b.isOpen).toBe(true);
    expect(b.lastError).toBe('rejected (HTTP 503): rejected failure');
    b.record(ok);
    expect(b.isOpen).toBe(true);
  });

  it('a success or a not-found answer breaks the run of failures', () => {
    const b = createBreaker(2);
    b.record(fail('retryable'));
    b.record(ok);
    b.record(fail('retryable'));
    b.record(fail('rejected', true));
    b.record(fail('retryable'));
    expect(b.isOpen).toBe(false);
    expect(b.failures).toBe(3);
  });

  it.each([
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [10, 1_800_000],
  ])('cooldown after opening %i times in a row is %i ms', (level, ms) => {
    expect(cooldownMs(level, { cooldownBaseMs: 60_000, cooldownMaxMs: 1_800_000 })).toBe(ms);
  });
});

describe('bounded concurrency', () => {
  it('a limiter never runs more than its limit at once', async () => {
    const limit = createLimiter(2);
    let active = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, () =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => release.push(r));
        active--;
      }),
    );
    while (release.length || active) {
      await Promise.resolve();
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(tasks);
    expect(peak).toBe(2);
  });

  it('forEachLimited visits every item once with at most `limit` workers', async () => {
    const seen: number[] = [];
    let active = 0;
    let peak = 0;
    await forEachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setImmediate(r));
      seen.push(n);
      active--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('forEachLimited stops handing out work after a throw, lets the rest finish, then rethrows', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachLimited([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setImmediate(r));
      if (n === 1) throw new Error('boom');
      await new Promise((r) => setImmediate(r));
      finished.push(n);
    });
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });
});
