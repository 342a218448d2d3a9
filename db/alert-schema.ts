import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Tables of alerts (migration 0060). Conventions: see db/schema.ts. */

export interface AlertChannelTable {
  id: Generated<number>;
  name: string;
  /** `email`, `slack` or `webhook`. */
  kind: string;
  enabled: number;
  /** The recipients' language: `ko` or `en`. */
  locale: string;
  /** `info`, `warning` or `critical`: the least severe incident this channel hears about. */
  min_severity: string;
  /** JSON array of store ids this channel hears about; null for every store (and system incidents). */
  store_ids: string | null;
  /** At most one message per this many seconds; what arrives in between is grouped. */
  group_seconds: number;
  /** Settings that are not secret (host, port, TLS mode, user, from, recipients). */
  config_json: string;
  /** The SMTP password, the Slack webhook URL or the webhook signing secret, AES-GCM sealed. */
  secret_enc: string | null;
  /** No new message for this channel before this time (the grouping window). */
  next_send_at: string | null;
  created_at: string;
  updated_at: string;
}
export type AlertChannelRow = Selectable<AlertChannelTable>;
export type NewAlertChannelRow = Insertable<AlertChannelTable>;
export type AlertChannelUpdate = Updateable<AlertChannelTable>;

export interface AlertRuleSettingTable {
  id: Generated<number>;
  store_id: number;
  rule: string;
  enabled: number;
  /** The rule's threshold in its own unit (minutes, seconds, count, MB); null for the default. */
  threshold: number | null;
  reminder_minutes: number | null;
  updated_at: string;
  updated_by: string | null;
}
export type AlertRuleSettingRow = Selectable<AlertRuleSettingTable>;

export interface AlertIncidentTable {
  id: Generated<number>;
  rule: string;
  severity: string;
  /** Null for system incidents (database size, disk). */
  store_id: number | null;
  /** What the incident is about within the rule and store: a merchant_uid, a job name, `store`. */
  subject: string;
  /** `rule|store|subject`: unique among unresolved incidents. */
  dedupe_key: string;
  /** `open`, `acknowledged` or `resolved`. */
  state: string;
  order_id: number | null;
  /** What the messages show: amounts, currency, detail, the measured value. */
  detail_json: string;
  event_count: number;
  opened_at: string;
  last_event_at: string;
  next_reminder_at: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  muted_until: string | null;
  mute_reason: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
}
export type AlertIncidentRow = Selectable<AlertIncidentTable>;
export type NewAlertIncidentRow = Insertable<AlertIncidentTable>;

export interface AlertMessageTable {
  id: Generated<number>;
  channel_id: number;
  /** The Standard Webhooks `webhook-id`: the same for every retry of this message. */
  webhook_id: string;
  /** `sending`, `retry`, `sent` or `dead`. */
  state: string;
  item_count: number;
  attempts: number;
  next_attempt_at: string;
  locked_until: string | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}
export type AlertMessageRow = Selectable<AlertMessageTable>;

export interface AlertOutboxTable {
  id: Generated<number>;
  channel_id: number;
  incident_id: number | null;
  /** `opened`, `reminder`, `resolved` or `test`. */
  kind: string;
  /** `pending` until a message takes it, then `bundled`. */
  state: string;
  message_id: number | null;
  /** The incident as it was when this row was written. */
  payload_json: string;
  created_at: string;
}
export type AlertOutboxRow = Selectable<AlertOutboxTable>;
export type NewAlertOutboxRow = Insertable<AlertOutboxTable>;

export interface AlertDeliveryAttemptTable {
  id: Generated<number>;
  message_id: number;
  channel_id: number;
  attempt: number;
  at: string;
  ok: number;
  latency_ms: number;
  response_status: number | null;
  response_text: string | null;
  error: string | null;
  worker: string;
}
export type AlertDeliveryAttemptRow = Selectable<AlertDeliveryAttemptTable>;

/** One row (id 1): bumped by every change of rule settings or channels (migration 0076). */
export interface AlertConfigVersionTable {
  id: number;
  version: number;
}

export interface AlertTables {
  alert_config_version: AlertConfigVersionTable;
  alert_channel: AlertChannelTable;
  alert_rule_setting: AlertRuleSettingTable;
  alert_incident: AlertIncidentTable;
  alert_message: AlertMessageTable;
  alert_outbox: AlertOutboxTable;
  alert_delivery_attempt: AlertDeliveryAttemptTable;
}
