import type { Migration } from 'kysely';
import * as m0001 from './0001_create_app_setting';
import * as m0002 from './0002_create_monitor_tables';
import * as m0010 from './0010_create_auth_tables';
import * as m0020 from './0020_create_reconcile_tables';
import * as m0030 from './0030_create_order_log_indexes';
import * as m0035 from './0035_create_overview_rollup';
import * as m0036 from './0036_create_audit_filter_indexes';
import * as m0037 from './0037_make_resolved_reason_index_partial';
import * as m0040 from './0040_create_webhook_dedup';
import * as m0041 from './0041_create_login_throttle';
import * as m0050 from './0050_create_rate_tables';
import * as m0051 from './0051_add_evidence_retention';
import * as m0060 from './0060_create_alert_tables';
import * as m0070 from './0070_add_gateway_answer';
import * as m0071 from './0071_add_store_archive';
import * as m0072 from './0072_add_store_uid_prefix';
import * as m0075 from './0075_add_order_buyer_contact';
import * as m0076 from './0076_add_alert_config_version';
import * as m0077 from './0077_cover_order_search_indexes';
import * as m0078 from './0078_trim_alert_write_indexes';

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
  '0040_create_webhook_dedup': m0040,
  '0041_create_login_throttle': m0041,
  '0050_create_rate_tables': m0050,
  '0051_add_evidence_retention': m0051,
  '0060_create_alert_tables': m0060,
  '0070_add_gateway_answer': m0070,
  '0071_add_store_archive': m0071,
  '0072_add_store_uid_prefix': m0072,
  '0075_add_order_buyer_contact': m0075,
  '0076_add_alert_config_version': m0076,
  '0077_cover_order_search_indexes': m0077,
  '0078_trim_alert_write_indexes': m0078,
};
