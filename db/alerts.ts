import { sql, type Kysely } from 'kysely';
import type {
  AlertChannelRow,
  AlertIncidentRow,
  AlertMessageRow,
  AlertOutboxRow,
  NewAlertChannelRow,
  NewAlertIncidentRow,
  NewAlertOutboxRow,
  AlertChannelUpdate,
} from './alert-schema';
import type { Database } from './schema';

type Q = Kysely<Database>;

/** Queries of the alert tables (migration 0060). Every write takes the caller's `db` (or transaction). */

// Channels ------------------------------------------------------------------------------------

export function listChannels(db: Q): Promise<AlertChannelRow[]> {
  return db.selectFrom('alert_channel').selectAll().orderBy('id').execute();
}

export async function findChannel(db: Q, id: number): Promise<AlertChannelRow | undefined> {
  return db.selectFrom('alert_channel').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Call inside a transaction: the channel and the configuration version change together. */
export async function insertChannel(db: Q, row: NewAlertChannelRow): Promise<AlertChannelRow> {
  const inserted = await db.insertInto('alert_channel').values(row).returningAll().executeTakeFirstOrThrow();
  await bumpAlertConfigVersion(db);
  return inserted;
}

/** Call inside a transaction: the channel and the configuration version change together. */
export async function updateChannel(db: Q, id: number, set: AlertChannelUpdate): Promise<AlertChannelRow | undefined> {
  const updated = await db.updateTable('alert_channel').set(set).where('id', '=', id).returningAll().executeTakeFirst();
  await bumpAlertConfigVersion(db);
  return updated;
}

/**
 * Takes a channel's sending window: succeeds (true) for one process only, and only once the last
 * message's grouping interval has passed. The conditional update is the claim; PostgreSQL
 * re-checks the condition on the row a concurrent claim just changed.
 */
export async function claimChannelWindow(
  db: Q,
  input: { id: number; now: string; nextSendAt: string },
): Promise<boolean> {
  const result = await db
    .updateTable('alert_channel')
    .set({ next_send_at: input.nextSendAt })
    .where('id', '=', input.id)
    .where((eb) => eb.or([eb('next_send_at', 'is', null), eb('next_send_at', '<=', input.now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// Configuration version -----------------------------------------------------------------------

/**
 * The alert configuration's version (migration 0076): every write of a rule setting or a channel
 * bumps it, so an instance that keeps the configuration in memory re-reads it only when it moved.
 */
export async function alertConfigVersion(db: Q): Promise<number> {
  const row = await db.selectFrom('alert_config_version').select('version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.version ?? 0);
}

async function bumpAlertConfigVersion(db: Q): Promise<void> {
  await db
    .updateTable('alert_config_version')
    .set({ version: sql<number>`version + 1` })
    .where('id', '=', 1)
    .execute();
}

// Rule settings -------------------------------------------------------------------------------

export function ruleSettingsOf(db: Q, storeId: number) {
  return db.selectFrom('alert_rule_setting').selectAll().where('store_id', '=', storeId).execute();
}

export function findRuleSetting(db: Q, storeId: number, rule: string) {
  return db
    .selectFrom('alert_rule_setting')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('rule', '=', rule)
    .executeTakeFirst();
}

export async function saveRuleSetting(
  db: Q,
  row: {
    store_id: number;
    rule: string;
    enabled: number;
    threshold: number | null;
    reminder_minutes: number | null;
    updated_at: string;
    updated_by: string | null;
  },
): Promise<void> {
  await db
    .insertInto('alert_rule_setting')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['store_id', 'rule']).doUpdateSet({
        enabled: row.enabled,
        threshold: row.threshold,
        reminder_minutes: row.reminder_minutes,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute();
  await bumpAlertConfigVersion(db);
}

// Incidents -----------------------------------------------------------------------------------

/** Inserts the incident unless one with the same key is open (then undefined: the caller bumps it). */
export async function insertIncidentIfNone(db: Q, row: NewAlertIncidentRow): Promise<AlertIncidentRow | undefined> {
  return db
    .insertInto('alert_incident')
    .values(row)
    .onConflict((oc) => oc.column('dedupe_key').where('resolved_at', 'is', null).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Counts one more event on the open incident with this key; undefined when none is open. */
export function bumpOpenIncident(
  db: Q,
  input: { dedupeKey: string; at: string; detailJson: string },
): Promise<AlertIncidentRow | undefined> {
  return db
    .updateTable('alert_incident')
    .set({ event_count: sql<number>`event_count + 1`, last_event_at: input.at, detail_json: input.detailJson })
    .where('dedupe_key', '=', input.dedupeKey)
    .where('resolved_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Resolves the open incident with this key; undefined when none is open. */
export function resolveOpenIncident(
  db: Q,
  input: { dedupeKey: string; at: string; by: string },
): Promise<AlertIncidentRow | undefined> {
  return db
    .updateTable('alert_incident')
    .set({ state: 'resolved', resolved_at: input.at, resolved_by: input.by, next_reminder_at: null })
    .where('dedupe_key', '=', input.dedupeKey)
    .where('resolved_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export function findIncident(db: Q, id: number): Promise<AlertIncidentRow | undefined> {
  return db.selectFrom('alert_incident').selectAll().where('id', '=', id).executeTakeFirst();
}

export function updateIncident(db: Q, id: number, set: Partial<Omit<AlertIncidentRow, 'id'>>) {
  return db.updateTable('alert_incident').set(set).where('id', '=', id).returningAll().executeTakeFirst();
}

export function listIncidents(db: Q, input: { states: string[]; limit: number }): Promise<AlertIncidentRow[]> {
  return db
    .selectFrom('alert_incident')
    .selectAll()
    .where('state', 'in', input.states)
    .orderBy('id', 'desc')
    .limit(input.limit)
    .execute();
}

export async function countIncidentsByState(db: Q): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('alert_incident')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Unresolved incidents per rule (the /metrics gauge). */
export async function openIncidentsByRule(db: Q): Promise<{ rule: string; n: number }[]> {
  const rows = await db
    .selectFrom('alert_incident')
    .select(['rule', (eb) => eb.fn.countAll<number>().as('n')])
    .where('resolved_at', 'is', null)
    .groupBy('rule')
    .execute();
  return rows.map((r) => ({ rule: r.rule, n: Number(r.n) }));
}

/** Unresolved incidents of these rules for these keys' prefix (the time rules resolve what no longer holds). */
export function openIncidentsOfRules(db: Q, rules: string[]): Promise<AlertIncidentRow[]> {
  return db
    .selectFrom('alert_incident')
    .selectAll()
    .where('rule', 'in', rules)
    .where('resolved_at', 'is', null)
    .execute();
}

export function dueReminders(db: Q, now: string, limit: number): Promise<AlertIncidentRow[]> {
  return db
    .selectFrom('alert_incident')
    .selectAll()
    .where('resolved_at', 'is', null)
    .where('next_reminder_at', '<=', now)
    .orderBy('next_reminder_at')
    .limit(limit)
    .execute();
}

// Outbox and messages -------------------------------------------------------------------------

export async function insertOutboxRows(db: Q, rows: NewAlertOutboxRow[]): Promise<void> {
  // SQLite allows at most 32,766 bound values per statement: 8 columns, chunks of 500 rows.
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('alert_outbox')
      .values(rows.slice(i, i + 500))
      .execute();
}

export async function channelsWithPendingOutbox(db: Q): Promise<number[]> {
  const rows = await db
    .selectFrom('alert_outbox')
    .select('channel_id')
    .distinct()
    .where('state', '=', 'pending')
    .execute();
  return rows.map((r) => r.channel_id);
}

export async function hasUnfinishedMessage(db: Q, channelId: number): Promise<boolean> {
  const row = await db
    .selectFrom('alert_message')
    .select('id')
    .where('channel_id', '=', channelId)
    .where('state', 'in', ['sending', 'retry'])
    .executeTakeFirst();
  return row !== undefined;
}

export function insertMessage(db: Q, row: Omit<AlertMessageRow, 'id'>): Promise<AlertMessageRow> {
  return db.insertInto('alert_message').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Moves the channel's pending rows (up to `limit`, oldest first) into the message; returns how many. */
export async function bundlePending(
  db: Q,
  input: { channelId: number; messageId: number; limit: number },
): Promise<number> {
  const ids = await db
    .selectFrom('alert_outbox')
    .select('id')
    .where('state', '=', 'pending')
    .where('channel_id', '=', input.channelId)
    .orderBy('id')
    .limit(input.limit)
    .execute();
  let moved = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const result = await db
      .updateTable('alert_outbox')
      .set({ state: 'bundled', message_id: input.messageId })
      .where('state', '=', 'pending')
      .where(
        'id',
        'in',
        ids.slice(i, i + 500).map((r) => r.id),
      )
      .executeTakeFirst();
    moved += Number(result.numUpdatedRows);
  }
  return moved;
}

/** Claims a message whose retry is due, or whose sender died (its lock expired). */
export async function claimDueMessage(
  db: Q,
  input: { now: string; lockedUntil: string; holder: string },
): Promise<AlertMessageRow | undefined> {
  const candidates = await db
    .selectFrom('alert_message')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'retry'), eb('next_attempt_at', '<=', input.now)]),
        eb.and([eb('state', '=', 'sending'), eb('locked_until', '<', input.now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .limit(5)
    .execute();
  for (const { id } of candidates) {
    const row = await db
      .updateTable('alert_message')
      .set({ state: 'sending', locked_until: input.lockedUntil, locked_by: input.holder })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'retry'), eb('next_attempt_at', '<=', input.now)]),
          eb.and([eb('state', '=', 'sending'), eb('locked_until', '<', input.now)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
  }
  return undefined;
}

export function outboxOfMessage(db: Q, messageId: number): Promise<AlertOutboxRow[]> {
  return db.selectFrom('alert_outbox').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
}

export async function finishMessage(
  db: Q,
  id: number,
  holder: string,
  set: { state: string; attempts: number; next_attempt_at: string; last_error: string | null; sent_at: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('alert_message')
    .set({ ...set, locked_until: null })
    .where('id', '=', id)
    .where('locked_by', '=', holder)
    .where('state', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertAttempt(
  db: Q,
  row: {
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
  },
): Promise<void> {
  await db.insertInto('alert_delivery_attempt').values(row).execute();
}

/** Every message that carried something about this incident, with its attempts (the incident page). */
export async function deliveriesOfIncident(db: Q, incidentId: number) {
  const rows = await db
    .selectFrom('alert_outbox as o')
    .leftJoin('alert_message as m', 'm.id', 'o.message_id')
    .leftJoin('alert_channel as c', 'c.id', 'o.channel_id')
    .select([
      'o.id as outbox_id',
      'o.kind',
      'o.state as outbox_state',
      'o.created_at',
      'o.channel_id',
      'c.name as channel_name',
      'c.kind as channel_kind',
      'm.id as message_id',
      'm.state as message_state',
      'm.item_count',
      'm.attempts',
      'm.next_attempt_at',
      'm.sent_at',
    ])
    .where('o.incident_id', '=', incidentId)
    .orderBy('o.id')
    .execute();
  const messageIds = [...new Set(rows.map((r) => r.message_id).filter((id): id is number => id !== null))];
  const attempts = messageIds.length
    ? await db
        .selectFrom('alert_delivery_attempt')
        .selectAll()
        .where('message_id', 'in', messageIds)
        .orderBy('id')
        .execute()
    : [];
  return { rows, attempts };
}

export async function messageStateCounts(db: Q): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('alert_message')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
