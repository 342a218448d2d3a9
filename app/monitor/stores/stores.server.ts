import { z } from 'zod';
import type { Db } from '../../../db/connection';
import type { StoreRow } from '../../../db/monitor-schema';
import { findStoreBySlug, insertStore, listStores, updateStore } from '../../../db/stores';
import { AppError } from '../../errors';
import { apiKeyMatches, decryptSecret, encryptSecret, generateApiKey } from './secrets.server';
import { MISMATCH_POLICIES, WEBHOOK_IP_POLICIES, type MismatchPolicy, type WebhookIpPolicy } from '../status';
import { toDbTime } from '../time';
import { isAllowedApiBaseUrl } from './base-url';

export type Store = {
  id: number;
  slug: string;
  name: string;
  impCode: string;
  impKey: string;
  apiBaseUrl: string;
  landing: { success: string | null; failure: string | null; pending: string | null };
  webhookIpPolicy: WebhookIpPolicy;
  mismatchPolicy: MismatchPolicy;
  webhookGraceSeconds: number;
  stalePendingSeconds: number;
  /** Days raw evidence of settled orders is kept before the purge empties it (default 180). */
  evidenceRetentionDays: number;
  apiKeyPrefix: string;
  updatedAt: string;
  /** When an admin archived it (null while active): its public routes answer 410, its jobs skip it. */
  archivedAt: string | null;
  archivedBy: string | null;
  /** On a shared merchant code: unregistered payments whose merchant_uid starts with it are this store's. */
  merchantUidPrefix: string | null;
  /** Kept for decrypting the secret on demand; never sent to a page. */
  secretSealed: string;
};

type StoreDeps = { db: Db; now: () => Date; appSecret: string };

export const DEFAULT_API_BASE_URL = 'https://api.iamport.kr';
export const DEFAULT_EVIDENCE_RETENTION_DAYS = 180;

// http(s) only: a landing URL becomes a redirect target, so `javascript:` and friends must never pass.
const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });
const optionalUrl = z.preprocess((v) => (v === '' ? null : v), httpUrl().nullable().default(null));

export const storeInputSchema = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits or dashes'),
  name: z.string().trim().min(1, 'is required').max(80),
  impCode: z.string().regex(/^imp\d{8}$/, 'must look like imp12345678'),
  impKey: z.string().trim().min(1, 'is required').max(100),
  impSecret: z.string().min(1, 'is required').max(200),
  // The secret goes there: https only, plain http only for a loopback host (the sandbox).
  apiBaseUrl: httpUrl()
    .refine(isAllowedApiBaseUrl, 'must be https (plain http only for a loopback host)')
    .default(DEFAULT_API_BASE_URL),
  landingSuccessUrl: optionalUrl,
  landingFailureUrl: optionalUrl,
  landingPendingUrl: optionalUrl,
  webhookIpPolicy: z.enum(WEBHOOK_IP_POLICIES).default('log'),
  mismatchPolicy: z.enum(MISMATCH_POLICIES).default('flag'),
  webhookGraceSeconds: z.coerce.number().int().min(0).max(86_400).default(600),
  stalePendingSeconds: z.coerce.number().int().min(60).max(604_800).default(1800),
  evidenceRetentionDays: z.coerce.number().int().min(1).max(3650).default(DEFAULT_EVIDENCE_RETENTION_DAYS),
  merchantUidPrefix: z.preprocess(
    (v) => (v === '' ? null : v),
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,40}$/, 'must be 1-40 letters, digits or _ . : -')
      .nullable()
      .default(null),
  ),
});
export type StoreInput = z.input<typeof storeInputSchema>;

export function toStore(row: StoreRow): Store {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    impCode: row.imp_code,
    impKey: row.imp_key,
    apiBaseUrl: row.api_base_url,
    landing: { success: row.landing_success_url, failure: row.landing_failure_url, pending: row.landing_pending_url },
    webhookIpPolicy: row.webhook_ip_policy as WebhookIpPolicy,
    mismatchPolicy: row.mismatch_policy as MismatchPolicy,
    webhookGraceSeconds: row.webhook_grace_seconds,
    stalePendingSeconds: row.stale_pending_seconds,
    evidenceRetentionDays: row.evidence_retention_days,
    apiKeyPrefix: row.api_key_prefix,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
    archivedBy: row.archived_by,
    merchantUidPrefix: row.merchant_uid_prefix,
    secretSealed: row.imp_secret_enc,
  };
}

export function storeSecret(store: Store, appSecret: string): string {
  return decryptSecret(store.secretSealed, appSecret);
}

/** Creates a store and returns its API key; the key is shown once and only its hash is kept. */
export async function createStore(deps: StoreDeps, input: StoreInput): Promise<{ store: Store; apiKey: string }> {
  const parsed = storeInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('bad_request', `${issue?.path.join('.') ?? 'store'} ${issue?.message ?? 'is invalid'}`);
  }
  const data = parsed.data;
  if (await findStoreBySlug(deps.db, data.slug)) throw new AppError('conflict', `store ${data.slug} already exists`);
  const key = generateApiKey();
  const at = toDbTime(deps.now());
  const row = await insertStore(deps.db, {
    slug: data.slug,
    name: data.name,
    imp_code: data.impCode,
    imp_key: data.impKey,
    imp_secret_enc: encryptSecret(data.impSecret, deps.appSecret),
    api_base_url: data.apiBaseUrl.replace(/\/$/, ''),
    landing_success_url: data.landingSuccessUrl,
    landing_failure_url: data.landingFailureUrl,
    landing_pending_url: data.landingPendingUrl,
    webhook_ip_policy: data.webhookIpPolicy,
    mismatch_policy: data.mismatchPolicy,
    webhook_grace_seconds: data.webhookGraceSeconds,
    stale_pending_seconds: data.stalePendingSeconds,
    evidence_retention_days: data.evidenceRetentionDays,
    merchant_uid_prefix: data.merchantUidPrefix,
    api_key_hash: key.hash,
    api_key_prefix: key.prefix,
    created_at: at,
    updated_at: at,
  });
  return { store: toStore(row), apiKey: key.key };
}

export async function getStore(deps: Pick<StoreDeps, 'db'>, slug: string): Promise<Store | null> {
  const row = await findStoreBySlug(deps.db, slug);
  return row ? toStore(row) : null;
}

export async function requireStore(deps: Pick<StoreDeps, 'db'>, slug: string): Promise<Store> {
  const store = await getStore(deps, slug);
  if (!store) throw new AppError('not_found', `unknown store ${slug}`);
  return store;
}

export async function listAllStores(deps: Pick<StoreDeps, 'db'>): Promise<Store[]> {
  return (await listStores(deps.db)).map(toStore);
}

/** What a public route (redirect, webhook, result page, merchant API) says for an archived store. */
export function archivedMessage(store: Pick<Store, 'slug'>): string {
  return `store ${store.slug} is archived: it no longer takes payments or notifications`;
}

/** A store's standing for a public route: answered 404 when unknown, 410 when archived. */
export async function publicStoreState(
  deps: Pick<StoreDeps, 'db'>,
  slug: string,
): Promise<'active' | 'archived' | 'unknown'> {
  const store = await getStore(deps, slug);
  return !store ? 'unknown' : store.archivedAt ? 'archived' : 'active';
}

/** The merchant backend's credential: `Authorization: Bearer <store api key>`. */
export async function authenticateStore(
  deps: Pick<StoreDeps, 'db'>,
  slug: string,
  authorization: string | null,
): Promise<Store> {
  const row = await findStoreBySlug(deps.db, slug);
  if (!row) throw new AppError('not_found', `unknown store ${slug}`);
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!presented) throw new AppError('unauthorized', 'send the store API key as Authorization: Bearer <key>');
  if (!apiKeyMatches(presented, row.api_key_hash)) throw new AppError('unauthorized', 'the store API key is not valid');
  if (row.archived_at) throw new AppError('gone', archivedMessage(row));
  return toStore(row);
}

export async function rotateStoreKey(deps: StoreDeps, slug: string): Promise<{ store: Store; apiKey: string }> {
  const store = await requireStore(deps, slug);
  const key = generateApiKey();
  const row = await updateStore(deps.db, store.id, {
    api_key_hash: key.hash,
    api_key_prefix: key.prefix,
    updated_at: toDbTime(deps.now()),
  });
  return { store: toStore(row), apiKey: key.key };
}
