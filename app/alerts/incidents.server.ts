import { inTransaction, type Db } from '../../db/connection';
import type { AlertIncidentRow, NewAlertOutboxRow } from '../../db/alert-schema';
import {
  alertConfigVersion,
  bumpOpenIncident,
  dueReminders,
  findIncident,
  findRuleSetting,
  insertIncidentIfNone,
  insertOutboxRows,
  listChannels,
  resolveOpenIncident,
  updateIncident,
} from '../../db/alerts';
import { findStoreById } from '../../db/stores';
import { recordAudit, type AuditActor } from '../auth/audit.server';
import { AppError } from '../errors';
import type { LedgerEvent, LedgerListener } from '../monitor/verify/ledger-events';
import { toDbTime } from '../monitor/time';
import { channelRoutes, toChannel } from './channels.server';
import type { JobEvent, JobListener } from '../monitor/jobs/job-events';
import type { IncidentSnapshot } from './render';
import { effectiveSetting, isRuleName, ruleDefinition, type RuleName } from './rules';

/**
 * The rule engine: turns ledger events, job results and the scheduled evaluation into incidents,
 * one per (rule, store, subject) while open, and writes the outbox rows of each notification
 * (first, reminder, resolved) with the caller's transaction, so a notification exists exactly
 * when the change that caused it committed. It never calls out; the delivery worker does.
 */

export type IncidentDeps = { db: Db; now: () => Date };

/** Reasons whose opening is itself an alert rule (same name). */
const REASON_RULES: ReadonlySet<string> = new Set([
  'amount_mismatch',
  'late_change',
  'orphan_payment',
  'vbank_overdue',
]);

export function dedupeKey(rule: RuleName, storeId: number | null, subject: string): string {
  return `${rule}|${storeId ?? '-'}|${subject}`;
}

type StoreInfo = { slug: string; name: string } | null;

/** How long a store's name and slug are kept for alert payloads (a rename shows within a minute). */
const STORE_TTL_MS = 60_000;

/**
 * What the rules read of the configuration, kept per process (docs/decisions/0161): the rule
 * settings and the channel list until the configuration version moves (every instance's change
 * bumps it, migration 0076), store names for a minute. A storm reads them once, not per event.
 */
export function createAlertConfigCache() {
  return {
    version: null as number | null,
    settings: new Map<string, ReturnType<typeof effectiveSetting>>(),
    channels: null as ReturnType<typeof toChannel>[] | null,
    stores: new Map<number, { info: StoreInfo; loadedAt: number }>(),
  };
}
export type AlertConfigCache = ReturnType<typeof createAlertConfigCache>;

/**
 * The configuration as one transaction sees it: the version is read once per transaction, and
 * what this transaction reads goes into the cache only while the cache is at that same version
 * (a concurrent transaction that saw a newer one has cleared it).
 */
export function createLookups(db: Db, cache: AlertConfigCache = createAlertConfigCache()) {
  let checked: Promise<number> | null = null;
  const version = () =>
    (checked ??= alertConfigVersion(db).then((seen) => {
      if (cache.version === null || seen > cache.version) {
        cache.version = seen;
        cache.settings.clear();
        cache.channels = null;
      }
      return seen;
    }));
  const fresh = async () => cache.version === (await version());
  return {
    async store(id: number | null): Promise<StoreInfo> {
      if (id === null) return null;
      const hit = cache.stores.get(id);
      if (hit && performance.now() - hit.loadedAt < STORE_TTL_MS) return hit.info;
      const row = await findStoreById(db, id);
      const info = row ? { slug: row.slug, name: row.name } : null;
      cache.stores.set(id, { info, loadedAt: performance.now() });
      return info;
    },
    async setting(storeId: number | null, rule: RuleName) {
      const key = `${storeId}|${rule}`;
      const usable = await fresh();
      const hit = usable ? cache.settings.get(key) : undefined;
      if (hit) return hit;
      const found = effectiveSetting(rule, storeId === null ? undefined : await findRuleSetting(db, storeId, rule));
      if (await fresh()) cache.settings.set(key, found);
      return found;
    },
    async channels() {
      if ((await fresh()) && cache.channels) return cache.channels;
      const found = (await listChannels(db)).map(toChannel);
      if (await fresh()) cache.channels = found;
      return found;
    },
  };
}
type Lookups = ReturnType<typeof createLookups>;

export type IncidentSignal = {
  rule: RuleName;
  storeId: number | null;
  subject: string;
  orderId?: number | null;
  merchantUid?: string | null;
  expectedAmount?: number | null;
  paidAmount?: number | null;
  currency?: string | null;
  detail?: string | null;
  value?: number | null;
  threshold?: number | null;
  at: string;
};

function snapshotOf(row: AlertIncidentRow, store: StoreInfo): IncidentSnapshot {
  const detail = JSON.parse(row.detail_json) as Partial<IncidentSnapshot>;
  return {
    incidentId: row.id,
    rule: row.rule as RuleName,
    severity: row.severity as IncidentSnapshot['severity'],
    storeId: row.store_id,
    storeSlug: store?.slug ?? null,
    storeName: store?.name ?? null,
    subject: row.subject,
    orderId: row.order_id,
    merchantUid: detail.merchantUid ?? null,
    expectedAmount: detail.expectedAmount ?? null,
    paidAmount: detail.paidAmount ?? null,
    currency: detail.currency ?? null,
    detail: detail.detail ?? null,
    value: detail.value ?? null,
    threshold: detail.threshold ?? null,
    openedAt: row.opened_at,
    at: row.last_event_at,
  };
}

async function notify(
  db: Db,
  lookups: Lookups,
  incident: AlertIncidentRow,
  kind: 'opened' | 'reminder' | 'resolved',
  at: string,
): Promise<number> {
  const channels = (await lookups.channels()).filter((c) =>
    channelRoutes(c, incident.store_id, incident.severity as IncidentSnapshot['severity']),
  );
  if (!channels.length) return 0;
  const payload = JSON.stringify(snapshotOf(incident, await lookups.store(incident.store_id)));
  const rows: NewAlertOutboxRow[] = channels.map((c) => ({
    channel_id: c.id,
    incident_id: incident.id,
    kind,
    state: 'pending',
    message_id: null,
    payload_json: payload,
    created_at: at,
  }));
  await insertOutboxRows(db, rows);
  return rows.length;
}

function detailJson(signal: IncidentSignal): string {
  return JSON.stringify({
    merchantUid: signal.merchantUid ?? null,
    expectedAmount: signal.expectedAmount ?? null,
    paidAmount: signal.paidAmount ?? null,
    currency: signal.currency ?? null,
    detail: signal.detail ?? null,
    value: signal.value ?? null,
    threshold: signal.threshold ?? null,
  });
}

/**
 * The condition of `signal` holds: opens its incident (and queues the first notification) unless
 * one is open already, which only counts the event. Disabled rules do nothing.
 */
export async function raiseIncident(
  db: Db,
  signal: IncidentSignal,
  lookups: Lookups = createLookups(db),
): Promise<AlertIncidentRow | null> {
  const setting = await lookups.setting(signal.storeId, signal.rule);
  if (!setting.enabled) return null;
  const key = dedupeKey(signal.rule, signal.storeId, signal.subject);
  const def = ruleDefinition(signal.rule);
  // Insert first: in a storm nearly every event opens its own incident, so this is one statement.
  const inserted = await insertIncidentIfNone(db, {
    rule: signal.rule,
    severity: def.severity,
    store_id: signal.storeId,
    subject: signal.subject,
    dedupe_key: key,
    state: 'open',
    order_id: signal.orderId ?? null,
    detail_json: detailJson(signal),
    event_count: 1,
    opened_at: signal.at,
    last_event_at: signal.at,
    next_reminder_at:
      setting.reminderMinutes > 0
        ? toDbTime(new Date(new Date(signal.at).getTime() + setting.reminderMinutes * 60_000))
        : null,
    acknowledged_at: null,
    acknowledged_by: null,
    muted_until: null,
    mute_reason: null,
    resolved_at: null,
    resolved_by: null,
  });
  if (!inserted)
    return (await bumpOpenIncident(db, { dedupeKey: key, at: signal.at, detailJson: detailJson(signal) })) ?? null;
  await notify(db, lookups, inserted, 'opened', signal.at);
  return inserted;
}

/** The condition no longer holds: resolves the open incident and queues one "resolved" message. */
export async function clearIncident(
  db: Db,
  input: { rule: RuleName; storeId: number | null; subject: string; at: string; by: string },
  lookups: Lookups = createLookups(db),
): Promise<AlertIncidentRow | null> {
  const resolved = await resolveOpenIncident(db, {
    dedupeKey: dedupeKey(input.rule, input.storeId, input.subject),
    at: input.at,
    by: input.by,
  });
  if (!resolved) return null;
  if (!isMuted(resolved, input.at)) await notify(db, lookups, resolved, 'resolved', input.at);
  return resolved;
}

function isMuted(incident: AlertIncidentRow, at: string): boolean {
  return incident.muted_until !== null && incident.muted_until > at;
}

/**
 * The ledger listener (registered in the app context): inside the ledger's transaction, an
 * opened reason that is a rule opens its incident for (rule, store, order); its resolution
 * resolves it. Status changes alone alert nothing (late_change is the reason that says so).
 */
export function createAlertLedgerListener(
  wake: () => void = () => {},
  cache: AlertConfigCache = createAlertConfigCache(),
): LedgerListener {
  return async (trx, events) => {
    const lookups = createLookups(trx, cache);
    let queued = 0;
    for (const event of events) queued += await applyLedgerEvent(trx, lookups, event);
    // The worker reads after the commit (SQLite shares one connection; PostgreSQL polls again).
    if (queued) setImmediate(wake);
  };
}

async function applyLedgerEvent(trx: Db, lookups: Lookups, event: LedgerEvent): Promise<number> {
  if (event.type === 'status_changed') return 0;
  if (!REASON_RULES.has(event.reason) || !isRuleName(event.reason)) return 0;
  if (event.type === 'reason_opened') {
    const incident = await raiseIncident(
      trx,
      {
        rule: event.reason,
        storeId: event.storeId,
        subject: event.merchantUid,
        orderId: event.orderId,
        merchantUid: event.merchantUid,
        expectedAmount: event.expectedAmount,
        paidAmount: event.paidAmount,
        currency: event.currency,
        detail: event.detail,
        at: event.at,
      },
      lookups,
    );
    return incident ? 1 : 0;
  }
  const resolved = await clearIncident(
    trx,
    { rule: event.reason, storeId: event.storeId, subject: event.merchantUid, at: event.at, by: event.by },
    lookups,
  );
  return resolved ? 1 : 0;
}

/** The job listener: failed runs, an opened breaker, refused credentials, a failed purge. */
export function createAlertJobListener(
  wake: () => void = () => {},
  cache: AlertConfigCache = createAlertConfigCache(),
): JobListener {
  return async (db, events) => {
    await inTransaction(db, async (trx) => {
      const lookups = createLookups(trx, cache);
      for (const event of events) await applyJobEvent(trx, lookups, event);
    });
    setImmediate(wake);
  };
}

async function applyJobEvent(db: Db, lookups: Lookups, event: JobEvent): Promise<void> {
  const toggle = async (
    rule: RuleName,
    storeId: number | null,
    subject: string,
    failing: boolean,
    detail: string | null,
  ) => {
    if (failing) await raiseIncident(db, { rule, storeId, subject, detail, at: event.at }, lookups);
    else await clearIncident(db, { rule, storeId, subject, at: event.at, by: 'job' }, lookups);
  };
  switch (event.type) {
    case 'run_finished':
      return toggle('run_failed', event.storeId, event.kind, !event.ok, event.error);
    case 'breaker':
      return toggle('breaker_open', event.storeId, 'gateway', event.open, event.error);
    case 'credentials':
      return toggle('credentials_refused', event.storeId, 'credentials', event.refused, event.error);
    case 'retention_finished':
      return toggle('retention_failed', null, 'retention', !event.ok, event.error);
  }
}

/** Queues a reminder for every open, unacknowledged, unmuted incident whose reminder is due. */
export async function queueReminders(deps: IncidentDeps, limit = 500): Promise<number> {
  const at = toDbTime(deps.now());
  let queued = 0;
  await deps.db.transaction().execute(async (trx) => {
    const lookups = createLookups(trx);
    for (const incident of await dueReminders(trx, at, limit)) {
      const setting = await lookups.setting(incident.store_id, incident.rule as RuleName);
      const next = toDbTime(new Date(deps.now().getTime() + setting.reminderMinutes * 60_000));
      await updateIncident(trx, incident.id, { next_reminder_at: incident.state === 'open' ? next : null });
      if (incident.state !== 'open' || isMuted(incident, at)) continue;
      queued += await notify(trx, lookups, incident, 'reminder', at);
    }
  });
  return queued;
}

// Operator actions ----------------------------------------------------------------------------

type Who = { actor: Exclude<AuditActor, 'system'>; ip: string | null };

/** Acknowledge (operator): someone is on it; reminders stop. Audited with the written reason. */
export async function acknowledgeIncident(
  deps: IncidentDeps,
  who: Who,
  id: number,
  note: string,
): Promise<AlertIncidentRow> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await findIncident(trx, id);
    if (!before) throw new AppError('not_found', 'No such incident');
    if (before.state !== 'open') throw new AppError('conflict', `The incident is ${before.state}`);
    const at = toDbTime(deps.now());
    const after = await updateIncident(trx, id, {
      state: 'acknowledged',
      acknowledged_at: at,
      acknowledged_by: who.actor.email,
      next_reminder_at: null,
    });
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: 'alert_incident.acknowledge',
        target: { type: 'alert_incident', id },
        reason: note,
        before: { state: before.state },
        after: { state: 'acknowledged' },
        ip: who.ip,
      },
    );
    return after!;
  });
}

/** Mute (operator) for a while: no reminders and no resolved message until then. Audited. */
export async function muteIncident(
  deps: IncidentDeps,
  who: Who,
  id: number,
  input: { minutes: number; reason: string },
): Promise<AlertIncidentRow> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await findIncident(trx, id);
    if (!before) throw new AppError('not_found', 'No such incident');
    if (before.state === 'resolved') throw new AppError('conflict', 'The incident is resolved');
    const until = toDbTime(new Date(deps.now().getTime() + input.minutes * 60_000));
    const after = await updateIncident(trx, id, { muted_until: until, mute_reason: input.reason });
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: 'alert_incident.mute',
        target: { type: 'alert_incident', id },
        reason: input.reason,
        before: { mutedUntil: before.muted_until },
        after: { mutedUntil: until },
        ip: who.ip,
      },
    );
    return after!;
  });
}
