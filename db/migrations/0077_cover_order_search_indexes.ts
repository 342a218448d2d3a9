import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect';

/**
 * PostgreSQL only: the payment log's case-insensitive prefix indexes (migration 0075) also carry
 * the column they fold, so the log's probe ("how many orders match, up to the drive threshold")
 * is an index-only scan. PostgreSQL's planner considers an index-only scan only when every column
 * the query names is in the index, and `lower(name)` names `name`; without it the probe read the
 * table (42 ms for a broad name prefix at 1M orders, 4.5 ms with it: docs/decisions/0008).
 * SQLite answers from the expression index already: nothing changes there.
 */
/** The two prefix indexes of migration 0075 that fold a column, and the column each folds. */
const FOLDED = [
  ['order_name_lower_idx', 'name'],
  ['order_buyer_email_idx', 'buyer_email'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const [index, column] of FOLDED) {
    await sql`drop index ${sql.ref(index)}`.execute(db);
    await sql`create index ${sql.ref(index)} on "order" ((lower(${sql.ref(column)}))) include (${sql.ref(column)})`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const [index, column] of FOLDED) {
    await sql`drop index ${sql.ref(index)}`.execute(db);
    await sql`create index ${sql.ref(index)} on "order" ((lower(${sql.ref(column)})))`.execute(db);
  }
}
