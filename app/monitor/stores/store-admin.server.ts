import { z } from 'zod';
import { updateStore } from '../../../db/stores';
import { recordAudit, type AuditActor } from '../../auth/audit.server';
import type { AdminDeps } from '../deps';
import { AppError } from '../../errors';
import { createIamportClient } from '../../iamport/client';
import type { GatewayErrorKind } from '../../iamport/types';
import { merchantUrls, type MerchantUrls } from '../capture/orders.server';
import { sameApiBaseUrl } from './base-url';
import { encryptSecret } from './secrets.server';
import {
  createStore,
  getStore,
  listAllStores,
  rotateStoreKey,
  storeInputSchema,
  storeSecret,
  type Store,
} from './stores.server';
import { sharedCredentialWarnings, type SharedCredentialWarning } from './shared-merchant.server';
import { toDbTime } from '../time';

/**
 * Store administration for the dashboard (docs/decisions/0151-store-admin.md): the settings form
 * (parsed with the same rules as `storeInputSchema`, answered field by field), create, edit,
 * rotate the store API key, test the gateway connection. Every change is audited in the
 * transaction that makes it. The REST secret is write-only: no view here carries it, and an edit
 * that leaves it blank keeps it.
 */

export const STORE_FIELDS = [
  'slug',
  'name',
  'impCode',
  'impKey',
  'impSecret',
  'apiBaseUrl',
  'landingSuccessUrl',
  'landingFailureUrl',
  'landingPendingUrl',
  'webhookIpPolicy',
  'mismatchPolicy',
  'webhookGraceSeconds',
  'stalePendingSeconds',
  'evidenceRetentionDays',
  'merchantUidPrefix',
] as const;
export type StoreField = (typeof STORE_FIELDS)[number];
/**
 * Why a field was refused: `invalid` (see the field's rule), `taken` (the slug exists) or
 * `secret_for_new_url` (a new API base URL needs the secret typed again: a stored secret is only
 * sent to the URL it was saved with).
 */
export type FieldErrors = Partial<Record<StoreField, 'invalid' | 'taken' | 'secret_for_new_url'>>;
/** What the form showed, echoed back after a refusal (never the secret). */
export type StoreFormValues = Partial<Record<Exclude<StoreField, 'impSecret'>, string>>;

/** A store as the dashboard shows it: every setting but the secret, and the URLs to paste. */
export type StoreView = Omit<Store, 'id' | 'secretSealed'> & { urls: MerchantUrls };

function toView(store: Store, baseUrl: string): StoreView {
  return {
    slug: store.slug,
    name: store.name,
    impCode: store.impCode,
    impKey: store.impKey,
    apiBaseUrl: store.apiBaseUrl,
    landing: { ...store.landing },
    webhookIpPolicy: store.webhookIpPolicy,
    mismatchPolicy: store.mismatchPolicy,
    webhookGraceSeconds: store.webhookGraceSeconds,
    stalePendingSeconds: store.stalePendingSeconds,
    evidenceRetentionDays: store.evidenceRetentionDays,
    apiKeyPrefix: store.apiKeyPrefix,
    updatedAt: store.updatedAt,
    archivedAt: store.archivedAt,
    archivedBy: store.archivedBy,
    merchantUidPrefix: store.merchantUidPrefix,
    urls: merchantUrls(baseUrl, store),
  };
}

/** What the audit log keeps of a store: its settings, never the secret or a key hash. */
function auditSnapshot(store: Store): Record<string, unknown> {
  return {
    name: store.name,
    impCode: store.impCode,
    impKey: store.impKey,
    apiBaseUrl: store.apiBaseUrl,
    landingSuccessUrl: store.landing.success,
    landingFailureUrl: store.landing.failure,
    landingPendingUrl: store.landing.pending,
    webhookIpPolicy: store.webhookIpPolicy,
    mismatchPolicy: store.mismatchPolicy,
    webhookGraceSeconds: store.webhookGraceSeconds,
    stalePendingSeconds: store.stalePendingSeconds,
    evidenceRetentionDays: store.evidenceRetentionDays,
    merchantUidPrefix: store.merchantUidPrefix,
  };
}

export async function listStoreViews(deps: Pick<AdminDeps, 'db'>, baseUrl: string): Promise<StoreView[]> {
  return (await listAllStores(deps)).map((s) => toView(s, baseUrl));
}

/** One store as its page shows it; null when there is no such store. */
export async function getStoreView(
  deps: Pick<AdminDeps, 'db'>,
  slug: string,
  baseUrl: string,
): Promise<StoreView | null> {
  const store = await getStore(deps, slug);
  return store ? toView(store, baseUrl) : null;
}

/** An action on a store that does not exist: a refusal the page answers with a 404. */
export type UnknownStore = { ok: false; refusal: 'unknown_store'; message: string };
const unknownStore = (slug: string): UnknownStore => ({
  ok: false,
  refusal: 'unknown_store',
  message: `unknown store ${slug}`,
});

// ---------------------------------------------------------------------------------------------
// The form

const blank = (v: unknown) =>
  typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v;
const httpUrl = <T extends z.ZodType>(schema: T) =>
  z
    .preprocess(blank, schema)
    .refine((v: z.output<T>) => v === undefined || v === null || /^https?:\/\//i.test(String(v)), 'must be http(s)');
const shape = storeInputSchema.shape;

/** storeInputSchema's rules for a form of strings: blank means "not given", URLs must be http(s). */
const createFormSchema = z.object({
  // `new` is the create form's own address (/stores/new).
  slug: z.preprocess(
    blank,
    shape.slug.refine((v) => v !== 'new', 'is reserved'),
  ),
  name: shape.name,
  impCode: z.preprocess(blank, shape.impCode),
  impKey: shape.impKey,
  // The secret is taken as typed (no trim): a space may be part of it.
  impSecret: shape.impSecret,
  apiBaseUrl: httpUrl(shape.apiBaseUrl),
  landingSuccessUrl: httpUrl(shape.landingSuccessUrl),
  landingFailureUrl: httpUrl(shape.landingFailureUrl),
  landingPendingUrl: httpUrl(shape.landingPendingUrl),
  webhookIpPolicy: z.preprocess(blank, shape.webhookIpPolicy),
  mismatchPolicy: z.preprocess(blank, shape.mismatchPolicy),
  webhookGraceSeconds: z.preprocess(blank, shape.webhookGraceSeconds),
  stalePendingSeconds: z.preprocess(blank, shape.stalePendingSeconds),
  evidenceRetentionDays: z.preprocess(blank, shape.evidenceRetentionDays),
  // Blank means "no prefix" (null), also when editing one away.
  merchantUidPrefix: z.preprocess((v) => (blank(v) === undefined ? null : blank(v)), shape.merchantUidPrefix),
});
/** Editing: the slug is fixed (it is in the URLs pasted at Iamport), a blank secret keeps the stored one. */
const editFormSchema = createFormSchema.omit({ slug: true }).extend({
  impSecret: z.preprocess((v) => (v === '' ? undefined : v), shape.impSecret.optional()),
});

export type StoreFormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors; values: StoreFormValues };

function formEntries(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of STORE_FIELDS) {
    const v = form.get(field);
    if (typeof v === 'string') out[field] = v;
  }
  return out;
}

function echo(entries: Record<string, string>): StoreFormValues {
  const { impSecret: _secret, ...rest } = entries;
  return rest;
}

function refusal(
  error: z.ZodError,
  entries: Record<string, string>,
): { ok: false; errors: FieldErrors; values: StoreFormValues } {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && (STORE_FIELDS as readonly string[]).includes(field))
      errors[field as StoreField] = 'invalid';
  }
  return { ok: false, errors, values: echo(entries) };
}

export function parseCreateForm(form: FormData): StoreFormResult<z.output<typeof createFormSchema>> {
  const entries = formEntries(form);
  const parsed = createFormSchema.safeParse(entries);
  return parsed.success ? { ok: true, value: parsed.data } : refusal(parsed.error, entries);
}

export function parseEditForm(form: FormData): StoreFormResult<z.output<typeof editFormSchema>> {
  const entries = formEntries(form);
  const parsed = editFormSchema.safeParse(entries);
  return parsed.success ? { ok: true, value: parsed.data } : refusal(parsed.error, entries);
}

// ---------------------------------------------------------------------------------------------
// Changes

type Who = { actor: AuditActor; ip: string | null };

/** Creates a store from the form; the API key is in the answer only (shown once). */
export async function createStoreFromForm(
  deps: AdminDeps,
  who: Who,
  form: FormData,
): Promise<
  | { ok: true; store: Store; apiKey: string; warnings: SharedCredentialWarning[] }
  | { ok: false; errors: FieldErrors; values: StoreFormValues }
> {
  const parsed = parseCreateForm(form);
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  if (await getStore(deps, input.slug))
    return { ok: false, errors: { slug: 'taken' }, values: echo(formEntries(form)) };
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const created = await createStore({ db: trx, now: deps.now, appSecret: deps.config.appSecret }, input);
      await recordAudit(
        { db: trx, now: deps.now },
        {
          actor: who.actor,
          action: 'store.create',
          target: { type: 'store', id: created.store.slug },
          after: {
            slug: created.store.slug,
            ...auditSnapshot(created.store),
            apiKeyPrefix: created.store.apiKeyPrefix,
          },
          ip: who.ip,
        },
      );
      // Allowed (two brands on one Iamport account), but said out loud, naming the other store.
      const warnings = await sharedCredentialWarnings(
        { db: trx },
        { slug: created.store.slug, impCode: created.store.impCode, impKey: created.store.impKey },
      );
      return { ok: true as const, ...created, warnings };
    });
  } catch (error) {
    // Two admins creating the same slug at once: the loser gets the field error too.
    if (error instanceof AppError && error.code === 'conflict')
      return { ok: false, errors: { slug: 'taken' }, values: echo(formEntries(form)) };
    throw error;
  }
}

/** Saves the form over the store's settings; audits what changed (the secret only as "changed"). */
export async function updateStoreFromForm(
  deps: AdminDeps,
  who: Who,
  slug: string,
  form: FormData,
): Promise<
  | { ok: true; store: Store; changed: string[]; warnings: SharedCredentialWarning[] }
  | { ok: false; errors: FieldErrors; values: StoreFormValues }
  | UnknownStore
> {
  const parsed = parseEditForm(form);
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  return deps.db.transaction().execute(async (trx) => {
    const store = await getStore({ db: trx }, slug);
    if (!store) return unknownStore(slug);
    // A stored secret is only ever sent to the URL it was saved with: a new URL needs it typed again.
    if (input.impSecret === undefined && !sameApiBaseUrl(input.apiBaseUrl, store.apiBaseUrl))
      return {
        ok: false as const,
        errors: { impSecret: 'secret_for_new_url' as const },
        values: echo(formEntries(form)),
      };
    const before = auditSnapshot(store);
    const after: Record<string, unknown> = {
      name: input.name,
      impCode: input.impCode,
      impKey: input.impKey,
      apiBaseUrl: input.apiBaseUrl.replace(/\/$/, ''),
      landingSuccessUrl: input.landingSuccessUrl,
      landingFailureUrl: input.landingFailureUrl,
      landingPendingUrl: input.landingPendingUrl,
      webhookIpPolicy: input.webhookIpPolicy,
      mismatchPolicy: input.mismatchPolicy,
      webhookGraceSeconds: input.webhookGraceSeconds,
      stalePendingSeconds: input.stalePendingSeconds,
      evidenceRetentionDays: input.evidenceRetentionDays,
      merchantUidPrefix: input.merchantUidPrefix,
    };
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    const secretChanged =
      input.impSecret !== undefined && input.impSecret !== storeSecret(store, deps.config.appSecret);
    const warnings = await sharedCredentialWarnings(
      { db: trx },
      { slug: store.slug, impCode: input.impCode, impKey: input.impKey },
    );
    if (changed.length === 0 && !secretChanged) return { ok: true as const, store, changed: [], warnings };
    const row = await updateStore(trx, store.id, {
      name: input.name,
      imp_code: input.impCode,
      imp_key: input.impKey,
      ...(secretChanged ? { imp_secret_enc: encryptSecret(input.impSecret!, deps.config.appSecret) } : {}),
      api_base_url: after.apiBaseUrl as string,
      landing_success_url: input.landingSuccessUrl,
      landing_failure_url: input.landingFailureUrl,
      landing_pending_url: input.landingPendingUrl,
      webhook_ip_policy: input.webhookIpPolicy,
      mismatch_policy: input.mismatchPolicy,
      webhook_grace_seconds: input.webhookGraceSeconds,
      stale_pending_seconds: input.stalePendingSeconds,
      evidence_retention_days: input.evidenceRetentionDays,
      merchant_uid_prefix: input.merchantUidPrefix,
      updated_at: toDbTime(deps.now()),
    });
    const pick = (o: Record<string, unknown>) => Object.fromEntries(changed.map((k) => [k, o[k]]));
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: 'store.update',
        target: { type: 'store', id: store.slug },
        before: { ...pick(before), ...(secretChanged ? { impSecret: '(previous secret)' } : {}) },
        after: { ...pick(after), ...(secretChanged ? { impSecret: '(new secret)' } : {}) },
        ip: who.ip,
      },
    );
    const updated = (await getStore({ db: trx }, row.slug))!;
    return {
      ok: true as const,
      store: updated,
      changed: [...changed, ...(secretChanged ? ['impSecret'] : [])],
      warnings,
    };
  });
}

/**
 * Replaces the store API key: the old one stops working at once (only the new hash is kept).
 * The new key is in the answer only, to be shown once.
 */
export async function rotateStoreApiKey(
  deps: AdminDeps,
  who: Who,
  slug: string,
): Promise<{ ok: true; store: Store; apiKey: string } | UnknownStore> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await getStore({ db: trx }, slug);
    if (!before) return unknownStore(slug);
    const rotated = await rotateStoreKey({ db: trx, now: deps.now, appSecret: deps.config.appSecret }, slug);
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: 'store.rotate_key',
        target: { type: 'store', id: slug },
        before: { apiKeyPrefix: before.apiKeyPrefix },
        after: { apiKeyPrefix: rotated.store.apiKeyPrefix },
        ip: who.ip,
      },
    );
    return { ok: true as const, ...rotated };
  });
}

/** Why archiving or unarchiving did nothing: the store is already in the asked state. */
export type ArchiveRefusal = { ok: false; refusal: 'already_archived' | 'not_archived' };

/**
 * Archives (`archive: true`) or unarchives a store (decision 0155). Archived, its public routes
 * (redirect, webhook, result page, merchant API) answer 410 with the reason and its scheduled jobs
 * skip it; its orders, evidence and runs stay as they are, visible in the dashboard, and the
 * retention purge still applies to them. Audited as `store.archive` / `store.unarchive`.
 */
export async function setStoreArchived(
  deps: AdminDeps,
  who: Who,
  slug: string,
  archive: boolean,
): Promise<{ ok: true; store: Store } | ArchiveRefusal | UnknownStore> {
  return deps.db.transaction().execute(async (trx) => {
    const store = await getStore({ db: trx }, slug);
    if (!store) return unknownStore(slug);
    if (archive === (store.archivedAt !== null))
      return { ok: false as const, refusal: archive ? ('already_archived' as const) : ('not_archived' as const) };
    const at = toDbTime(deps.now());
    const by = who.actor === 'system' ? 'system' : who.actor.email;
    await updateStore(trx, store.id, {
      archived_at: archive ? at : null,
      archived_by: archive ? by : null,
      updated_at: at,
    });
    await recordAudit(
      { db: trx, now: deps.now },
      {
        actor: who.actor,
        action: archive ? 'store.archive' : 'store.unarchive',
        target: { type: 'store', id: slug },
        before: { archivedAt: store.archivedAt, archivedBy: store.archivedBy },
        after: { archivedAt: archive ? at : null, archivedBy: archive ? by : null },
        ip: who.ip,
      },
    );
    return { ok: true as const, store: (await getStore({ db: trx }, slug))! };
  });
}

export type ConnectionTest =
  | { ok: true; apiBaseUrl: string; expiresAt: string; httpStatus: number | null; latencyMs: number }
  | {
      ok: false;
      apiBaseUrl: string;
      kind: GatewayErrorKind;
      httpStatus: number | null;
      code: number | null;
      message: string;
      latencyMs: number;
    };

export const CONNECTION_TEST_TIMEOUT_MS = 10_000;

/**
 * Asks the store's gateway for an access token with a fresh client (never a cached token) and
 * reports its answer: ok with the token's expiry, or the error's kind, HTTP status and message.
 * The token itself is never kept or shown. Audited as `store.test_connection`.
 */
export async function testStoreConnection(
  deps: AdminDeps & { fetch?: typeof fetch },
  who: Who,
  slug: string,
): Promise<{ ok: true; result: ConnectionTest } | UnknownStore> {
  const store = await getStore(deps, slug);
  if (!store) return unknownStore(slug);
  const client = createIamportClient({
    baseUrl: store.apiBaseUrl,
    impKey: store.impKey,
    impSecret: storeSecret(store, deps.config.appSecret),
    timeoutMs: CONNECTION_TEST_TIMEOUT_MS,
    fetch: deps.fetch,
    now: deps.now,
  });
  const result = await client.getToken();
  const meta = {
    apiBaseUrl: store.apiBaseUrl,
    httpStatus: result.meta.httpStatus,
    latencyMs: Math.round(result.meta.latencyMs),
  };
  const answer: ConnectionTest = result.ok
    ? { ok: true, ...meta, expiresAt: toDbTime(result.value.expiresAt) }
    : { ok: false, ...meta, kind: result.error.kind, code: result.error.code, message: result.error.message };
  await recordAudit(deps, {
    actor: who.actor,
    action: 'store.test_connection',
    target: { type: 'store', id: slug },
    after: answer,
    ip: who.ip,
  });
  deps.log.info({ store: slug, ok: answer.ok, httpStatus: answer.httpStatus }, 'store connection tested');
  return { ok: true, result: answer };
}
