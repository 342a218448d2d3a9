import { columnTypes } from '../dialect';
import type { Kysely } from 'kysely';

/** Users, sessions, sign-in attempts (for throttling) and the audit log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  await db.schema
    .createTable('user')
    .addColumn('id', T.int, T.pk)
    .addColumn('email', T.text, (col) => col.notNull().unique())
    .addColumn('role', T.text, (col) => col.notNull())
    .addColumn('password_hash', T.text, (col) => col.notNull())
    .addColumn('disabled_at', T.text)
    .addColumn('last_sign_in_at', T.text)
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('updated_at', T.text, (col) => col.notNull())
    .execute();

  // The id is the SHA-256 of the cookie's token: a leaked table cannot be replayed as cookies.
  await db.schema
    .createTable('session')
    .addColumn('id', T.text, (col) => col.primaryKey())
    .addColumn('user_id', T.int, (col) => col.notNull().references('user.id'))
    .addColumn('created_at', T.text, (col) => col.notNull())
    .addColumn('expires_at', T.text, (col) => col.notNull())
    .addColumn('last_seen_at', T.text, (col) => col.notNull())
    .addColumn('revoked_at', T.text)
    .addColumn('ip', T.text)
    .addColumn('user_agent', T.text)
    .execute();
  await db.schema.createIndex('session_user_idx').on('session').columns(['user_id', 'expires_at']).execute();

  await db.schema
    .createTable('login_attempt')
    .addColumn('id', T.int, T.pk)
    .addColumn('at', T.text, (col) => col.notNull())
    .addColumn('email', T.text, (col) => col.notNull())
    .addColumn('ip', T.text, (col) => col.notNull())
    .addColumn('outcome', T.text, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('login_attempt_email_idx').on('login_attempt').columns(['email', 'at']).execute();
  await db.schema.createIndex('login_attempt_ip_idx').on('login_attempt').columns(['ip', 'at']).execute();
  await db.schema.createIndex('login_attempt_at_idx').on('login_attempt').column('at').execute();

  await db.schema
    .createTable('audit_event')
    .addColumn('id', T.int, T.pk)
    .addColumn('at', T.text, (col) => col.notNull())
    .addColumn('actor_user_id', T.int, (col) => col.references('user.id'))
    .addColumn('actor_label', T.text, (col) => col.notNull())
    .addColumn('action', T.text, (col) => col.notNull())
    .addColumn('target_type', T.text)
    .addColumn('target_id', T.text)
    .addColumn('reason', T.text)
    .addColumn('before_json', T.text)
    .addColumn('after_json', T.text)
    .addColumn('ip', T.text)
    .execute();
  await db.schema.createIndex('audit_event_at_idx').on('audit_event').columns(['at', 'id']).execute();
  await db.schema
    .createIndex('audit_event_target_idx')
    .on('audit_event')
    .columns(['target_type', 'target_id', 'at'])
    .execute();
  await db.schema.createIndex('audit_event_actor_idx').on('audit_event').columns(['actor_user_id', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_event').execute();
  await db.schema.dropTable('login_attempt').execute();
  await db.schema.dropTable('session').execute();
  await db.schema.dropTable('user').execute();
}
