import type { Migration } from 'kysely';
import * as m0001 from './0001_create_app_setting';
import * as m0002 from './0002_create_monitor_tables';
import * as m0010 from './0010_create_auth_tables';
import * as m0020 from './0020_create_reconcile_tables';
import * as m0030 from './0030_create_order_log_indexes';
import * as m0035 from './0035_create_overview_rollup';
import * as m0036 from './0036_create_audit_filter_indexes';
import * as m0037 from './0037_make_resolved_reason_index_partial';
import * as m0060 from './0060_create_alert_tables';

/** Every migration, in order. A static list: bundles and tests see the same set, no folder scan. */
export const migrations: Record<string, Migration> = {
  '0001_create_app_setting': m0001,
  '0002_create_monitor_tables': m0002,
  '0010_create_auth_tables': m0010,
  '0020_create_reconcile_tables': m0020,
  '0030_create_order_log_indexes': m0030,
  '0035_create_overview_rollup': m0035,
  '0036_create_audit_filter_indexes': m0036,
  '0037_make_resolved_reason_index_partial': m0037,
  '0060_create_alert_tables': m0060,
};
