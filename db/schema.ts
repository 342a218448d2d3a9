import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AlertTables } from './alert-schema';
import type { AuthTables } from './auth-schema';
import type { IntegrityTables } from './integrity-schema';
import type { MonitorTables } from './monitor-schema';
import type { OverviewTables } from './overview-schema';
import type { ReconcileTables } from './reconcile-schema';

/**
 * Table types for Kysely. Conventions (docs/decisions/0003-money-and-time.md):
 * - money is an integer column plus a `currency` column;
 * - time is an ISO-8601 UTC string with milliseconds (`2026-11-24T16:30:00.000Z`), the same in
 *   SQLite and PostgreSQL, so it sorts as text and `substr(t, 1, 10)` is its day;
 * - nullable columns are `T | null`, never optional.
 */

export interface AppSettingTable {
  key: string;
  value: string;
  updated_at: string;
}
export type AppSetting = Selectable<AppSettingTable>;
export type NewAppSetting = Insertable<AppSettingTable>;
export type AppSettingUpdate = Updateable<AppSettingTable>;

export interface Database
  extends MonitorTables,
    AuthTables,
    ReconcileTables,
    OverviewTables,
    IntegrityTables,
    AlertTables {
  app_setting: AppSettingTable;
}

/** Re-exported so table modules need one import for id columns. */
export type { Generated };
