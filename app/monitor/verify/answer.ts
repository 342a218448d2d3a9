/**
 * The gateway's answer about an order, reduced to what a person judges a reason on, so that "the
 * gateway still says the same thing" is a string comparison (decision 0154). A person's resolution
 * keeps the fingerprint of the answer it was made against; the ledger opens the reason again only
 * when a later answer's fingerprint differs, and then says what changed. Pure.
 */

/** The parts of an answer that matter to a person's judgement; nothing the gateway varies per call. */
export type AnswerFacts =
  | {
      kind: 'found';
      impUid: string;
      status: string;
      amount: number;
      cancelAmount: number;
      currency: string;
    }
  | { kind: 'not_found' }
  | { kind: 'error'; errorKind: string }
  /** No answer recorded yet (an order never checked, or checked before migration 0070). */
  | { kind: 'none' };

export const NO_ANSWER = fingerprint({ kind: 'none' });

/** A fixed-order JSON string: equal facts give equal strings on both engines. */
export function fingerprint(facts: AnswerFacts): string {
  switch (facts.kind) {
    case 'found':
      return JSON.stringify({
        kind: 'found',
        imp_uid: facts.impUid,
        status: facts.status,
        amount: facts.amount,
        cancel_amount: facts.cancelAmount,
        currency: facts.currency,
      });
    case 'error':
      return JSON.stringify({ kind: 'error', error: facts.errorKind });
    default:
      return JSON.stringify({ kind: facts.kind });
  }
}

function parse(value: string | null): Record<string, unknown> {
  if (value === null) return { kind: 'none' };
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { kind: 'none' };
  } catch {
    return { kind: 'none' };
  }
}

const KIND_WORDS: Record<string, string> = {
  found: 'a payment',
  not_found: 'no payment',
  error: 'no answer (error)',
  none: 'no recorded answer',
};

const FIELD_WORDS: [key: string, word: string][] = [
  ['imp_uid', 'imp_uid'],
  ['status', 'status'],
  ['amount', 'amount'],
  ['cancel_amount', 'refunded'],
  ['currency', 'currency'],
  ['error', 'error'],
];

/** What differs between the answer a person resolved against and the new one, in a few words. */
export function describeAnswerChange(before: string | null, after: string | null): string {
  const a = parse(before);
  const b = parse(after);
  if (a.kind !== b.kind) return `${KIND_WORDS[String(a.kind)] ?? a.kind} → ${KIND_WORDS[String(b.kind)] ?? b.kind}`;
  const changes = FIELD_WORDS.filter(([key]) => a[key] !== b[key]).map(
    ([key, word]) => `${word} ${String(a[key] ?? '—')} → ${String(b[key] ?? '—')}`,
  );
  return changes.length > 0 ? changes.join(', ') : 'the answer changed';
}

/** The sentence appended to a reason that a changed answer opened again. */
export function reopenedNote(resolvedBy: string, before: string | null, after: string | null): string {
  return `reopened: the gateway's answer changed since ${resolvedBy} resolved it (${describeAnswerChange(before, after)})`;
}
