import { sql } from 'kysely';
import type { Db } from './connection';

/**
 * Retention of raw evidence (migration 0051, app/monitor/jobs/purge.server.ts). The purge empties
 * the raw part of a redirect hit (`query_string`), a webhook delivery (`body_text`,
 * `body_base64`, `headers_json`) and a gateway check (`raw_json`), and stamps `purged_at`; every
 * parsed column, the order, its verifications, reasons and the audit trail stay.
 *
 * A row is purged only when it is older than the cutoff and no unsettled order (still `pending`,
 * or with an open reason) links to it, neither by its `order_id` nor through a verification,
 * and no queued unverified evidence names it.
 */

export type EvidenceTable = 'redirect_hit' | 'webhook_delivery' | 'gateway_check';

const TIME_COLUMN: Record<EvidenceTable, 'received_at' | 'checked_at'> = {
  redirect_hit: 'received_at',
  webhook_delivery: 'received_at',
  gateway_check: 'checked_at',
};
const VERIFICATION_LINK: Record<EvidenceTable, 'redirect_hit_id' | 'webhook_delivery_id' | 'gateway_check_id'> = {
  redirect_hit: 'redirect_hit_id',
  webhook_delivery: 'webhook_delivery_id',
  gateway_check: 'gateway_check_id',
};

/** The ids of the next batch of purgeable rows of one table for one store, after `afterId`. */
export async function purgeableIds(
  db: Db,
  table: EvidenceTable,
  input: { storeId: number; cutoff: string; afterId: number; limit: number },
): Promise<number[]> {
  const link = VERIFICATION_LINK[table];
  // One query shape for the three tables; the table name is a closed union, never user input.
  const t = sql.table(table);
  const rows = await sql<{ id: number }>`
    select e.id from ${t} e
    where e.store_id = ${input.storeId}
      and e.id > ${input.afterId}
      and e.purged_at is null
      and e.${sql.ref(TIME_COLUMN[table])} < ${input.cutoff}
      and not exists (
        select 1 from "order" o
        where o.id = e.order_id and (o.status = 'pending' or o.open_reason_count > 0))
      and not exists (
        select 1 from verification v join "order" o on o.id = v.order_id
        where v.${sql.ref(link)} = e.id and (o.status = 'pending' or o.open_reason_count > 0))
      ${
        table === 'gateway_check'
          ? sql``
          : sql`and not exists (select 1 from unverified_evidence u where u.${sql.ref(link)} = e.id)`
      }
    order by e.id
    limit ${input.limit}`.execute(db);
  return rows.rows.map((r) => Number(r.id));
}

/** Empties the raw part of these rows and stamps them; resolves with how many changed. */
export async function purgeRows(db: Db, table: EvidenceTable, ids: number[], at: string): Promise<number> {
  if (ids.length === 0) return 0;
  const result =
    table === 'redirect_hit'
      ? await db
          .updateTable('redirect_hit')
          .set({ query_string: '', purged_at: at })
          .where('id', 'in', ids)
          .where('purged_at', 'is', null)
          .executeTakeFirst()
      : table === 'webhook_delivery'
        ? await db
            .updateTable('webhook_delivery')
            .set({ body_text: '', body_base64: null, headers_json: '[]', purged_at: at })
            .where('id', 'in', ids)
            .where('purged_at', 'is', null)
            .executeTakeFirst()
        : await db
            .updateTable('gateway_check')
            .set({ raw_json: null, purged_at: at })
            .where('id', 'in', ids)
            .where('purged_at', 'is', null)
            .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
