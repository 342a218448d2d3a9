import { toPayment } from './normalize';
import type { Payment } from './types';
import { paymentWire } from './wire';

const MAX_WALK = 2000;

/**
 * The payments inside a gateway answer as we stored it (`gateway_check.raw_json`): one envelope
 * (`{code, message, response: {...}}`), a list (`response: [...]` or `response.list`), or the
 * envelopes of several calls. Pure and total: unreadable parts are skipped, never thrown.
 * This is how pages show what the gateway said (a virtual account's bank, number, holder and
 * deadline; the buyer's contact) without trusting anything the browser sent.
 */
export function paymentsInStoredAnswer(rawJson: string | null): Payment[] {
  if (!rawJson) return [];
  let root: unknown;
  try {
    root = JSON.parse(rawJson);
  } catch {
    return [];
  }
  const found: Payment[] = [];
  const queue: unknown[] = [root];
  for (let seen = 0; queue.length && seen < MAX_WALK; seen++) {
    const value = queue.shift();
    if (Array.isArray(value)) {
      queue.push(...value);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const record = value as Record<string, unknown>;
    if (typeof record.imp_uid === 'string' && typeof record.merchant_uid === 'string') {
      const parsed = paymentWire.safeParse(record);
      if (parsed.success) {
        try {
          found.push(toPayment(parsed.data));
        } catch {
          // an amount that cannot be represented exactly: not shown
        }
      }
      continue;
    }
    for (const key of ['response', 'list']) if (key in record) queue.push(record[key]);
  }
  return found;
}
