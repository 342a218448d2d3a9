import { pingDatabase } from '../db/health';
import type { AppContext } from './context.server';

export type Health = {
  status: 'ok' | 'error';
  checks: { database: { status: 'ok' | 'error'; dialect: string; latencyMs?: number; error?: string } };
};

/** Checks what the app cannot serve without: today, one database round trip. */
export async function checkHealth(ctx: Pick<AppContext, 'db' | 'config'>): Promise<Health> {
  const dialect = ctx.config.database.dialect;
  try {
    const latencyMs = Math.round((await pingDatabase(ctx.db)) * 100) / 100;
    return { status: 'ok', checks: { database: { status: 'ok', dialect, latencyMs } } };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'error', checks: { database: { status: 'error', dialect, error: message } } };
  }
}
