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
export function openDatabase(target: DatabaseTarget): DbHandle {
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
  const pool = new pg.Pool({ connectionString: target.connectionString, max: 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: once(() => db.destroy()) };
}

/** Runs `work` in the caller's transaction when it holds one (a batch), else in a new one. */
export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}
