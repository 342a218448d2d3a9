import type { Kysely } from 'kysely';
import type { AuditEventRow, NewAuditEventRow } from './auth-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

/** Audit events are append-only: there is no update or delete here on purpose. */
export function insertAuditEvent(db: Q, row: NewAuditEventRow): Promise<AuditEventRow> {
  return db.insertInto('audit_event').values(row).returningAll().executeTakeFirstOrThrow();
}

export type AuditQuery = {
  targetType?: string;
  targetId?: string;
  actorUserId?: number;
  action?: string;
  /** Keyset paging: events strictly older than this (at, id). */
  before?: { at: string; id: number };
  limit: number;
};

/** Newest first. */
export function listAuditEvents(db: Q, query: AuditQuery): Promise<AuditEventRow[]> {
  let q = db.selectFrom('audit_event').selectAll();
  if (query.targetType !== undefined) q = q.where('target_type', '=', query.targetType);
  if (query.targetId !== undefined) q = q.where('target_id', '=', query.targetId);
  if (query.actorUserId !== undefined) q = q.where('actor_user_id', '=', query.actorUserId);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  const before = query.before;
  if (before) q = q.where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]));
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
}
