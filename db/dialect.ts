import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema';

/** SQL that differs between SQLite and PostgreSQL lives here and nowhere else. */

export type Dialect = 'sqlite' | 'postgres';

/**
 * Takes the write lock for one order inside a transaction, so concurrent verifications of the
 * same order (a redirect and a webhook arriving together) apply one after the other.
 * PostgreSQL: a row lock. SQLite: a no-op write, which takes the database write lock at the
 * start of the transaction instead of failing with SQLITE_BUSY when a read later upgrades.
 */
export async function lockOrderRow(trx: Kysely<Database>, dialect: Dialect, orderId: number): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select id from "order" where id = ${orderId} for update`.execute(trx);
  } else {
    // A column no index holds: writing the id (the rowid) would rewrite every index entry of the row.
    await trx
      .updateTable('order')
      .set({ last_checked_at: sql<string | null>`last_checked_at` })
      .where('id', '=', orderId)
      .execute();
  }
}

/**
 * The hour bucket of an ISO-8601 UTC time column: `YYYY-MM-DDTHH`. The same text function in
 * both dialects (time is stored as text, docs/decisions/0003-money-and-time.md); it is here so
 * every bucketing of time is found in one file.
 */
export function hourBucket(column: string): RawBuilder<string> {
  return sql<string>`substr(${sql.ref(column)}, 1, 13)`;
}

/** Seconds from `earlier` to `later` (ISO-8601 UTC text columns); negative when `later` comes first. */
export function secondsBetween(dialect: Dialect, later: string, earlier: string): RawBuilder<number> {
  if (dialect === 'postgres') {
    return sql<number>`extract(epoch from (cast(${sql.ref(later)} as timestamptz) - cast(${sql.ref(earlier)} as timestamptz)))`;
  }
  // julianday is a double: round to the millisecond the text holds, so 60 s is 60, not 59.99999.
  return sql<number>`round((julianday(${sql.ref(later)}) - julianday(${sql.ref(earlier)})) * 86400.0, 3)`;
}

/**
 * Serialises refreshes of the overview rollup across processes, inside a transaction.
 * PostgreSQL: a transaction-scoped advisory lock. SQLite: a no-op write, which takes the
 * database write lock at the start of the transaction (as lockOrderRow does).
 */
export async function lockOverviewRefresh(trx: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(7305150)`.execute(trx);
  } else {
    await trx.updateTable('app_setting').set({ key: 'overview.rollup' }).where('key', '=', 'overview.rollup').execute();
  }
}

/** The database's size in bytes (the `db_size` alert rule and its gauge). */
export async function databaseSizeBytes(db: Kysely<Database>, dialect: Dialect): Promise<number> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ size: string }>`select pg_database_size(current_database()) as size`.execute(db);
    return Number(rows[0]?.size ?? 0);
  }
  const { rows } = await sql<{
    size: number;
  }>`select page_count * page_size as size from pragma_page_count(), pragma_page_size()`.execute(db);
  return Number(rows[0]?.size ?? 0);
}
