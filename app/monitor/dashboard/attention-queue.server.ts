import { z } from 'zod';
import { countOpenReasonsByKind, listOpenReasons, type AttentionRow } from '../../../db/attention-queue';
import { AppError } from '../../errors';
import { ATTENTION_REASONS, type AttentionReason, type OrderStatus } from '../status';
import { listAllStores, type Store } from '../stores/stores.server';
import { badParam, optional, storeBySlug, storeRef, storeRefs, type ReadDeps, type StoreRef } from './shared.server';

/** The attention queue (`/attention`): ambiguous orders grouped by open reason, oldest first. */

export const ATTENTION_GROUP_SIZE = 25;

export type AttentionItem = {
  reasonId: number;
  reason: AttentionReason;
  since: string;
  detail: string | null;
  orderId: number;
  store: StoreRef;
  merchantUid: string;
  impUid: string | null;
  status: OrderStatus;
  expectedAmount: number | null;
  paidAmount: number | null;
  currency: string;
  nextCheckAt: string | null;
  lastCheckedAt: string | null;
  attempts: number;
  openReasonCount: number;
};

export type AttentionGroup = {
  reason: AttentionReason;
  count: number;
  oldest: string;
  items: AttentionItem[];
  /** Cursor of this group's next rows (shown when one reason is selected), else null. */
  next: string | null;
};

export type AttentionQueue = {
  groups: AttentionGroup[];
  /** Every reason with open orders (for the reason tabs), whichever is selected. */
  summary: { reason: AttentionReason; count: number }[];
  total: number;
  params: { reason: string; store: string; after: boolean };
  stores: StoreRef[];
};

const attentionParams = z.object({
  reason: optional(z.enum(ATTENTION_REASONS, `must be one of ${ATTENTION_REASONS.join(', ')}`)),
  store: optional(z.string().trim().max(40, 'must be at most 40 characters')),
  after: optional(z.string().max(200)),
});
const attentionCursor = z.object({ o: z.string().max(64), i: z.number().int().positive() });

function toAttentionItem(row: AttentionRow, stores: Map<number, Store>): AttentionItem {
  return {
    reasonId: row.reason_id,
    reason: row.reason,
    since: row.opened_at,
    detail: row.detail,
    orderId: row.order_id,
    store: storeRef(stores, row.store_id),
    merchantUid: row.merchant_uid,
    impUid: row.imp_uid,
    status: row.status,
    expectedAmount: row.expected_amount,
    paidAmount: row.paid_amount,
    currency: row.currency,
    nextCheckAt: row.next_check_at,
    lastCheckedAt: row.last_checked_at,
    attempts: row.check_attempts,
    openReasonCount: row.open_reason_count,
  };
}

/**
 * Ambiguous orders grouped by open reason, oldest first (the reasons in the order of
 * ATTENTION_REASONS). Each group shows its first ATTENTION_GROUP_SIZE rows; with `reason` set,
 * only that group, paged by `after`.
 */
export async function attentionQueue(deps: ReadDeps, params: URLSearchParams): Promise<AttentionQueue> {
  const parsed = attentionParams.safeParse({
    reason: params.get('reason') ?? undefined,
    store: params.get('store') ?? undefined,
    after: params.get('after') ?? undefined,
  });
  if (!parsed.success) throw badParam(parsed.error);
  const p = parsed.data;
  const stores = await listAllStores(deps);
  const storeMap = new Map(stores.map((s) => [s.id, s]));
  const storeId = p.store ? storeBySlug(stores, p.store).id : undefined;
  let after: { openedAt: string; id: number } | undefined;
  if (p.after) {
    if (!p.reason) throw new AppError('bad_request', 'after needs reason', { param: 'after' });
    let value: unknown = null;
    try {
      value = JSON.parse(Buffer.from(p.after, 'base64url').toString('utf8'));
    } catch {
      value = null;
    }
    const c = attentionCursor.safeParse(value);
    if (!c.success)
      throw new AppError('bad_request', 'after is not valid: go back to the first page', { param: 'after' });
    after = { openedAt: c.data.o, id: c.data.i };
  }
  const counts = await countOpenReasonsByKind(deps.db, storeId);
  const order = new Map<string, number>(ATTENTION_REASONS.map((r, i) => [r, i]));
  const known = counts.filter((c) => order.has(c.reason)).sort((a, b) => order.get(a.reason)! - order.get(b.reason)!);
  const selected = known.filter((c) => !p.reason || c.reason === p.reason);
  const groups = await Promise.all(
    selected.map(async (c): Promise<AttentionGroup> => {
      const rows = await listOpenReasons(deps.db, {
        reason: c.reason,
        storeId,
        after: p.reason ? after : undefined,
        limit: ATTENTION_GROUP_SIZE,
      });
      const page = rows.slice(0, ATTENTION_GROUP_SIZE);
      const last = page[page.length - 1];
      const next =
        p.reason && rows.length > ATTENTION_GROUP_SIZE && last
          ? Buffer.from(JSON.stringify({ o: last.opened_at, i: last.reason_id })).toString('base64url')
          : null;
      return {
        reason: c.reason,
        count: c.count,
        oldest: c.oldest,
        items: page.map((r) => toAttentionItem(r, storeMap)),
        next,
      };
    }),
  );
  return {
    groups,
    summary: known.map((c) => ({ reason: c.reason, count: c.count })),
    total: counts.reduce((sum, c) => sum + c.count, 0),
    params: { reason: p.reason ?? '', store: p.store ?? '', after: p.after !== undefined },
    stores: storeRefs(stores),
  };
}
