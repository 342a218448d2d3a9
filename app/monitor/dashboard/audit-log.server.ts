import { z } from 'zod';
import { listAudit, listAuditActionNames } from '../../auth/audit.server';
import { orderLabelsOf } from '../../../db/orders';
import { listUsers, type AuthDeps } from '../../auth/users.server';
import { listAllStores } from '../stores/stores.server';
import { pretty } from './shared.server';

/** What an event's target is called for a person: an order's merchant_uid, a store's name, a user's e-mail. */
export type AuditTarget = { type: string; id: string; label: string; detail: string | null } | null;

/**
 * Whether the action did what it asked: `refused` when the other side said no (a refund the gateway
 * refused is recorded with `accepted: false`), so it never reads like a successful one.
 */
export type AuditOutcome = 'refused' | null;

function outcomeOf(after: unknown): AuditOutcome {
  return after !== null && typeof after === 'object' && (after as { accepted?: unknown }).accepted === false
    ? 'refused'
    : null;
}

/** The audit log screen (`/audit`): every operator action, newest first, filtered by actor and action. */

export const AUDIT_PAGE_SIZE = 50;

const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
/** A position in the log: the last event seen, as `<at>~<id>` (events strictly older follow). */
const cursor = z
  .string()
  .regex(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~(\d{1,15})$/)
  .transform((v) => {
    const [at, id] = v.split('~') as [string, string];
    return { at, id: Number(id) };
  });
const filterSchema = z.object({
  actor: z.preprocess(blank, z.union([z.literal('system'), z.coerce.number().int().positive()]).optional()),
  action: z.preprocess(
    blank,
    z
      .string()
      .max(60)
      .regex(/^[a-z0-9_]+\.[a-z0-9_]+$/)
      .optional(),
  ),
  before: z.preprocess(blank, cursor.optional()),
});

/** One page of the log for the URL's filters; a filter that does not parse shows the whole log and says so. */
export async function auditLog(deps: Pick<AuthDeps, 'db' | 'now'>, params: URLSearchParams) {
  const parsed = filterSchema.safeParse(Object.fromEntries(params));
  const filter = parsed.success ? parsed.data : {};
  const [rows, actions, users] = await Promise.all([
    listAudit(deps, {
      actorUserId: filter.actor === 'system' ? null : filter.actor,
      action: filter.action,
      before: filter.before,
      limit: AUDIT_PAGE_SIZE + 1,
    }),
    listAuditActionNames(deps),
    listUsers(deps),
  ]);
  const page = rows.slice(0, AUDIT_PAGE_SIZE);
  const last = page[page.length - 1];
  const orderIds = page
    .filter((e) => e.targetType === 'order' && /^\d+$/.test(e.targetId ?? ''))
    .map((e) => Number(e.targetId));
  const [orders, stores] = await Promise.all([orderLabelsOf(deps.db, [...new Set(orderIds)]), listAllStores(deps)]);
  const orderById = new Map(orders.map((o) => [String(o.id), o]));
  const storeBySlug = new Map(stores.map((s) => [s.slug, s]));
  const storeById = new Map(stores.map((s) => [s.id, s]));
  const userById = new Map(users.map((u) => [String(u.id), u]));
  const targetOf = (type: string | null, id: string | null): AuditTarget => {
    if (!type || id === null) return null;
    switch (type) {
      case 'order': {
        const order = orderById.get(id);
        return order
          ? { type, id, label: order.merchant_uid, detail: storeById.get(order.store_id)?.slug ?? null }
          : { type, id, label: `#${id}`, detail: null };
      }
      case 'store': {
        const store = storeBySlug.get(id);
        return { type, id, label: store?.name ?? id, detail: store ? store.slug : null };
      }
      case 'user':
        return { type, id, label: userById.get(id)?.email ?? `#${id}`, detail: null };
      default:
        return { type, id, label: `#${id}`, detail: null };
    }
  };
  return {
    events: page.map((e) => ({
      id: e.id,
      at: e.at,
      actorLabel: e.actorLabel,
      actorUserId: e.actorUserId,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      target: targetOf(e.targetType, e.targetId),
      outcome: outcomeOf(e.after),
      reason: e.reason,
      before: pretty(e.before),
      after: pretty(e.after),
      ip: e.ip,
    })),
    next: rows.length > AUDIT_PAGE_SIZE && last ? `${last.at}~${last.id}` : null,
    actions,
    actors: users.map((u) => ({ id: u.id, email: u.email })),
    filter: {
      actor: filter.actor === undefined ? '' : String(filter.actor),
      action: filter.action ?? '',
      paged: filter.before !== undefined,
    },
    badFilter: !parsed.success,
  };
}
