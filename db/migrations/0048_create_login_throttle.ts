import type { Kysely } from 'kysely';

/**
 * Sign-in throttle counters (app/auth/throttle.ts): one row per (scope, email, ip), updated by a
 * single upsert so concurrent attempts are counted one by one, before any password is checked.
 * `scope` is `pair` (email and ip), `ip` (email '') or `email` (ip '').
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_throttle')
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('ip', 'text', (col) => col.notNull())
    .addColumn('window_start', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('next_at', 'text')
    .addPrimaryKeyConstraint('login_throttle_pk', ['scope', 'email', 'ip'])
    .execute();
  await db.schema.createIndex('login_throttle_email_idx').on('login_throttle').column('email').execute();
  await db.schema.createIndex('login_throttle_window_idx').on('login_throttle').column('window_start').execute();
  // "Has this address signed in to this email before?" (known addresses are not slowed down).
  await db.schema
    .createIndex('login_attempt_email_ip_idx')
    .on('login_attempt')
    .columns(['email', 'ip', 'outcome', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('login_attempt_email_ip_idx').execute();
  await db.schema.dropTable('login_throttle').execute();
}
