import { sql } from 'kysely';
import type { Db } from './connection';

/** One round trip to the database; resolves with its latency in milliseconds. */
export async function pingDatabase(db: Db): Promise<number> {
  const started = performance.now();
  await sql`select 1 as ok`.execute(db);
  return performance.now() - started;
}
