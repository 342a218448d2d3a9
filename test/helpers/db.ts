import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';

export type TestDb = { db: Db; filename: string; dir: string; close: () => Promise<void> };

/** A fresh, migrated SQLite file for one test file: real WAL database, removed on close. */
export async function createTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'monitor-db-'));
  const filename = path.join(dir, 'test.db');
  const handle = openDatabase({ dialect: 'sqlite', filename });
  await migrateToLatest(handle.db);
  return {
    db: handle.db,
    filename,
    dir,
    close: async () => {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
