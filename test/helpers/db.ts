import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db, type DbHandle } from '../../db/connection';
import type { Dialect } from '../../db/dialect';
import { migrateToLatest } from '../../db/migrate';

/**
 * The engine under test: PostgreSQL when TEST_DATABASE_URL (a postgres:// URL of a role that may
 * CREATEDB) is set, as `scripts/test-postgres.sh run` does; SQLite files otherwise.
 */
export const testDialect: Dialect = process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite';
export const onPostgres = testDialect === 'postgres';

export type TestDb = {
  db: Db;
  dialect: Dialect;
  /** What DATABASE_URL would say for this database (`file:...` or `postgres://...`). */
  url: string;
  /** The SQLite file (SQLite only; '' on PostgreSQL). */
  filename: string;
  /** A scratch directory for the test (DATA_DIR), removed on close. */
  dir: string;
  /** A second, independent connection (pool) to the same database, for races. */
  openSecond: () => DbHandle;
  close: () => Promise<void>;
};

/** A fresh, migrated database for one test file: a real WAL SQLite file, or a new PostgreSQL database. */
export async function createTestDb(options: { migrate?: boolean } = {}): Promise<TestDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'monitor-db-'));
  const empty = await createEmptyDatabase(dir);
  const handle = empty.open();
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    db: handle.db,
    dialect: testDialect,
    url: empty.url,
    filename: empty.filename,
    dir,
    openSecond: empty.open,
    close: async () => {
      await handle.close();
      await empty.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type EmptyDatabase = {
  url: string;
  filename: string;
  open: () => DbHandle;
  /** Removes the database (PostgreSQL: drops it, ending any connection still open). */
  drop: () => Promise<void>;
};

/**
 * An empty database of the engine under test, not migrated: a file path in `dir` on SQLite (the
 * app creates it), a newly created database on PostgreSQL.
 */
export async function createEmptyDatabase(dir: string): Promise<EmptyDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const filename = path.join(dir, 'test.db');
    return {
      url: `file:${filename}`,
      filename,
      open: () => openDatabase({ dialect: 'sqlite', filename }),
      drop: async () => {},
    };
  }
  const name = `monitor_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name} template template0 encoding 'UTF8'`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    filename: '',
    open: () => openDatabase({ dialect: 'postgres', connectionString: url.toString(), poolSize: 10 }),
    drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`),
  };
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
