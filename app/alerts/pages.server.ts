import { z } from 'zod';
import type { Db } from '../../db/connection';
import type { AlertIncidentRow } from '../../db/alert-schema';
import {
  countIncidentsByState,
  deliveriesOfIncident,
  findIncident,
  listIncidents,
  ruleSettingsOf,
  saveRuleSetting,
} from '../../db/alerts';
import { findStoreBySlug, listStores } from '../../db/stores';
import { recordAudit, type AuditActor } from '../auth/audit.server';
import { AppError } from '../errors';
import { toDbTime } from '../monitor/time';
import type { IncidentSnapshot } from './render';
import { effectiveSetting, RULE_NAMES, RULES, type RuleName, type RuleUnit, type Severity } from './rules';

/**
 * The read side of the alert pages (one presenter per screen) and the rules form. Routes call
 * these; nothing here renders.
 */

export const INCIDENT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export type IncidentListItem = {
  id: number;
  rule: RuleName;
  severity: Severity;
  storeSlug: string | null;
  storeName: string | null;
  subject: string;
  state: IncidentState;
  openedAt: string;
  eventCount: number;
  mutedUntil: string | null;
};

async function storeNames(db: Db): Promise<Map<number, { slug: string; name: string }>> {
  return new Map((await listStores(db)).map((s) => [s.id, { slug: s.slug, name: s.name }]));
}

function toItem(row: AlertIncidentRow, stores: Map<number, { slug: string; name: string }>): IncidentListItem {
  const store = row.store_id === null ? undefined : stores.get(row.store_id);
  return {
    id: row.id,
    rule: row.rule as RuleName,
    severity: row.severity as Severity,
    storeSlug: store?.slug ?? null,
    storeName: store?.name ?? null,
    subject: row.subject,
    state: row.state as IncidentState,
    openedAt: row.opened_at,
    eventCount: row.event_count,
    mutedUntil: row.muted_until,
  };
}

export async function incidentList(deps: { db: Db }, state: IncidentState, limit = 200) {
  const stores = await storeNames(deps.db);
  const rows = await listIncidents(deps.db, { states: [state], limit });
  return { state, counts: await countIncidentsByState(deps.db), incidents: rows.map((r) => toItem(r, stores)) };
}

/** The overview's card: how many are open and the newest few. */
export async function openIncidentsSummary(deps: { db: Db }) {
  const stores = await storeNames(deps.db);
  const counts = await countIncidentsByState(deps.db);
  const rows = await listIncidents(deps.db, { states: ['open', 'acknowledged'], limit: 5 });
  return { open: counts.open ?? 0, acknowledged: counts.acknowledged ?? 0, newest: rows.map((r) => toItem(r, stores)) };
}

export type DeliveryAttemptView = {
  attempt: number;
  at: string;
  ok: boolean;
  latencyMs: number;
  status: number | null;
  answer: string | null;
  error: string | null;
};

export type DeliveryView = {
  outboxId: number;
  kind: string;
  channelName: string;
  channelKind: string;
  messageId: number | null;
  messageState: string | null;
  itemCount: number | null;
  nextAttemptAt: string | null;
  attempts: DeliveryAttemptView[];
};

export async function incidentDetail(deps: { db: Db }, id: number) {
  const row = await findIncident(deps.db, id);
  if (!row) throw new AppError('not_found', 'No such incident');
  const stores = await storeNames(deps.db);
  const detail = JSON.parse(row.detail_json) as Partial<IncidentSnapshot>;
  const { rows, attempts } = await deliveriesOfIncident(deps.db, id);
  const deliveries: DeliveryView[] = rows.map((r) => ({
    outboxId: r.outbox_id,
    kind: r.kind,
    channelName: r.channel_name ?? '—',
    channelKind: r.channel_kind ?? '—',
    messageId: r.message_id,
    messageState: r.message_state,
    itemCount: r.item_count,
    nextAttemptAt: r.next_attempt_at,
    attempts: attempts
      .filter((a) => a.message_id === r.message_id)
      .map((a) => ({
        attempt: a.attempt,
        at: a.at,
        ok: a.ok === 1,
        latencyMs: a.latency_ms,
        status: a.response_status,
        answer: a.response_text,
        error: a.error,
      })),
  }));
  return {
    ...toItem(row, stores),
    orderId: row.order_id,
    merchantUid: detail.merchantUid ?? null,
    expectedAmount: detail.expectedAmount ?? null,
    paidAmount: detail.paidAmount ?? null,
    currency: detail.currency ?? null,
    detail: detail.detail ?? null,
    value: detail.value ?? null,
    threshold: detail.threshold ?? null,
    lastEventAt: row.last_event_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    muteReason: row.mute_reason,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    deliveries,
  };
}

export type RuleRow = {
  rule: RuleName;
  severity: Severity;
  scope: 'store' | 'system';
  unit: RuleUnit;
  enabled: boolean;
  threshold: number | null;
  defaultThreshold: number | null;
  customThreshold: number | null;
  customReminder: number | null;
  reminderMinutes: number;
};

export async function rulesPage(deps: { db: Db }, storeSlug: string | null) {
  const stores = (await listStores(deps.db)).map((s) => ({ id: s.id, slug: s.slug, name: s.name }));
  const store = storeSlug ? stores.find((s) => s.slug === storeSlug) : stores[0];
  if (storeSlug && !store) throw new AppError('not_found', 'No such store');
  if (!store) return { stores, store: null, rules: [] as RuleRow[] };
  const saved = new Map((await ruleSettingsOf(deps.db, store.id)).map((r) => [r.rule, r]));
  const rules: RuleRow[] = RULE_NAMES.map((name) => {
    const def = RULES[name];
    const row = saved.get(name);
    const effective = effectiveSetting(name, row);
    return {
      rule: name,
      severity: def.severity,
      scope: def.scope,
      unit: def.unit,
      enabled: effective.enabled,
      threshold: effective.threshold,
      defaultThreshold: def.defaultThreshold,
      customThreshold: row?.threshold ?? null,
      customReminder: row?.reminder_minutes ?? null,
      reminderMinutes: effective.reminderMinutes,
    };
  });
  return { stores, store, rules };
}

const optionalInt = (max: number) =>
  z
    .string()
    .trim()
    .refine((v) => v === '' || /^\d{1,9}$/.test(v), 'number')
    .transform((v) => (v === '' ? null : Number(v)))
    .refine((v) => v === null || v <= max, 'number');

/**
 * Saves one store's rule settings from the rules form (admin): `on.<rule>` checkboxes,
 * `threshold.<rule>` and `reminder.<rule>` numbers (empty: the default). Audited with before/after.
 */
export async function saveRulesFromForm(
  deps: { db: Db; now: () => Date },
  who: { actor: AuditActor; ip: string | null },
  storeSlug: string,
  form: FormData,
): Promise<{ ok: true; changed: number } | { ok: false; errors: Record<string, string> }> {
  const store = await findStoreBySlug(deps.db, storeSlug);
  if (!store) throw new AppError('not_found', 'No such store');
  const errors: Record<string, string> = {};
  const next = RULE_NAMES.map((rule) => {
    const text = (name: string) => {
      const v = form.get(`${name}.${rule}`);
      return typeof v === 'string' ? v : '';
    };
    const threshold = optionalInt(1_000_000_000).safeParse(text('threshold'));
    const reminder = optionalInt(10_080).safeParse(text('reminder'));
    if (!threshold.success) errors[`threshold.${rule}`] = 'number';
    if (!reminder.success) errors[`reminder.${rule}`] = 'number';
    return {
      rule,
      enabled: form.get(`on.${rule}`) === 'on',
      threshold: RULES[rule].unit === 'none' ? null : threshold.success ? threshold.data : null,
      reminder: reminder.success ? reminder.data : null,
    };
  });
  if (Object.keys(errors).length) return { ok: false, errors };
  return deps.db.transaction().execute(async (trx) => {
    const before = new Map((await ruleSettingsOf(trx, store.id)).map((r) => [r.rule, r]));
    let changed = 0;
    const at = toDbTime(deps.now());
    const diff: Record<string, unknown> = {};
    const prior: Record<string, unknown> = {};
    for (const n of next) {
      const old = effectiveSetting(n.rule, before.get(n.rule));
      const oldRow = before.get(n.rule);
      const same =
        old.enabled === n.enabled &&
        (oldRow?.threshold ?? null) === n.threshold &&
        (oldRow?.reminder_minutes ?? null) === n.reminder;
      if (same) continue;
      changed++;
      prior[n.rule] = {
        enabled: old.enabled,
        threshold: oldRow?.threshold ?? null,
        reminder: oldRow?.reminder_minutes ?? null,
      };
      diff[n.rule] = { enabled: n.enabled, threshold: n.threshold, reminder: n.reminder };
      await saveRuleSetting(trx, {
        store_id: store.id,
        rule: n.rule,
        enabled: n.enabled ? 1 : 0,
        threshold: n.threshold,
        reminder_minutes: n.reminder,
        updated_at: at,
        updated_by: who.actor === 'system' ? 'system' : who.actor.email,
      });
    }
    if (changed)
      await recordAudit(
        { db: trx, now: deps.now },
        {
          actor: who.actor,
          action: 'alert_rules.update',
          target: { type: 'store', id: store.slug },
          before: prior,
          after: diff,
          ip: who.ip,
        },
      );
    return { ok: true as const, changed };
  });
}

/** Stores to route a channel to (id and name). */
export async function storeChoices(deps: { db: Db }): Promise<{ id: number; slug: string; name: string }[]> {
  return (await listStores(deps.db)).map((s) => ({ id: s.id, slug: s.slug, name: s.name }));
}
