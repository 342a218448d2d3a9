import { databaseSizeBytes } from '../db/dialect';
import { pingDatabase } from '../db/health';
import type { AppContext } from './context.server';

export type Health = {
  status: 'ok' | 'error';
  checks: {
    database: { status: 'ok' | 'error'; dialect: string; latencyMs?: number; sizeBytes?: number; error?: string };
  };
};

/** Checks what the app cannot serve without: one database round trip; reports the database's size. */
export async function checkHealth(ctx: Pick<AppContext, 'db' | 'config'>): Promise<Health> {
  const dialect = ctx.config.database.dialect;
  try {
    const latencyMs = Math.round((await pingDatabase(ctx.db)) * 100) / 100;
    // The database grows with unauthenticated evidence: its size is part of the health (issue 10).
    const sizeBytes = await databaseSizeBytes(ctx.db, dialect);
    return { status: 'ok', checks: { database: { status: 'ok', dialect, latencyMs, sizeBytes } } };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'error', checks: { database: { status: 'error', dialect, error: message } } };
  }
}
