import type { SandboxDb } from './connection';
import type { PaymentRow } from './schema';
import type { PaymentStatus, Sorting } from '../rules';

type SortColumn = 'started_at' | 'paid_at' | 'updated_at';

function sortOf(sorting: Sorting): { column: SortColumn; direction: 'asc' | 'desc' } {
  const desc = sorting.startsWith('-');
  const key = desc ? sorting.slice(1) : sorting;
  const column: SortColumn = key === 'paid' ? 'paid_at' : key === 'updated' ? 'updated_at' : 'started_at';
  return { column, direction: desc ? 'desc' : 'asc' };
}

export async function paymentByImpUid(
  db: SandboxDb,
  merchantId: number,
  impUid: string,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payment')
    .selectAll()
    .where('imp_uid', '=', impUid)
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
}

export async function paymentsByImpUids(db: SandboxDb, merchantId: number, impUids: string[]): Promise<PaymentRow[]> {
  if (impUids.length === 0) return [];
  return db
    .selectFrom('payment')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('imp_uid', 'in', impUids)
    .execute();
}

/** For each merchant_uid, its most recently started payment (what /payments/find answers). */
export async function latestByMerchantUids(
  db: SandboxDb,
  merchantId: number,
  merchantUids: string[],
): Promise<Map<string, PaymentRow>> {
  const out = new Map<string, PaymentRow>();
  if (merchantUids.length === 0) return out;
  const rows = await db
    .selectFrom('payment')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('merchant_uid', 'in', merchantUids)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  for (const row of rows) if (!out.has(row.merchant_uid)) out.set(row.merchant_uid, row);
  return out;
}

function byMerchantUid(db: SandboxDb, merchantId: number, merchantUid: string, status: PaymentStatus | null) {
  let q = db.selectFrom('payment').where('merchant_id', '=', merchantId).where('merchant_uid', '=', merchantUid);
  if (status) q = q.where('status', '=', status);
  return q;
}

export async function findOneByMerchantUid(
  db: SandboxDb,
  merchantId: number,
  merchantUid: string,
  status: PaymentStatus | null,
  sorting: Sorting,
): Promise<PaymentRow | undefined> {
  const { column, direction } = sortOf(sorting);
  return byMerchantUid(db, merchantId, merchantUid, status)
    .selectAll()
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(1)
    .executeTakeFirst();
}

export async function countByMerchantUid(
  db: SandboxDb,
  merchantId: number,
  merchantUid: string,
  status: PaymentStatus | null,
): Promise<number> {
  const row = await byMerchantUid(db, merchantId, merchantUid, status)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function pageByMerchantUid(
  db: SandboxDb,
  merchantId: number,
  merchantUid: string,
  status: PaymentStatus | null,
  sorting: Sorting,
  offset: number,
  limit: number,
): Promise<PaymentRow[]> {
  const { column, direction } = sortOf(sorting);
  return byMerchantUid(db, merchantId, merchantUid, status)
    .selectAll()
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(limit)
    .offset(offset)
    .execute();
}

function byStatusWindow(db: SandboxDb, merchantId: number, status: PaymentStatus | 'all', from: number, to: number) {
  let q = db.selectFrom('payment').where('merchant_id', '=', merchantId);
  if (status !== 'all') q = q.where('status', '=', status);
  return q.where('status_at', '>=', from).where('status_at', '<=', to);
}

export async function countByStatus(
  db: SandboxDb,
  merchantId: number,
  status: PaymentStatus | 'all',
  from: number,
  to: number,
): Promise<number> {
  const row = await byStatusWindow(db, merchantId, status, from, to)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function pageByStatus(
  db: SandboxDb,
  merchantId: number,
  status: PaymentStatus | 'all',
  from: number,
  to: number,
  sorting: Sorting,
  offset: number,
  limit: number,
): Promise<PaymentRow[]> {
  const { column, direction } = sortOf(sorting);
  return byStatusWindow(db, merchantId, status, from, to)
    .selectAll()
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(limit)
    .offset(offset)
    .execute();
}

/** A merchant_uid that was paid (even if refunded since) cannot be paid again (SDK error F1002). */
export async function hasPaidAttempt(db: SandboxDb, merchantId: number, merchantUid: string): Promise<boolean> {
  const row = await db
    .selectFrom('payment')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('merchant_uid', '=', merchantUid)
    .where((eb) => eb.or([eb('status', '=', 'paid'), eb('paid_at', '>', 0)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The payment a merchant_uid-only cancel refunds: the latest paid one with a balance, else the latest. */
export async function cancelTarget(
  db: SandboxDb,
  merchantId: number,
  merchantUid: string,
): Promise<PaymentRow | undefined> {
  const refundable = await db
    .selectFrom('payment')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('merchant_uid', '=', merchantUid)
    .where('status', 'in', ['paid', 'cancelled'])
    .whereRef('cancel_amount', '<', 'amount')
    .orderBy('paid_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return refundable ?? findOneByMerchantUid(db, merchantId, merchantUid, null, '-started');
}
