import { sql, type Kysely } from 'kysely';
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
  /** A user's id, or null for the system's own actions. */
  actorUserId?: number | null;
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
  if (query.actorUserId === null) q = q.where('actor_user_id', 'is', null);
  else if (query.actorUserId !== undefined) q = q.where('actor_user_id', '=', query.actorUserId);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  const before = query.before;
  if (before)
    q = q.where((eb) =>
      eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]),
    );
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
}

/**
 * The distinct actions recorded so far (the audit page's filter), by a loose scan of
 * audit_event_action_idx (migration 0036): one index seek per action, whatever the log's size.
 */
export async function listAuditActions(db: Q, max = 200): Promise<string[]> {
  const result = await sql<{ v: string | null }>`
    with recursive seen(v, n) as (
      select (select min(action) from audit_event), 1
      union all
      select (select min(action) from audit_event where action > seen.v), n + 1 from seen where seen.v is not null and n < ${max}
    )
    select v from seen where v is not null`.execute(db);
  return result.rows.map((r) => r.v).filter((v): v is string => v !== null);
}
