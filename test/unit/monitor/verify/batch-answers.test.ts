import { describe, expect, it } from 'vitest';
import type { GatewayResult, Payment } from '~/iamport/types';
import { batchAnswers } from '~/monitor/verify/gateway.server';

/**
 * The one reading of a batched `GET /payments?imp_uid[]=` answer, shared by the webhook worker
 * and the reconciler (they used to disagree about an id the answer neither lists nor misses).
 */

const meta = { method: 'GET', path: '/payments', httpStatus: 207, latencyMs: 1 } as never;
const paid = (impUid: string) => ({ impUid, merchantUid: `m-${impUid}`, status: 'paid' }) as Payment;
type Batch = GatewayResult<{ payments: Payment[]; missing: string[] }>;

describe('batchAnswers', () => {
  it('listed → found, missing → not found, neither → indeterminate (never a guess, never a second call)', () => {
    const result: Batch = { ok: true, value: { payments: [paid('imp_a')], missing: ['imp_b'] }, meta };
    const answers = batchAnswers(result, ['imp_a', 'imp_b', 'imp_c'], 9);
    expect(answers.get('imp_a')).toEqual({
      observation: { kind: 'found', payment: paid('imp_a') },
      payment: paid('imp_a'),
      checkId: 9,
    });
    expect(answers.get('imp_b')).toEqual({ observation: { kind: 'not_found' }, payment: null, checkId: 9 });
    expect(answers.get('imp_c')).toEqual({
      observation: {
        kind: 'error',
        errorKind: 'indeterminate',
        message: 'the batch answer neither listed nor missed this imp_uid',
      },
      payment: null,
      checkId: 9,
    });
    expect([...answers.keys()]).toEqual(['imp_a', 'imp_b', 'imp_c']);
  });

  it('a listed payment nobody asked about is not an answer for anyone', () => {
    const result: Batch = { ok: true, value: { payments: [paid('imp_x')], missing: [] }, meta };
    expect([...batchAnswers(result, ['imp_a'], 1).values()].map((a) => a.observation.kind)).toEqual(['error']);
  });

  it('a failed call is the same error for every id; a not-found answer is not found for every id', () => {
    const failed: Batch = {
      ok: false,
      error: { kind: 'retryable', message: 'HTTP 503', notFound: false, code: null, httpStatus: 503 },
      meta,
    } as Batch;
    expect([...batchAnswers(failed, ['imp_a', 'imp_b'], 2).values()]).toEqual([
      { observation: { kind: 'error', errorKind: 'retryable', message: 'HTTP 503' }, payment: null, checkId: 2 },
      { observation: { kind: 'error', errorKind: 'retryable', message: 'HTTP 503' }, payment: null, checkId: 2 },
    ]);
    const none: Batch = {
      ok: false,
      error: { kind: 'rejected', message: 'not found', notFound: true, code: 1, httpStatus: 404 },
      meta,
    } as Batch;
    expect([...batchAnswers(none, ['imp_a'], 3).values()]).toEqual([
      { observation: { kind: 'not_found' }, payment: null, checkId: 3 },
    ]);
  });
});
