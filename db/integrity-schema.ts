import type { Generated, Selectable } from 'kysely';

/** Tables bounding the cost of unauthenticated evidence (migration 0050). Conventions: db/schema.ts. */

export interface RateWindowTable {
  scope: string;
  key: string;
  /** The window's start, ISO-8601 UTC. */
  window_start: string;
  count: number;
}

export interface UnknownStoreHitTable {
  slug: string;
  /** `redirect` | `webhook`. */
  route: string;
  count: number;
  first_seen_at: string;
  last_seen_at: string;
}
export type UnknownStoreHitRow = Selectable<UnknownStoreHitTable>;

export interface UnverifiedEvidenceTable {
  id: Generated<number>;
  store_id: number;
  /** `m:<merchant_uid>` or `i:<imp_uid>`: one row per id, however often it arrives. */
  evidence_key: string;
  imp_uid: string | null;
  merchant_uid: string | null;
  claims_failure: Generated<number>;
  redirect_hit_id: number | null;
  webhook_delivery_id: number | null;
  hits: number;
  first_seen_at: string;
  last_seen_at: string;
}
export type UnverifiedEvidenceRow = Selectable<UnverifiedEvidenceTable>;

export interface IntegrityTables {
  rate_window: RateWindowTable;
  unknown_store_hit: UnknownStoreHitTable;
  unverified_evidence: UnverifiedEvidenceTable;
}
