import { sql, type Kysely } from 'kysely';
import { columnTypes } from '../dialect';

/**
 * Buyer contact on the order, for the payment log's search by email, phone and order name
 * (docs/decisions/0157-payment-log-buyer-search.md). Until now the buyer's email and phone lived
 * only inside the gateway's stored answers, which no index reaches.
 * - `buyer_email`, `buyer_tel`: as the gateway's last answer gave them (shown, masked for viewers);
 * - `buyer_tel_digits`: the phone's digits (`+82 10-1234-5678` → `01012345678`), the search key;
 * - indexes: `lower(buyer_email)` (case-insensitive prefix), `buyer_tel_digits` (prefix) and
 *   `lower(name)` (order name prefix). Ranges on them are correct byte-wise: SQLite's BINARY
 *   collation, and `collate "C"` on PostgreSQL (columnTypes).
 * Existing orders are filled from their latest successful payment look-up, in batches.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const T = columnTypes(db);
  // One column per ALTER TABLE: SQLite adds one at a time.
  for (const column of ['buyer_email', 'buyer_tel', 'buyer_tel_digits'])
    await db.schema.alterTable('order').addColumn(column, T.text).execute();
  await backfill(db);
  await sql`create index order_buyer_email_idx on "order" ((lower(buyer_email)))`.execute(db);
  await db.schema.createIndex('order_buyer_tel_digits_idx').on('order').column('buyer_tel_digits').execute();
  await sql`create index order_name_lower_idx on "order" ((lower(name)))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['order_name_lower_idx', 'order_buyer_tel_digits_idx', 'order_buyer_email_idx'])
    await db.schema.dropIndex(name).execute();
  for (const column of ['buyer_tel_digits', 'buyer_tel', 'buyer_email'])
    await db.schema.alterTable('order').dropColumn(column).execute();
}

// A copy frozen with this migration (not app code, which may change after it).
function digitsOf(text: string): string | null {
  const trimmed = text.trim();
  let digits = trimmed.replace(/\D/g, '');
  if (/^\+\s*82/.test(trimmed)) {
    digits = digits.slice(2);
    if (!digits.startsWith('0')) digits = `0${digits}`;
  }
  return digits === '' ? null : digits;
}

type Contact = { email: string | null; tel: string | null };

/** The buyer contact of the payment for `merchantUid` inside one stored gateway answer. */
function contactIn(rawJson: string, merchantUid: string): Contact | null {
  let root: unknown;
  try {
    root = JSON.parse(rawJson);
  } catch {
    return null;
  }
  const queue: unknown[] = [root];
  for (let seen = 0; queue.length && seen < 2000; seen++) {
    const value = queue.shift();
    if (Array.isArray(value)) {
      queue.push(...value);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const r = value as Record<string, unknown>;
    if (typeof r.imp_uid === 'string' && typeof r.merchant_uid === 'string') {
      if (r.merchant_uid !== merchantUid) continue;
      const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.slice(0, 320) : null);
      return { email: text(r.buyer_email), tel: text(r.buyer_tel) };
    }
    for (const key of ['response', 'list']) if (key in r) queue.push(r[key]);
  }
  return null;
}

const BATCH = 1000;

async function backfill(untyped: Kysely<unknown>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = untyped as Kysely<any>;
  let after = 0;
  for (;;) {
    const orders = (await db
      .selectFrom('order')
      .select(['id', 'merchant_uid'])
      .where('id', '>', after)
      .where('imp_uid', 'is not', null)
      .orderBy('id')
      .limit(BATCH)
      .execute()) as { id: number | string; merchant_uid: string }[];
    if (orders.length === 0) return;
    after = Number(orders[orders.length - 1]!.id);
    const ids = orders.map((o) => Number(o.id));
    const answers = (await db
      .selectFrom('gateway_check')
      .select(['order_id', 'raw_json'])
      .where('order_id', 'in', ids)
      .where('ok', '=', 1)
      .where('raw_json', 'is not', null)
      .orderBy('id', 'desc')
      .execute()) as { order_id: number | string; raw_json: string }[];
    const byOrder = new Map<number, string[]>();
    for (const a of answers) {
      const list = byOrder.get(Number(a.order_id)) ?? [];
      list.push(a.raw_json);
      byOrder.set(Number(a.order_id), list);
    }
    for (const order of orders) {
      let contact: Contact | null = null;
      for (const raw of byOrder.get(Number(order.id)) ?? []) {
        contact = contactIn(raw, order.merchant_uid);
        if (contact) break;
      }
      if (!contact || (contact.email === null && contact.tel === null)) continue;
      await db
        .updateTable('order')
        .set({
          buyer_email: contact.email,
          buyer_tel: contact.tel,
          buyer_tel_digits: contact.tel === null ? null : digitsOf(contact.tel),
        })
        .where('id', '=', Number(order.id))
        .execute();
    }
  }
}
