import type { Db } from '../../../db/connection';
import type { AttentionReason, OrderStatus, Trigger } from '../status';

/**
 * What the order ledger tells the rest of the product after it changes an order: one event per
 * reason opened, reason resolved and status change. Listeners run inside the ledger's transaction
 * (so an outbox row written by a listener commits or rolls back with the change itself); they must
 * only write, never call out.
 */
type OrderRef = {
  orderId: number;
  storeId: number;
  merchantUid: string;
  /** What the order's status is once the change is applied. */
  status: OrderStatus;
  expectedAmount: number | null;
  /** What the gateway says was paid, or null when it has said nothing about a payment. */
  paidAmount: number | null;
  currency: string;
  trigger: Trigger | 'time' | 'person';
  /** ISO-8601 UTC. */
  at: string;
};

export type LedgerEvent =
  | (OrderRef & { type: 'reason_opened'; reason: AttentionReason; detail: string })
  | (OrderRef & { type: 'reason_resolved'; reason: AttentionReason; by: string })
  | (OrderRef & { type: 'status_changed'; from: OrderStatus; to: OrderStatus });

export type LedgerListener = (trx: Db, events: readonly LedgerEvent[]) => Promise<void>;
