import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import path from 'node:path';
import { preparePrivateDatabaseFile } from '../../db/private-files';
import { withStatementCache } from '../../db/statement-cache';
import { sandboxMigrations } from './migrations/index';
import type { SandboxDatabase } from './schema';

export type SandboxDb = Kysely<SandboxDatabase>;

/**
 * Opens `<dataDir>/sandbox.db` (WAL, like the monitor's file) and applies the sandbox's own
 * migrations, so the emulator's state survives a restart.
 */
export async function openSandboxDb(
  dataDir: string,
): Promise<{ db: SandboxDb; filename: string; close: () => Promise<void> }> {
  const filename = path.join(dataDir, 'sandbox.db');
  preparePrivateDatabaseFile(filename);
  const sqlite = new SQLite(filename);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<SandboxDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => sandboxMigrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Sandbox migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  let closed: Promise<void> | null = null;
  return { db, filename, close: () => (closed ??= db.destroy()) };
}
