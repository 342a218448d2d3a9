import type { Migration } from 'kysely';
import * as m0001 from './0001_create_sandbox_tables';

/** The sandbox's migrations, in order: a static list, separate from the monitor's. */
export const sandboxMigrations: Record<string, Migration> = {
  '0001_create_sandbox_tables': m0001,
};
