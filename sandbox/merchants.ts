import { randomBytes, randomInt } from 'node:crypto';
import type { SandboxDb } from './db/connection';
import type { MerchantRow, MerchantUpdate } from './db/schema';
import { SandboxError } from './http';
import type { WebhookScenario } from './rules';
import { scenarioOf, type ApiFaults } from './schemas';

/** One Iamport merchant account as the sandbox knows it (credentials, console settings, faults). */
export type Merchant = {
  id: number;
  imp_code: string;
  imp_key: string;
  imp_secret: string;
  name: string;
  webhook_url: string | null;
  webhook_format: 'json' | 'form';
  webhook_scenario: WebhookScenario;
  partial_cancel_status: 'paid' | 'cancelled';
  default_pg: string;
  faults: ApiFaults | null;
  is_demo: boolean;
};

function toMerchant(row: MerchantRow): Merchant {
  return {
    id: row.id,
    imp_code: row.imp_code,
    imp_key: row.imp_key,
    imp_secret: row.imp_secret,
    name: row.name,
    webhook_url: row.webhook_url,
    webhook_format: row.webhook_format,
    webhook_scenario: scenarioOf(JSON.parse(row.webhook_scenario) as Partial<WebhookScenario>),
    partial_cancel_status: row.partial_cancel_status,
    default_pg: row.default_pg,
    faults: row.faults ? (JSON.parse(row.faults) as ApiFaults) : null,
    is_demo: row.is_demo === 1,
  };
}

/** What the controls show: the secret included (this is a test double, and tests need it). */
export function merchantView(m: Merchant) {
  return {
    default_pg: m.default_pg,
    faults: m.faults,
    imp_code: m.imp_code,
    imp_key: m.imp_key,
    imp_secret: m.imp_secret,
    is_demo: m.is_demo,
    name: m.name,
    partial_cancel_status: m.partial_cancel_status,
    webhook_format: m.webhook_format,
    webhook_scenario: m.webhook_scenario,
    webhook_url: m.webhook_url,
  };
}

export type MerchantSettings = {
  name?: string;
  imp_key?: string;
  imp_secret?: string;
  webhook_url?: string | null;
  webhook_format?: 'json' | 'form';
  webhook_scenario?: Partial<WebhookScenario>;
  partial_cancel_status?: 'paid' | 'cancelled';
  default_pg?: string;
};

/**
 * Merchants, cached in memory (every API call needs its merchant and faults) and written
 * through to SQLite. The sandbox process owns its file, so the cache cannot go stale.
 */
export class MerchantDirectory {
  private byIdMap = new Map<number, Merchant>();

  constructor(private readonly db: SandboxDb) {}

  async load(): Promise<void> {
    const rows = await this.db.selectFrom('merchant').selectAll().execute();
    this.byIdMap = new Map(rows.map((r) => [r.id, toMerchant(r)]));
  }

  all(): Merchant[] {
    return [...this.byIdMap.values()];
  }

  byId(id: number): Merchant | null {
    return this.byIdMap.get(id) ?? null;
  }

  byCode(impCode: string): Merchant | null {
    for (const m of this.byIdMap.values()) if (m.imp_code === impCode) return m;
    return null;
  }

  byKey(impKey: string): Merchant | null {
    for (const m of this.byIdMap.values()) if (m.imp_key === impKey) return m;
    return null;
  }

  demo(): Merchant {
    const demo = this.all().find((m) => m.is_demo);
    if (!demo) throw new Error('sandbox demo merchant missing');
    return demo;
  }

  /** The merchant a control names (imp_code), or the demo merchant when none is named. */
  resolve(impCode: string | undefined | null): Merchant {
    if (!impCode) return this.demo();
    const found = this.byCode(impCode);
    if (!found) throw new SandboxError(404, `merchant ${impCode} does not exist`);
    return found;
  }

  /** The demo merchant always has the configured credentials; its console settings persist. */
  async ensureDemo(config: { impKey: string; impSecret: string; impCode: string }, nowS: number): Promise<Merchant> {
    const existing = this.all().find((m) => m.is_demo);
    if (existing) {
      if (
        existing.imp_code !== config.impCode ||
        existing.imp_key !== config.impKey ||
        existing.imp_secret !== config.impSecret
      ) {
        // Another merchant may hold the configured code or key: the configuration wins.
        await this.db
          .deleteFrom('merchant')
          .where('is_demo', '=', 0)
          .where((eb) => eb.or([eb('imp_code', '=', config.impCode), eb('imp_key', '=', config.impKey)]))
          .execute();
        await this.db
          .updateTable('merchant')
          .set({ imp_code: config.impCode, imp_key: config.impKey, imp_secret: config.impSecret })
          .where('id', '=', existing.id)
          .execute();
        await this.load();
      }
      return this.demo();
    }
    await this.db
      .insertInto('merchant')
      .values({
        imp_code: config.impCode,
        imp_key: config.impKey,
        imp_secret: config.impSecret,
        name: 'Sandbox demo merchant',
        webhook_url: null,
        webhook_format: 'json',
        webhook_scenario: '{}',
        partial_cancel_status: 'paid',
        default_pg: 'html5_inicis',
        faults: null,
        is_demo: 1,
        created_at: nowS,
      })
      .execute();
    await this.load();
    return this.demo();
  }

  async create(input: MerchantSettings & { imp_code?: string }, nowS: number): Promise<Merchant> {
    const imp_code = input.imp_code ?? this.freeCode();
    const imp_key = input.imp_key ?? randomBytes(8).toString('hex');
    if (this.byCode(imp_code)) throw new SandboxError(409, `merchant ${imp_code} already exists`);
    if (this.byKey(imp_key)) throw new SandboxError(409, 'imp_key is already used by another merchant');
    const row = await this.db
      .insertInto('merchant')
      .values({
        imp_code,
        imp_key,
        imp_secret: input.imp_secret ?? randomBytes(24).toString('hex'),
        name: input.name ?? `Merchant ${imp_code}`,
        webhook_url: input.webhook_url ?? null,
        webhook_format: input.webhook_format ?? 'json',
        webhook_scenario: JSON.stringify(input.webhook_scenario ?? {}),
        partial_cancel_status: input.partial_cancel_status ?? 'paid',
        default_pg: input.default_pg ?? 'html5_inicis',
        faults: null,
        is_demo: 0,
        created_at: nowS,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const merchant = toMerchant(row);
    this.byIdMap.set(merchant.id, merchant);
    return merchant;
  }

  async update(merchant: Merchant, patch: MerchantSettings): Promise<Merchant> {
    if (patch.imp_key !== undefined && patch.imp_key !== merchant.imp_key && this.byKey(patch.imp_key)) {
      throw new SandboxError(409, 'imp_key is already used by another merchant');
    }
    const set: MerchantUpdate = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.imp_key !== undefined) set.imp_key = patch.imp_key;
    if (patch.imp_secret !== undefined) set.imp_secret = patch.imp_secret;
    if (patch.webhook_url !== undefined) set.webhook_url = patch.webhook_url;
    if (patch.webhook_format !== undefined) set.webhook_format = patch.webhook_format;
    if (patch.webhook_scenario !== undefined) set.webhook_scenario = JSON.stringify(patch.webhook_scenario);
    if (patch.partial_cancel_status !== undefined) set.partial_cancel_status = patch.partial_cancel_status;
    if (patch.default_pg !== undefined) set.default_pg = patch.default_pg;
    if (Object.keys(set).length === 0) return merchant;
    const row = await this.db
      .updateTable('merchant')
      .set(set)
      .where('id', '=', merchant.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const updated = toMerchant(row);
    this.byIdMap.set(updated.id, updated);
    return updated;
  }

  async setFaults(merchant: Merchant, faults: ApiFaults | null): Promise<Merchant> {
    await this.db
      .updateTable('merchant')
      .set({ faults: faults ? JSON.stringify(faults) : null })
      .where('id', '=', merchant.id)
      .execute();
    const updated = { ...merchant, faults };
    this.byIdMap.set(updated.id, updated);
    return updated;
  }

  /** Counts one faulted request against `remaining`; clears the faults when it reaches 0. */
  async consumeFault(merchant: Merchant): Promise<void> {
    const faults = merchant.faults;
    if (!faults || faults.remaining === null) return;
    const remaining = Math.max(0, faults.remaining - 1);
    await this.setFaults(merchant, { ...faults, remaining });
  }

  private freeCode(): string {
    for (;;) {
      const code = `imp${String(randomInt(10_000_000, 100_000_000))}`;
      if (!this.byCode(code)) return code;
    }
  }
}
