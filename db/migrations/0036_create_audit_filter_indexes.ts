import type { Kysely } from 'kysely';

/**
 * The audit page filters by action and pages newest first by (at, id): this index answers
 * "this action, before this event" as one range, and lists the distinct actions by a loose scan.
 * (By actor: audit_event_actor_idx from 0010, system actions included as `actor_user_id is null`.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_event_action_idx').on('audit_event').columns(['action', 'at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_event_action_idx').execute();
}
