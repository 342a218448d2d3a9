import { sql, type Kysely } from 'kysely';
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
    await trx.updateTable('order').set({ id: orderId }).where('id', '=', orderId).execute();
  }
}
