import {
  PostgresAdapter,
  sql,
  type ColumnDefinitionBuilder,
  type ColumnDataType,
  type Expression,
  type Insertable,
  type Kysely,
  type QueryCreator,
  type RawBuilder,
  type SelectQueryBuilder,
} from 'kysely';
import type { AttentionReason } from '../app/monitor/status';
import type { OrderRow, OrderRowUpdate, VerificationTable } from './monitor-schema';
import type { Database } from './schema';

/** SQL that differs between SQLite and PostgreSQL lives here and nowhere else. */

export type Dialect = 'sqlite' | 'postgres';

/** Which engine a Kysely instance talks to (migrations receive a bare `Kysely<unknown>`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

type DataTypeExpression = ColumnDataType | Expression<unknown>;

export type ColumnTypes = {
  /** Whole numbers: ids, foreign keys, amounts, counts. SQLite `integer` (64-bit), PostgreSQL `bigint`. */
  int: DataTypeExpression;
  /**
   * Text compared byte by byte: SQLite's default (BINARY) collation, `collate "C"` on PostgreSQL,
   * whatever the database's locale. Prefix search (`merchant_uid like 'order-1%'` as a range),
   * ordering and ISO-8601 times then sort identically on both engines.
   */
  text: DataTypeExpression;
  /** A surrogate primary key: SQLite `integer primary key autoincrement`, PostgreSQL a bigint identity. */
  pk: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
};

/**
 * Column types for migrations (docs/decisions/0008-postgresql-engine.md). On SQLite they are
 * exactly what the migrations always produced, so existing files migrate unchanged.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function columnTypes(db: Kysely<any>): ColumnTypes {
  if (dialectOf(db) === 'postgres') {
    return {
      int: 'bigint',
      text: sql`text collate "C"`,
      pk: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
    };
  }
  return { int: 'integer', text: 'text', pk: (col) => col.primaryKey().autoIncrement() };
}

/**
 * Takes the write lock for one order inside a transaction, so concurrent verifications of the
 * same order (a redirect and a webhook arriving together) apply one after the other.
 * PostgreSQL: a row lock, `for no key update` (what an update of the row takes anyway): it
 * serialises verifications of the order but, unlike `for update`, does not hold back evidence
 * being inserted with a foreign key to it (a webhook delivery arriving meanwhile). SQLite: a
 * no-op write, which takes the database write lock at the start of the transaction instead of
 * failing with SQLITE_BUSY when a read later upgrades.
 */
export async function lockOrderRow(trx: Kysely<Database>, dialect: Dialect, orderId: number): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select id from "order" where id = ${orderId} for no key update`.execute(trx);
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
 * An order's row under its write lock, with its open attention reasons, in one round trip on
 * PostgreSQL (`for no key update of "order"`: the reasons are left-joined and stay unlocked). On SQLite
 * the no-op write of `lockOrderRow` takes the database lock first, then the same read runs.
 * Resolves null when the order does not exist.
 */
export async function lockOrderWithOpenReasons(
  trx: Kysely<Database>,
  dialect: Dialect,
  orderId: number,
): Promise<{ order: OrderRow; open: { reason: AttentionReason; opened_at: string }[] } | null> {
  if (dialect === 'sqlite') await lockOrderRow(trx, dialect, orderId);
  const query = trx
    .selectFrom('order')
    .leftJoin('attention_reason as r', (join) =>
      join.onRef('r.order_id', '=', 'order.id').on('r.resolved_at', 'is', null),
    )
    .selectAll('order')
    .select(['r.reason as open_reason', 'r.opened_at as open_reason_opened_at'])
    .where('order.id', '=', orderId)
    .orderBy('r.opened_at')
    .orderBy('r.id');
  const rows = await (dialect === 'postgres' ? query.forNoKeyUpdate(['order']) : query).execute();
  const first = rows[0];
  if (!first) return null;
  const { open_reason: _reason, open_reason_opened_at: _openedAt, ...order } = first;
  const open = rows.flatMap((r) =>
    r.open_reason !== null && r.open_reason_opened_at !== null
      ? [{ reason: r.open_reason, opened_at: r.open_reason_opened_at }]
      : [],
  );
  return { order, open };
}

export type LedgerWrites = {
  orderId: number;
  orderUpdate: OrderRowUpdate;
  /** Open reasons of the order to resolve (none: nothing to resolve). */
  resolve: { reasons: readonly AttentionReason[]; at: string; by: string; note: string | null; answer: string | null };
  verification: Omit<Insertable<VerificationTable>, 'order_id'> | null;
};

/**
 * The order ledger's writes once its plan is made, under the order's lock: resolve reasons, update
 * the order, record the verification. PostgreSQL: one statement, the resolve and the insert as
 * data-modifying CTEs of the order's update (one round trip instead of three; they touch other
 * tables, so the shared snapshot changes nothing). SQLite, in process: the three in turn.
 */
export async function writeLedgerChange(trx: Kysely<Database>, dialect: Dialect, w: LedgerWrites): Promise<OrderRow> {
  const { reasons, at, by, note, answer } = w.resolve;
  const resolve =
    reasons.length > 0
      ? trx
          .updateTable('attention_reason')
          .set({ resolved_at: at, resolved_by: by, resolution_note: note, resolved_answer: answer })
          .where('order_id', '=', w.orderId)
          .where('reason', 'in', reasons)
          .where('resolved_at', 'is', null)
          .returning('id')
      : null;
  const verify = w.verification
    ? trx
        .insertInto('verification')
        .values({ order_id: w.orderId, ...w.verification })
        .returning('id')
    : null;
  if (dialect === 'sqlite') {
    if (resolve) await resolve.execute();
    const order = await trx
      .updateTable('order')
      .set(w.orderUpdate)
      .where('id', '=', w.orderId)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (verify) await verify.execute();
    return order;
  }
  // The CTEs' names widen the builder's table type, which TypeScript cannot join across the
  // branches; the update reads no CTE, so the plain type is exact.
  let creator = trx as QueryCreator<Database>;
  if (resolve) creator = creator.with('resolved', () => resolve) as unknown as QueryCreator<Database>;
  if (verify) creator = creator.with('verified', () => verify) as unknown as QueryCreator<Database>;
  return creator
    .updateTable('order')
    .set(w.orderUpdate)
    .where('id', '=', w.orderId)
    .returningAll()
    .executeTakeFirstOrThrow();
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

/**
 * Locks the selected rows for the rest of the statement or transaction, passing over rows
 * another transaction holds: `for update skip locked` on PostgreSQL. SQLite has no row locks
 * (one writer at a time holds the database), so the query is unchanged there.
 */
export function lockSkipLocked<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: Dialect,
): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * The database's size in bytes: on SQLite the main file's pages (`page_count × page_size`, the
 * file size without the WAL), on PostgreSQL `pg_database_size` of the current database.
 */
export async function databaseSizeBytes(db: Kysely<Database>, dialect: Dialect): Promise<number> {
  const result =
    dialect === 'postgres'
      ? await sql<{ bytes: string | number }>`select pg_database_size(current_database()) as bytes`.execute(db)
      : await sql<{
          bytes: number;
        }>`select p.page_count * s.page_size as bytes from pragma_page_count() p, pragma_page_size() s`.execute(db);
  return Number(result.rows[0]?.bytes ?? 0);
}
