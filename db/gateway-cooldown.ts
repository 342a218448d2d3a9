import type { Kysely } from 'kysely';
import type { Database } from './schema';
import type { GatewayCooldownRow } from './reconcile-schema';

/** Gateway cooldowns: one row per store, shared by every process (app/monitor/jobs/gateway-manners.ts). */

type Q = Kysely<Database>;

export function findCooldown(db: Q, storeId: number): Promise<GatewayCooldownRow | undefined> {
  return db.selectFrom('gateway_cooldown').selectAll().where('store_id', '=', storeId).executeTakeFirst();
}

export async function saveCooldown(db: Q, row: GatewayCooldownRow): Promise<void> {
  await db
    .insertInto('gateway_cooldown')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('store_id')
        .doUpdateSet({ level: row.level, until: row.until, last_error: row.last_error, updated_at: row.updated_at }),
    )
    .execute();
}

export async function clearCooldown(db: Q, storeId: number): Promise<void> {
  await db.deleteFrom('gateway_cooldown').where('store_id', '=', storeId).execute();
}
