import { randomBytes } from 'node:crypto';
import type { SandboxDb } from './db/connection';
import { decideToken } from './rules';

type CachedToken = { merchantId: number; expiresAt: number; revoked: boolean };

/**
 * Access tokens, one live token per merchant (iamport-facts §1.2). Cached in memory for the hot path
 * and stored in SQLite so a restart keeps clients' tokens valid.
 */
export class TokenStore {
  private cache = new Map<string, CachedToken>();

  constructor(private readonly db: SandboxDb) {}

  /** getToken: the same token until expiry, +5 minutes in its last minute, else a new one. */
  async issue(merchantId: number, nowS: number): Promise<{ access_token: string; now: number; expired_at: number }> {
    const current = await this.db
      .selectFrom('token')
      .select(['token', 'expires_at'])
      .where('merchant_id', '=', merchantId)
      .where('revoked', '=', 0)
      .orderBy('expires_at', 'desc')
      .executeTakeFirst();
    const decision = decideToken(current ? { expiresAt: current.expires_at } : null, nowS);
    if (decision.action !== 'issue' && current) {
      if (decision.action === 'extend') {
        await this.db
          .updateTable('token')
          .set({ expires_at: decision.expiresAt })
          .where('token', '=', current.token)
          .execute();
        this.cache.set(current.token, { merchantId, expiresAt: decision.expiresAt, revoked: false });
      }
      return { access_token: current.token, now: nowS, expired_at: decision.expiresAt };
    }
    // Tokens expired for a day are of no use to anyone: keep the table small.
    await this.db
      .deleteFrom('token')
      .where('merchant_id', '=', merchantId)
      .where('expires_at', '<', nowS - 86_400)
      .execute();
    const token = randomBytes(20).toString('hex');
    await this.db
      .insertInto('token')
      .values({ token, merchant_id: merchantId, issued_at: nowS, expires_at: decision.expiresAt, revoked: 0 })
      .execute();
    this.cache.set(token, { merchantId, expiresAt: decision.expiresAt, revoked: false });
    return { access_token: token, now: nowS, expired_at: decision.expiresAt };
  }

  /** The merchant a token belongs to, or null when it is unknown, revoked or expired. */
  async authenticate(token: string, nowS: number): Promise<number | null> {
    let entry = this.cache.get(token);
    if (!entry) {
      const row = await this.db
        .selectFrom('token')
        .select(['merchant_id', 'expires_at', 'revoked'])
        .where('token', '=', token)
        .executeTakeFirst();
      if (!row) return null;
      entry = { merchantId: row.merchant_id, expiresAt: row.expires_at, revoked: row.revoked === 1 };
      this.cache.set(token, entry);
    }
    if (entry.revoked || entry.expiresAt <= nowS) return null;
    return entry.merchantId;
  }

  /** Every token of the merchant stops working at once (the next call is a 401). */
  async revokeAll(merchantId: number): Promise<number> {
    const result = await this.db
      .updateTable('token')
      .set({ revoked: 1 })
      .where('merchant_id', '=', merchantId)
      .where('revoked', '=', 0)
      .executeTakeFirst();
    for (const [token, entry] of this.cache) if (entry.merchantId === merchantId) this.cache.delete(token);
    return Number(result.numUpdatedRows);
  }

  clearCache(): void {
    this.cache.clear();
  }
}
