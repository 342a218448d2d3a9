import { z } from 'zod';
import type { Db } from '../../db/connection';
import type { AlertChannelRow } from '../../db/alert-schema';
import { findChannel, insertChannel, listChannels, updateChannel } from '../../db/alerts';
import { recordAudit, type AuditActor } from '../auth/audit.server';
import { AppError } from '../errors';
import { isLocale, type Locale } from '../i18n/locale';
import { decryptSecret, encryptSecret } from '../monitor/stores/secrets.server';
import { toDbTime } from '../monitor/time';
import { generateWebhookSecret } from './channels/http.server';
import {
  CHANNEL_KINDS,
  type ChannelKind,
  type EmailConfig,
  type ResolvedChannel,
  type WebhookConfig,
} from './channels/types';
import { isSeverity, severityAtLeast, SEVERITIES, type Severity } from './rules';

/**
 * Alert channels: where messages go (email, Slack, a signed webhook), in which language, for
 * which stores and from which severity. Secrets (SMTP password, Slack URL, signing secret) are
 * sealed with APP_SECRET like store secrets; the signing secret is generated and shown once.
 */

export type ChannelDeps = { db: Db; now: () => Date; appSecret: string };

export type Channel = {
  id: number;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  locale: Locale;
  minSeverity: Severity;
  /** Null: every store (and system incidents). */
  storeIds: number[] | null;
  groupSeconds: number;
  email: EmailConfig | null;
  webhookUrl: string | null;
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
};

export function toChannel(row: AlertChannelRow): Channel {
  const config = JSON.parse(row.config_json) as Partial<EmailConfig & WebhookConfig>;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKind,
    enabled: row.enabled === 1,
    locale: isLocale(row.locale) ? row.locale : 'en',
    minSeverity: isSeverity(row.min_severity) ? row.min_severity : 'warning',
    storeIds: row.store_ids === null ? null : (JSON.parse(row.store_ids) as number[]),
    groupSeconds: row.group_seconds,
    email: row.kind === 'email' ? (config as EmailConfig) : null,
    webhookUrl: row.kind === 'webhook' ? (config.url ?? null) : null,
    hasSecret: row.secret_enc !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Does this channel hear about an incident of this store and severity? */
export function channelRoutes(
  channel: Pick<Channel, 'enabled' | 'storeIds' | 'minSeverity'>,
  storeId: number | null,
  severity: Severity,
): boolean {
  if (!channel.enabled) return false;
  if (!severityAtLeast(severity, channel.minSeverity)) return false;
  if (channel.storeIds === null) return true;
  return storeId !== null && channel.storeIds.includes(storeId);
}

export function resolveChannel(row: AlertChannelRow, appSecret: string): ResolvedChannel {
  const secret = row.secret_enc === null ? null : decryptSecret(row.secret_enc, appSecret);
  const config = JSON.parse(row.config_json) as Record<string, unknown>;
  if (row.kind === 'email') return { kind: 'email', config: config as EmailConfig, secret };
  if (row.kind === 'slack') return { kind: 'slack', config: {}, secret: secret ?? '' };
  return { kind: 'webhook', config: config as WebhookConfig, secret: secret ?? '' };
}

export async function listAlertChannels(deps: Pick<ChannelDeps, 'db'>): Promise<Channel[]> {
  return (await listChannels(deps.db)).map(toChannel);
}

export async function getAlertChannel(deps: Pick<ChannelDeps, 'db'>, id: number): Promise<Channel> {
  const row = await findChannel(deps.db, id);
  if (!row) throw new AppError('not_found', 'No such alert channel');
  return toChannel(row);
}

// Forms ---------------------------------------------------------------------------------------

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((v) => /^https?:\/\/[^\s]+$/i.test(v) && URL.canParse(v), 'url');
const email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[^\s@<>]+@[^\s@<>]+$/, 'email');

const commonSchema = z.object({
  name: z.string().trim().min(1, 'name').max(100, 'name'),
  kind: z.enum(CHANNEL_KINDS as [ChannelKind, ...ChannelKind[]]),
  locale: z.enum(['ko', 'en']),
  minSeverity: z.enum(SEVERITIES),
  groupSeconds: z.coerce.number().int().min(0).max(86_400),
  enabled: z.boolean(),
  storeIds: z.array(z.coerce.number().int().positive()).max(1000),
});

const emailSchema = z.object({
  host: z
    .string()
    .trim()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.:\-[\]]+$/, 'host'),
  port: z.coerce.number().int().min(1).max(65535),
  tls: z.enum(['tls', 'starttls', 'none']),
  user: z.string().trim().max(254),
  from: z.string().trim().min(3).max(320),
  recipients: z.array(email).min(1).max(50),
});

export type ChannelFormErrors = Partial<Record<string, string>>;
export type ChannelFormResult =
  | { ok: true; channel: Channel; shownOnce: string | null }
  | { ok: false; errors: ChannelFormErrors };

function formValues(form: FormData) {
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : '';
  };
  return {
    name: text('name'),
    kind: text('kind'),
    locale: text('locale') || 'ko',
    minSeverity: text('minSeverity') || 'warning',
    groupSeconds: text('groupSeconds') || '60',
    enabled: text('enabled') !== 'off',
    storeIds: form.getAll('storeIds').filter((v): v is string => typeof v === 'string' && v !== ''),
    host: text('host'),
    port: text('port'),
    tls: text('tls') || 'none',
    user: text('user'),
    password: text('password'),
    from: text('from'),
    recipients: text('recipients')
      .split(/[\s,;]+/)
      .filter(Boolean),
    url: text('url'),
  };
}

function issuesToErrors(issues: readonly z.core.$ZodIssue[]): ChannelFormErrors {
  const errors: ChannelFormErrors = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= field;
  }
  return errors;
}

/**
 * Creates a channel from the dashboard form (admin). For a webhook the signing secret is generated
 * here and returned once in `shownOnce`; it is never shown again.
 */
export async function createChannelFromForm(
  deps: ChannelDeps,
  who: { actor: AuditActor; ip: string | null },
  form: FormData,
): Promise<ChannelFormResult> {
  const values = formValues(form);
  const common = commonSchema.safeParse(values);
  if (!common.success) return { ok: false, errors: issuesToErrors(common.error.issues) };
  let config: unknown;
  let secret: string | null = null;
  let shownOnce: string | null = null;
  switch (common.data.kind) {
    case 'email': {
      const parsed = emailSchema.safeParse(values);
      if (!parsed.success) return { ok: false, errors: issuesToErrors(parsed.error.issues) };
      config = { ...parsed.data, user: parsed.data.user || null } satisfies EmailConfig;
      secret = values.password || null;
      break;
    }
    case 'slack': {
      const parsed = httpUrl.safeParse(values.url);
      if (!parsed.success) return { ok: false, errors: { url: 'url' } };
      config = {};
      secret = parsed.data;
      break;
    }
    case 'webhook': {
      const parsed = httpUrl.safeParse(values.url);
      if (!parsed.success) return { ok: false, errors: { url: 'url' } };
      config = { url: parsed.data } satisfies WebhookConfig;
      secret = generateWebhookSecret();
      shownOnce = secret;
      break;
    }
  }
  const at = toDbTime(deps.now());
  const row = await deps.db.transaction().execute(async (trx) => {
    const inserted = await insertChannel(trx, {
      name: common.data.name,
      kind: common.data.kind,
      enabled: common.data.enabled ? 1 : 0,
      locale: common.data.locale,
      min_severity: common.data.minSeverity,
      store_ids: common.data.storeIds.length ? JSON.stringify(common.data.storeIds) : null,
      group_seconds: common.data.groupSeconds,
      config_json: JSON.stringify(config),
      secret_enc: secret === null ? null : encryptSecret(secret, deps.appSecret),
      next_send_at: null,
      created_at: at,
      updated_at: at,
    });
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: 'alert_channel.create',
        target: { type: 'alert_channel', id: inserted.id },
        after: { ...toChannel(inserted), secret: secret === null ? null : '(sealed)' },
        ip: who.ip,
      },
    );
    return inserted;
  });
  return { ok: true, channel: toChannel(row), shownOnce };
}

/** Turns a channel on or off (admin, audited). */
export async function setChannelEnabled(
  deps: ChannelDeps,
  who: { actor: AuditActor; ip: string | null },
  id: number,
  enabled: boolean,
): Promise<Channel> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await findChannel(trx, id);
    if (!before) throw new AppError('not_found', 'No such alert channel');
    const after = await updateChannel(trx, id, { enabled: enabled ? 1 : 0, updated_at: toDbTime(deps.now()) });
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: enabled ? 'alert_channel.enable' : 'alert_channel.disable',
        target: { type: 'alert_channel', id },
        before: { enabled: before.enabled === 1 },
        after: { enabled },
        ip: who.ip,
      },
    );
    return toChannel(after!);
  });
}
