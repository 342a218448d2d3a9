import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseTarget } from '../app/config.server';
import { preparePrivateDatabaseFile } from './private-files';
import type { Database } from './schema';
import { withStatementCache } from './statement-cache';

export type Db = Kysely<Database>;

export type DbHandle = {
  db: Db;
  dialect: DatabaseTarget['dialect'];
  /** Closes the pool or file; safe to call twice. */
  close: () => Promise<void>;
};

/**
 * Opens the database named by the configuration. SQLite runs in WAL mode with a busy timeout
 * so concurrent writers from several processes (app, CLI, sandbox) wait instead of failing.
 */
export function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): DbHandle {
  if (target.dialect === 'sqlite') {
    if (target.filename !== ':memory:') preparePrivateDatabaseFile(target.filename);
    const sqlite = new SQLite(target.filename);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, dialect: 'sqlite', close: once(() => db.destroy()) };
  }
  const onError = options.onPoolError ?? defaultPoolError;
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: target.poolSize ?? 10,
    application_name: target.applicationName ?? 'iamport-monitor',
    statement_timeout: target.statementTimeoutMs ?? 30_000,
    // A dead server must fail a request in seconds, not hold it until the OS gives up.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    types: { getTypeParser },
  });
  // An idle connection the server terminated (a restart, a failover, pg_terminate_backend):
  // without a listener the pool's 'error' event would end the process. The pool drops that
  // connection and opens another on the next query.
  pool.on('error', (error) => onError(error));
  // A connection checked out for a transaction has no pool listener between its queries; the
  // same event there would be an uncaught 'error' too. The query in flight fails on its own.
  pool.on('connect', (client) => client.on('error', (error) => onError(error)));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: once(() => db.destroy()) };
}

export type OpenOptions = {
  /** A PostgreSQL connection failed outside a query (logged; the pool replaces it). */
  onPoolError?: (error: Error) => void;
};

function defaultPoolError(error: Error): void {
  process.stderr.write(`database connection lost: ${error.message}\n`);
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Numbers arrive as numbers, in one place: PostgreSQL's bigint (ids, amounts, `count()`) and
 * numeric (`sum()` of a bigint, `extract(epoch ...)`) come over the wire as text, and pg would
 * hand them over as strings. Amounts and ids stay far below 2^53; a value that is not exactly
 * representable is an error rather than a silently rounded amount.
 */
function getTypeParser(oid: number, format?: 'text' | 'binary') {
  if (oid === INT8_OID) return parseInt8;
  if (oid === NUMERIC_OID) return parseNumeric;
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
}

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} is beyond JavaScript's exact integers`);
  return value;
}

function parseNumeric(text: string): number {
  return Number(text);
}

/** Runs `work` in the caller's transaction when it holds one (a batch), else in a new one. */
export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}
