import type { Kysely } from 'kysely';
import { insertAuditEvent, listAuditActions, listAuditEvents, type AuditQuery } from '../../db/audit';
import type { AuditEventRow } from '../../db/auth-schema';
import type { Database } from '../../db/schema';
import { toDbTime } from '../monitor/time';

/** Who did it: a signed-in user (a SessionUser fits), or `'system'` for start-up and jobs. */
export type AuditActor = { id: number; email: string } | 'system';

export type AuditInput = {
  actor: AuditActor;
  /** `noun.verb`: `user.create`, `user.role_change`, `auth.sign_in`, `order.resolve`, … */
  action: `${string}.${string}`;
  target?: { type: string; id: string | number } | null;
  /** The operator's written reason, when the action asks for one. */
  reason?: string | null;
  /** Snapshots before and after the change, stored as JSON. Never pass secrets or password hashes. */
  before?: unknown;
  after?: unknown;
  ip?: string | null;
};

export type AuditEvent = {
  id: number;
  at: string;
  actorUserId: number | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
};

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    actorUserId: row.actor_user_id,
    actorLabel: row.actor_label,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    reason: row.reason,
    before: row.before_json === null ? null : (JSON.parse(row.before_json) as unknown),
    after: row.after_json === null ? null : (JSON.parse(row.after_json) as unknown),
    ip: row.ip,
  };
}

/**
 * Appends one event to the audit log. Pass the transaction as `db` when the change it describes
 * runs in one, so the change and its record commit together. Append-only: nothing updates or
 * deletes audit events.
 */
export async function recordAudit(
  deps: { db: Kysely<Database>; now: () => Date },
  event: AuditInput,
): Promise<AuditEvent> {
  const row = await insertAuditEvent(deps.db, {
    at: toDbTime(deps.now()),
    actor_user_id: event.actor === 'system' ? null : event.actor.id,
    actor_label: event.actor === 'system' ? 'system' : event.actor.email,
    action: event.action,
    target_type: event.target?.type ?? null,
    target_id: event.target ? String(event.target.id) : null,
    reason: event.reason ?? null,
    before_json: json(event.before),
    after_json: json(event.after),
    ip: event.ip ?? null,
  });
  return toAuditEvent(row);
}

/** Newest first, with keyset paging (`before`). */
export async function listAudit(deps: { db: Kysely<Database> }, query: AuditQuery): Promise<AuditEvent[]> {
  return (await listAuditEvents(deps.db, query)).map(toAuditEvent);
}

/** Every action name recorded so far, sorted (the audit page's filter choices). */
export function listAuditActionNames(deps: { db: Kysely<Database> }): Promise<string[]> {
  return listAuditActions(deps.db);
}
