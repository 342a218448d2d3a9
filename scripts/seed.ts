import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, sql, type Insertable } from 'kysely';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadConfig, type DatabaseTarget } from '../app/config.server';
import { rebuildOverview } from '../app/monitor/dashboard/overview.server';
import { createStore, getStore, type Store } from '../app/monitor/stores/stores.server';
import { createLogger } from '../app/logger.server';
import { openDatabase, type Db } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import type { Database } from '../db/schema';
import type { AttentionReason, FlagKind, OrderStatus, VerificationOutcome } from '../app/monitor/status';
import { phoneDigits } from '../app/monitor/search-keys';

/**
 * `npm run db:seed -- --orders 1000000 [--stores 3] [--days 365] [--seed 1]`: fills the configured
 * database (DATABASE_URL / DATA_DIR, migrated first) with realistic orders and their evidence, for
 * demos and the dashboard benchmark: a status mix, redirect hits in every flag style, webhook
 * deliveries (on time, late, duplicated, missing), gateway checks, verifications, attention
 * reasons (most resolved, some open), a few days of reconciliation runs and audit events. It
 * appends: existing data stays, merchant_uids carry a per-run tag. Deterministic for a given seed
 * and `now`. Rows go in as multi-row INSERTs compiled once per table, a transaction per 5,000
 * orders, so 1M orders (about 6M rows) take a couple of minutes on SQLite.
 */

export type SeedOptions = {
  orders: number;
  stores: number;
  /** How far back orders go from `now`. */
  days: number;
  seed: number;
  now: Date;
  /** The API base URL of the seeded stores (the sandbox's by default). */
  apiBaseUrl: string;
  appSecret: string;
  dialect: 'sqlite' | 'postgres';
  onProgress?: (done: number, total: number) => void;
  /** The better-sqlite3 connection `db` runs on, when SQLite: statements are then prepared once. */
  sqlite?: SQLite.Database;
};

export type SeedResult = { stores: string[]; orders: number; rows: Record<string, number>; ms: number };

type Tables = keyof Database;
type Row<T extends Tables> = Insertable<Database[T]>;

const ORDERS_PER_TRANSACTION = 5_000;
const ROWS_PER_STATEMENT = 400;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function prng(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T extends string>(rand: () => number, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((n, [, w]) => n + w, 0);
  let r = rand() * total;
  for (const [value, w] of table) {
    r -= w;
    if (r < 0) return value;
  }
  return table[table.length - 1]![0];
}

const STATUS_MIX = [
  ['paid', 78],
  ['failed', 8],
  ['pending', 4],
  ['cancelled', 5],
  ['vbank_issued', 2.5],
  ['partially_cancelled', 1.3],
  ['mismatch', 0.2],
] as const;
const METHODS = [
  ['card', 68],
  ['kakaopay', 12],
  ['trans', 8],
  ['vbank', 8],
  ['phone', 4],
] as const;
const PGS = [
  ['html5_inicis', 35],
  ['kcp', 25],
  ['nice', 15],
  ['kakaopay', 12],
  ['tosspayments', 13],
] as const;
const FLAGS = [
  ['imp_success', 55],
  ['success', 30],
  ['none', 15],
] as const;
/** Share of orders per KST hour of day: quiet at night, busy at lunch and in the evening. */
const HOUR_WEIGHTS = [3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 6, 6, 7, 8, 9, 10, 10, 8, 5];
const HOUR_TABLE = HOUR_WEIGHTS.map((w, h) => [String(h), w] as const);
const FAMILY = ['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임', '한', '오', '서', '신', '권'];
const GIVEN = [
  '민준',
  '서연',
  '지호',
  '하은',
  '도윤',
  '서준',
  '수아',
  '지우',
  '예준',
  '지민',
  '시우',
  '하윤',
  '주원',
  '유나',
  '건우',
];
const PRODUCTS = [
  '티셔츠',
  '운동화',
  '원두 1kg',
  '무선 이어폰',
  '백팩',
  '머그컵',
  '텀블러',
  '노트북 파우치',
  '캠핑 의자',
  '선크림',
];
const FAIL_CODES = [
  ['F400', '사용자가 결제를 취소하였습니다'],
  ['F1001', '카드 한도초과'],
  ['F1002', '잔액부족'],
  ['F0004', 'PG 설정 오류'],
] as const;

// ---------------------------------------------------------------------------------------------
// Batched inserts

/**
 * Collects rows per table and writes them as multi-row INSERTs whose SQL is compiled once per
 * table and batch size (Kysely's compiler, so placeholders suit the dialect).
 */
class BatchWriter {
  private readonly compiled = new Map<string, { sql: string; columns: string[] }>();
  private readonly prepared = new Map<string, SQLite.Statement>();
  readonly counts: Record<string, number> = {};
  /** With `sqlite` (the connection under `db`), statements are prepared once and run directly. */
  constructor(
    private readonly db: Db,
    private readonly sqlite?: SQLite.Database,
  ) {}

  private async run(db: Db, text: string, params: unknown[], returning: boolean): Promise<{ id: number }[]> {
    if (!this.sqlite) return (await db.executeQuery<{ id: number }>(CompiledQuery.raw(text, params))).rows;
    let statement = this.prepared.get(text);
    if (!statement) {
      statement = this.sqlite.prepare(text);
      this.prepared.set(text, statement);
    }
    if (returning) return statement.all(params) as { id: number }[];
    statement.run(params);
    return [];
  }

  private statement<T extends Tables>(
    table: T,
    columns: string[],
    n: number,
    returning: boolean,
  ): { sql: string; columns: string[] } {
    const key = `${table}|${n}|${returning}|${columns.join(',')}`;
    let found = this.compiled.get(key);
    if (!found) {
      const placeholder = Object.fromEntries(columns.map((c) => [c, null])) as Row<T>;
      const insert = this.db.insertInto(table).values(Array.from({ length: n }, () => placeholder) as never);
      found = { sql: (returning ? insert.returning(sql<number>`id`.as('id')) : insert).compile().sql, columns };
      this.compiled.set(key, found);
    }
    return found;
  }

  /** Inserts `rows` (all with the same keys) and answers their ids in order when asked to. */
  async insert<T extends Tables>(
    db: Db,
    table: T,
    rows: Row<T>[],
    options: { returnIds?: boolean } = {},
  ): Promise<number[]> {
    const ids: number[] = [];
    if (rows.length === 0) return ids;
    const columns = Object.keys(rows[0]!);
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const { sql } = this.statement(table, columns, chunk.length, options.returnIds === true);
      const params: unknown[] = [];
      for (const row of chunk) for (const c of columns) params.push((row as Record<string, unknown>)[c] ?? null);
      const answered = await this.run(db, sql, params, options.returnIds === true);
      if (options.returnIds) {
        if (answered.length !== chunk.length)
          throw new Error(`${table}: ${answered.length} ids for ${chunk.length} rows`);
        for (const r of answered) ids.push(Number(r.id));
        // Ids come back in VALUES order; a gap-free ascending run proves it.
        for (let k = ids.length - chunk.length + 1; k < ids.length; k++)
          if (ids[k]! <= ids[k - 1]!) throw new Error(`${table}: ids out of order`);
      }
    }
    this.counts[table] = (this.counts[table] ?? 0) + rows.length;
    return ids;
  }
}

// ---------------------------------------------------------------------------------------------
// One order and its evidence

type PlannedOrder = {
  order: Row<'order'>;
  redirect: Omit<Row<'redirect_hit'>, 'order_id'> | null;
  /** Accepted deliveries; `duplicate` ones point at the first. */
  webhooks: { row: Omit<Row<'webhook_delivery'>, 'order_id' | 'duplicate_of'>; duplicate: boolean }[];
  /** Each check is followed by the verification it decided. */
  checks: {
    check: Omit<Row<'gateway_check'>, 'order_id'>;
    verification: Omit<
      Row<'verification'>,
      'order_id' | 'gateway_check_id' | 'redirect_hit_id' | 'webhook_delivery_id'
    >;
    via: 'redirect' | 'webhook' | 'schedule';
  }[];
  reasons: Omit<Row<'attention_reason'>, 'order_id'>[];
};

const iso = (ms: number) => new Date(ms).toISOString();

const EMAIL_NAMES = ['minjun', 'seoyeon', 'jiho', 'haeun', 'doyun', 'jiwoo', 'Kim.Sora', 'LEE', 'park', 'choi'];
const EMAIL_DOMAINS = ['naver.com', 'gmail.com', 'daum.net', 'kakao.com', 'Example.co.kr'];

/**
 * A buyer's email and phone, derived from the order number (not from the random stream, so
 * adding them left every other seeded value as it was): a phone number is nearly unique, in the
 * notations gateways pass on; an email's start is shared by about a tenth of the buyers.
 */
function buyerContact(n: number): { email: string; tel: string } {
  const h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  const email = `${EMAIL_NAMES[h % EMAIL_NAMES.length]}${n % 10007}@${EMAIL_DOMAINS[(h >>> 8) % EMAIL_DOMAINS.length]}`;
  const mid = String(1000 + ((h >>> 4) % 9000));
  const last = String(n % 10000).padStart(4, '0');
  const tel = h % 10 === 0 ? `+82 10-${mid}-${last}` : h % 10 === 1 ? `010${mid}${last}` : `010-${mid}-${last}`;
  return { email, tel };
}

function planOrder(
  rand: () => number,
  ctx: { store: Store; n: number; tag: string; createdMs: number; nowMs: number },
): PlannedOrder {
  const { store, createdMs, nowMs } = ctx;
  let status: OrderStatus = weighted(rand, STATUS_MIX);
  const ageMs = nowMs - createdMs;
  // A registered order with nothing yet is only plausible in the last hour: most buyers gave up
  // (the gateway says failed); the rest are the stale backlog. Most virtual accounts got funded.
  if (status === 'pending' && ageMs > 3_600_000 && rand() < 0.97) status = 'failed';
  if (status === 'vbank_issued' && ageMs > 3 * 86_400_000 && rand() < 0.85) status = 'paid';
  const method = status === 'vbank_issued' ? 'vbank' : weighted(rand, METHODS);
  const pg = method === 'kakaopay' ? 'kakaopay' : weighted(rand, PGS);
  const amount = Math.max(1000, Math.round(Math.exp(8.5 + rand() * 3.6) / 100) * 100);
  const impUid = `imp_${String(100_000_000_000 + ctx.n).slice(-12)}`;
  const merchantUid = `${ctx.tag}-${String(ctx.n).padStart(8, '0')}`;
  const buyer = `${FAMILY[Math.floor(rand() * FAMILY.length)]}${GIVEN[Math.floor(rand() * GIVEN.length)]}`;
  const contact = buyerContact(ctx.n);
  const evidenceOnly = rand() < 0.003;

  const windowMs = 20_000 + Math.floor(rand() * 160_000);
  const endMs = Math.min(createdMs + windowMs, nowMs);
  const paid = ['paid', 'cancelled', 'partially_cancelled', 'mismatch'].includes(status);
  const paidAmount = status === 'mismatch' ? Math.max(100, Math.round(amount / 10)) : amount;
  const paidAtMs = paid ? endMs : null;
  const cancelAmount =
    status === 'cancelled' ? paidAmount : status === 'partially_cancelled' ? Math.round(paidAmount / 2 / 100) * 100 : 0;
  const gatewayStatus =
    status === 'pending'
      ? null
      : status === 'vbank_issued'
        ? 'ready'
        : status === 'failed'
          ? 'failed'
          : status === 'cancelled'
            ? 'cancelled'
            : 'paid';

  const plan: PlannedOrder = { order: null as never, redirect: null, webhooks: [], checks: [], reasons: [] };
  const reasonsOpen: AttentionReason[] = [];
  const addReason = (reason: AttentionReason, openedMs: number, detail: string, resolveAfterMs: number | null) => {
    const resolvedMs = resolveAfterMs === null ? null : openedMs + resolveAfterMs;
    const stillOpen = resolvedMs === null || resolvedMs > nowMs;
    plan.reasons.push({
      reason,
      opened_at: iso(Math.min(openedMs, nowMs)),
      detail,
      resolved_at: stillOpen ? null : iso(resolvedMs!),
      resolved_by: stillOpen ? null : rand() < 0.8 ? 'gateway' : 'ops@example.com',
      resolution_note: null,
    });
    if (stillOpen) reasonsOpen.push(reason);
  };

  // The redirect: most browsers come back; the flag style depends on the PG.
  const redirected = status !== 'pending' && rand() < 0.86;
  let flagKind: FlagKind = weighted(rand, FLAGS);
  if (redirected) {
    const atMs = Math.min(endMs + 1000 + Math.floor(rand() * 4000), nowMs);
    const ok = status !== 'failed';
    const flagValue = flagKind === 'none' ? null : String(ok);
    const failure = status === 'failed' ? FAIL_CODES[Math.floor(rand() * FAIL_CODES.length)]! : null;
    const query = new URLSearchParams({ imp_uid: impUid, merchant_uid: merchantUid });
    if (flagValue !== null) query.set(flagKind, flagValue);
    if (failure) {
      query.set('error_code', failure[0]);
      query.set('error_msg', failure[1]);
    }
    plan.redirect = {
      store_slug: store.slug,
      store_id: store.id,
      received_at: iso(atMs),
      query_string: query.toString(),
      query_truncated: 0,
      ip: `211.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`,
      user_agent:
        rand() < 0.7
          ? 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 KAKAOTALK'
          : 'Mozilla/5.0 (Linux; Android 15; SM-S928N) Chrome/131.0 Mobile Safari/537.36',
      parse_error: null,
      imp_uid: impUid,
      merchant_uid: merchantUid,
      flag_kind: flagKind,
      flag_value: flagValue,
      error_code: failure?.[0] ?? null,
      error_msg: failure?.[1] ?? null,
    };
  } else {
    flagKind = 'none';
  }

  // Webhooks: usually seconds after the payment, sometimes minutes or hours, sometimes never.
  const webhookStatus = gatewayStatus === 'cancelled' ? 'paid' : gatewayStatus;
  const sendsWebhook =
    webhookStatus !== null && webhookStatus !== 'failed' ? rand() < 0.93 : webhookStatus === 'failed' && rand() < 0.5;
  let webhookMs: number | null = null;
  if (sendsWebhook) {
    const r = rand();
    const delayMs =
      r < 0.02
        ? -1500
        : r < 0.8
          ? 300 + rand() * 4000
          : r < 0.92
            ? 5000 + rand() * 25_000
            : r < 0.97
              ? 30_000 + rand() * 270_000
              : r < 0.995
                ? 300_000 + rand() * 3_000_000
                : 3_600_000 + rand() * 20 * 3_600_000;
    webhookMs = Math.round(endMs + delayMs);
    if (webhookMs <= nowMs) {
      const body = JSON.stringify({ imp_uid: impUid, merchant_uid: merchantUid, status: webhookStatus });
      const row = {
        store_slug: store.slug,
        store_id: store.id,
        received_at: iso(webhookMs),
        content_type: 'application/json',
        headers_json: JSON.stringify([
          ['content-type', 'application/json'],
          ['user-agent', 'Iamport-Webhook'],
        ]),
        body_text: body,
        body_base64: null,
        body_bytes: Buffer.byteLength(body),
        source_ip: rand() < 0.97 ? '52.78.100.19' : '203.0.113.50',
        ip_listed: 1,
        answer_status: 200,
        parse_error: null,
        imp_uid: impUid,
        merchant_uid: merchantUid,
        status: webhookStatus,
        cancellation_id: null,
      };
      plan.webhooks.push({ row, duplicate: false });
      if (rand() < 0.03 && webhookMs + 60_000 <= nowMs)
        plan.webhooks.push({ row: { ...row, received_at: iso(webhookMs + 60_000) }, duplicate: true });
    } else {
      webhookMs = null;
    }
  }

  // Verifications: one per trigger that came, each with the gateway check it rests on.
  const outcome: VerificationOutcome = status === 'pending' ? 'unverified' : status;
  const check = (atMs: number, trigger: 'redirect' | 'webhook' | 'schedule', ok: boolean) => {
    const raw = ok
      ? JSON.stringify({
          code: 0,
          message: null,
          response: {
            imp_uid: impUid,
            merchant_uid: merchantUid,
            status: gatewayStatus ?? 'ready',
            amount: paidAmount,
            cancel_amount: cancelAmount,
            currency: 'KRW',
            pay_method: method,
            pg_provider: pg,
            buyer_name: buyer,
            buyer_email: contact.email,
            buyer_tel: contact.tel,
            paid_at: paidAtMs ? Math.floor(paidAtMs / 1000) : 0,
          },
        })
      : null;
    plan.checks.push({
      via: trigger,
      check: {
        store_id: store.id,
        trigger,
        operation: 'getPayment',
        imp_uid: impUid,
        merchant_uid: merchantUid,
        checked_at: iso(atMs),
        ok: ok ? 1 : 0,
        http_status: ok ? 200 : null,
        error_kind: ok ? null : 'indeterminate',
        error_code: null,
        error_message: ok ? null : 'no answer within 3000 ms',
        latency_ms: ok ? 40 + Math.floor(rand() * 260) : 3000,
        raw_json: raw,
      },
      verification: {
        trigger,
        decided_at: iso(atMs + 1),
        outcome: ok ? outcome : 'unverified',
        status_before: 'pending',
        status_after: ok ? status : 'pending',
        gateway_status: ok ? gatewayStatus : null,
        expected_amount: amount,
        paid_amount: ok && paid ? paidAmount : null,
        currency: ok ? 'KRW' : null,
        reasons_opened: '[]',
        reasons_resolved: '[]',
      },
    });
  };
  const redirectUnverified = rand() < 0.02;
  if (plan.redirect)
    check(Date.parse(plan.redirect.received_at) + 50, 'redirect', !redirectUnverified || status === 'pending');
  if (webhookMs !== null) check(Math.min(webhookMs + 200, nowMs), 'webhook', true);
  if (!plan.redirect && webhookMs === null && status !== 'pending')
    check(Math.min(createdMs + 30 * 60_000, nowMs), 'schedule', true);

  // Attention reasons, as the verification rules would have opened them.
  const quick = () => 60_000 + rand() * 3_600_000;
  if (plan.redirect && flagKind === 'none')
    addReason(
      'missing_flag',
      Date.parse(plan.redirect.received_at),
      'the redirect carried neither imp_success nor success',
      rand() < 0.995 ? 1000 : null,
    );
  if (redirectUnverified && plan.redirect)
    addReason(
      'unverified',
      Date.parse(plan.redirect.received_at),
      'gateway: no answer within 3000 ms',
      rand() < 0.97 ? quick() : null,
    );
  if (
    plan.redirect &&
    webhookMs === null &&
    (gatewayStatus === 'paid' || gatewayStatus === 'ready' || gatewayStatus === 'cancelled')
  ) {
    addReason(
      'redirect_without_webhook',
      Date.parse(plan.redirect.received_at) + store.webhookGraceSeconds * 1000,
      `no webhook within ${store.webhookGraceSeconds} s of the redirect`,
      rand() < 0.95 ? 2 * 3_600_000 + rand() * 20 * 3_600_000 : null,
    );
  }
  if (status === 'mismatch')
    addReason(
      'amount_mismatch',
      endMs,
      `expected ${amount} KRW, the gateway says ${paidAmount} KRW`,
      rand() < 0.6 ? 3_600_000 + rand() * 48 * 3_600_000 : null,
    );
  if (status === 'pending' && ageMs > store.stalePendingSeconds * 1000)
    addReason('stale_pending', createdMs + store.stalePendingSeconds * 1000, 'no evidence since registration', null);
  if (status === 'vbank_issued' && ageMs > 3 * 86_400_000)
    addReason(
      'vbank_overdue',
      createdMs + 3 * 86_400_000,
      'the virtual account passed its due date without a deposit',
      rand() < 0.5 ? 86_400_000 : null,
    );
  if (evidenceOnly)
    addReason(
      'unknown_order',
      endMs,
      'not registered by the merchant; expected amount taken from the prepare record',
      rand() < 0.9 ? 86_400_000 : null,
    );
  if (status === 'paid' && rand() < 0.002)
    addReason('late_change', endMs + 86_400_000, 'the gateway said failed, now paid', rand() < 0.5 ? 3_600_000 : null);
  const open = reasonsOpen.length;

  plan.order = {
    store_id: store.id,
    merchant_uid: merchantUid,
    expected_amount: amount,
    currency: 'KRW',
    name: PRODUCTS[Math.floor(rand() * PRODUCTS.length)]!,
    source: evidenceOnly ? 'evidence' : 'api',
    status,
    imp_uid: status === 'pending' ? null : impUid,
    gateway_status: gatewayStatus,
    paid_amount: paid ? paidAmount : null,
    cancel_amount: paid ? cancelAmount : null,
    pay_method: status === 'pending' ? null : method,
    pg_provider: status === 'pending' ? null : pg,
    buyer_name: status === 'pending' ? null : buyer,
    buyer_email: status === 'pending' ? null : contact.email,
    buyer_tel: status === 'pending' ? null : contact.tel,
    buyer_tel_digits: status === 'pending' ? null : phoneDigits(contact.tel),
    vbank_due_at: status === 'vbank_issued' ? iso(createdMs + 3 * 86_400_000) : null,
    prepared_at: rand() < 0.4 ? iso(createdMs) : null,
    created_at: iso(createdMs),
    updated_at: iso(
      Math.max(
        createdMs,
        ...plan.checks.map((c) => Date.parse(c.verification.decided_at)),
        ...plan.reasons.map((r) => Date.parse(r.resolved_at ?? r.opened_at)),
      ),
    ),
    paid_at: paidAtMs ? iso(paidAtMs) : null,
    last_checked_at: plan.checks.length ? plan.checks[plan.checks.length - 1]!.check.checked_at : null,
    next_check_at: open > 0 ? iso(nowMs + Math.floor(rand() * 3_600_000)) : null,
    check_attempts: plan.checks.length,
    open_reason_count: open,
  };
  return plan;
}

// ---------------------------------------------------------------------------------------------

/** Ensures the seed stores `seed-1` … `seed-N` exist (created through the domain, so their secrets are sealed). */
async function seedStores(db: Db, options: SeedOptions): Promise<Store[]> {
  const stores: Store[] = [];
  const names = ['Seoul Coffee Roasters', 'Busan Outdoor', 'Jeju Goods', 'Daegu Books', 'Incheon Tech'];
  for (let i = 1; i <= options.stores; i++) {
    const slug = `seed-${i}`;
    const existing = await getStore({ db }, slug);
    if (existing) {
      stores.push(existing);
      continue;
    }
    const created = await createStore(
      { db, now: () => options.now, appSecret: options.appSecret },
      {
        slug,
        name: names[(i - 1) % names.length]! + (i > names.length ? ` ${i}` : ''),
        impCode: `imp${String(10_000_000 + i).slice(-8)}`,
        impKey: 'sandbox_imp_key',
        impSecret: 'sandbox_imp_secret',
        apiBaseUrl: options.apiBaseUrl,
        landingSuccessUrl: `https://shop${i}.example/order/done`,
        landingFailureUrl: `https://shop${i}.example/order/failed`,
        landingPendingUrl: null,
      },
    );
    stores.push(created.store);
  }
  return stores;
}

/**
 * Creation times for `total` orders over the last `days` KST days, oldest first (ids follow time,
 * as in production, which also keeps index inserts at the end of each index): busier towards the
 * present (a growing shop) and by KST hour of day.
 */
function* chronologicalTimes(rand: () => number, o: { total: number; days: number; nowMs: number }): Generator<number> {
  const kstToday = Math.floor((o.nowMs + 9 * 3_600_000) / 86_400_000) * 86_400_000 - 9 * 3_600_000;
  const weights = Array.from({ length: o.days }, (_, d) => 1 + (2 * d) / o.days);
  const sum = weights.reduce((a, b) => a + b, 0);
  let emitted = 0;
  let carried = 0;
  for (let d = 0; d < o.days; d++) {
    const exact = (o.total * weights[d]!) / sum + carried;
    const count = d === o.days - 1 ? o.total - emitted : Math.floor(exact);
    carried = exact - count;
    const dayStart = kstToday - (o.days - 1 - d) * 86_400_000;
    // Today only up to now.
    const dayEnd = Math.min(dayStart + 86_400_000, o.nowMs);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      let t = dayStart + Number(weighted(rand, HOUR_TABLE)) * 3_600_000 + Math.floor(rand() * 3_600_000);
      if (t >= dayEnd) t = dayStart + Math.floor(rand() * Math.max(1, dayEnd - dayStart));
      times.push(t);
    }
    times.sort((a, b) => a - b);
    yield* times;
    emitted += count;
  }
}

/** Writes the orders and their evidence; see the module comment. */
export async function seedDatabase(db: Db, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const rand = prng(options.seed);
  const stores = await seedStores(db, options);
  const writer = new BatchWriter(db, options.sqlite);
  if (options.dialect === 'sqlite') {
    // A large seed is index inserts: a cache that holds the hot index pages, and no fsync per
    // checkpoint (a seed cut short by a crash is simply run again). This connection only.
    await sql`pragma cache_size = -262144`.execute(db);
    await sql`pragma synchronous = off`.execute(db);
  }
  const nowMs = options.now.getTime();
  const spanDays = Math.max(1, options.days);
  const tag = `s${options.seed}${Math.floor(nowMs / 1000).toString(36)}`;
  const created = chronologicalTimes(rand, { total: options.orders, days: spanDays, nowMs });
  // Store shares: the first store is the busiest.
  const storeTable = stores.map((s, i) => [String(i), 1 / (i + 1)] as const);

  let n = 0;
  while (n < options.orders) {
    const count = Math.min(ORDERS_PER_TRANSACTION, options.orders - n);
    const plans: PlannedOrder[] = [];
    for (let i = 0; i < count; i++) {
      const store = stores[Number(weighted(rand, storeTable))]!;
      plans.push(planOrder(rand, { store, n: n + i + 1, tag, createdMs: created.next().value as number, nowMs }));
    }
    await db.transaction().execute(async (trx) => {
      const orderIds = await writer.insert(
        trx,
        'order',
        plans.map((p) => p.order),
        { returnIds: true },
      );
      const withRedirect = plans.map((p, i) => ({ p, id: orderIds[i]! })).filter((x) => x.p.redirect);
      const redirectIds = await writer.insert(
        trx,
        'redirect_hit',
        withRedirect.map((x) => ({ ...x.p.redirect!, order_id: x.id })),
        { returnIds: true },
      );
      const redirectOf = new Map(withRedirect.map((x, i) => [x.id, redirectIds[i]!]));
      const firsts = plans.flatMap((p, i) =>
        p.webhooks
          .filter((w) => !w.duplicate)
          .map((w) => ({ w, id: orderIds[i]!, evidence: p.order.source === 'evidence' })),
      );
      const webhookIds = await writer.insert(
        trx,
        'webhook_delivery',
        firsts.map((x) => ({ ...x.w.row, order_id: x.evidence ? null : x.id, duplicate_of: null })),
        { returnIds: true },
      );
      const webhookOf = new Map(firsts.map((x, i) => [x.id, webhookIds[i]!]));
      const dups = plans.flatMap((p, i) =>
        p.webhooks
          .filter((w) => w.duplicate)
          .map((w) => ({ w, id: orderIds[i]!, evidence: p.order.source === 'evidence' })),
      );
      await writer.insert(
        trx,
        'webhook_delivery',
        dups.map((x) => ({
          ...x.w.row,
          order_id: x.evidence ? null : x.id,
          duplicate_of: webhookOf.get(x.id) ?? null,
        })),
      );
      const checks = plans.flatMap((p, i) => p.checks.map((c) => ({ c, id: orderIds[i]! })));
      const checkIds = await writer.insert(
        trx,
        'gateway_check',
        checks.map((x) => ({ ...x.c.check, order_id: x.id })),
        { returnIds: true },
      );
      await writer.insert(
        trx,
        'verification',
        checks.map((x, i) => ({
          ...x.c.verification,
          order_id: x.id,
          gateway_check_id: checkIds[i]!,
          redirect_hit_id: x.c.via === 'redirect' ? (redirectOf.get(x.id) ?? null) : null,
          webhook_delivery_id: x.c.via === 'webhook' ? (webhookOf.get(x.id) ?? null) : null,
        })),
      );
      await writer.insert(
        trx,
        'attention_reason',
        plans.flatMap((p, i) => p.reasons.map((r) => ({ ...r, order_id: orderIds[i]! }))),
      );
    });
    n += count;
    options.onProgress?.(n, options.orders);
  }

  await seedRunsAndAudit(db, writer, { stores, nowMs, rand });
  return {
    stores: stores.map((s) => s.slug),
    orders: options.orders,
    rows: writer.counts,
    ms: Math.round(performance.now() - started),
  };
}

/** Two days of hourly reconciliation runs, daily sweeps, and a page or two of audit events. */
async function seedRunsAndAudit(
  db: Db,
  writer: BatchWriter,
  ctx: { stores: Store[]; nowMs: number; rand: () => number },
): Promise<void> {
  const { stores, nowMs, rand } = ctx;
  const sample = await db
    .selectFrom('order')
    .select(['id', 'store_id', 'merchant_uid', 'imp_uid', 'status'])
    .where('open_reason_count', '>', 0)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  for (let h = 48; h >= 1; h--) {
    const kind = h % 24 === 0 ? 'sweep' : 'reconcile';
    const startedMs = nowMs - h * 3_600_000;
    const failed = h === 30;
    const items = sample.slice(
      (h * 3) % Math.max(1, sample.length),
      ((h * 3) % Math.max(1, sample.length)) + 3 + Math.floor(rand() * 5),
    );
    const durationMs = 200 + Math.floor(rand() * 4000);
    const [run] = await writer.insert(
      db,
      'reconcile_run',
      [
        {
          kind,
          trigger: h === 5 ? 'button' : 'schedule',
          store_slug: null,
          dry_run: 0,
          all_orders: 0,
          window_from: kind === 'sweep' ? iso(startedMs - 86_400_000) : null,
          window_to: kind === 'sweep' ? iso(startedMs) : null,
          started_at: iso(startedMs),
          finished_at: iso(startedMs + durationMs),
          status: failed ? 'failed' : 'ok',
          examined: items.length,
          settled: Math.floor(items.length / 2),
          still_open: items.length - Math.floor(items.length / 2),
          errors: failed ? 1 : 0,
          gateway_calls: items.length + 1,
          duration_ms: durationMs,
          started_by: h === 5 ? 'ops@example.com' : 'scheduler',
          lease_holder: 'seed-host:1234',
          error: failed ? `${stores[0]?.slug ?? 'store'}: gateway unavailable: 503 (5 failed calls in a row)` : null,
        },
      ],
      { returnIds: true },
    );
    await writer.insert(
      db,
      'reconcile_run_store',
      stores.map((s, i) => ({
        run_id: run!,
        store_id: s.id,
        store_slug: s.slug,
        status: failed && i === 0 ? 'failed' : 'ok',
        window_from: null,
        window_to: null,
        window_done: 1,
        examined: items.filter((it) => it.store_id === s.id).length,
        settled: 0,
        still_open: 0,
        not_reached: 0,
        reasons_opened: 0,
        errors: failed && i === 0 ? 1 : 0,
        gateway_calls: 1,
        error: failed && i === 0 ? 'gateway unavailable: 503' : null,
        started_at: iso(startedMs),
        finished_at: iso(startedMs + durationMs),
      })),
    );
    await writer.insert(
      db,
      'reconcile_run_item',
      items.map((it, k) => ({
        run_id: run!,
        store_id: it.store_id,
        order_id: it.id,
        merchant_uid: it.merchant_uid,
        imp_uid: it.imp_uid,
        status_before: it.status,
        status_after: it.status,
        outcome: k % 2 === 0 ? 'unverified' : 'reason_resolved',
        reasons_opened: '[]',
        error: null,
        at: iso(startedMs + k * 50),
      })),
    );
  }

  const users = await db.selectFrom('user').select(['id', 'email']).orderBy('id').limit(3).execute();
  const actions = ['order.recheck', 'order.resolve', 'order.recheck', 'store.update', 'run.start'] as const;
  const events: Row<'audit_event'>[] = [];
  for (let i = 0; i < 120; i++) {
    const user = users.length ? users[i % users.length]! : null;
    const action = actions[i % actions.length]!;
    const order = sample[i % Math.max(1, sample.length)];
    const at = iso(nowMs - (120 - i) * 37 * 60_000);
    const target =
      action.startsWith('order.') && order
        ? { type: 'order', id: String(order.id) }
        : action === 'store.update'
          ? { type: 'store', id: stores[0]?.slug ?? 'seed-1' }
          : { type: 'run', id: '1' };
    events.push({
      at,
      actor_user_id: user?.id ?? null,
      actor_label: user?.email ?? 'system',
      action,
      target_type: target.type,
      target_id: target.id,
      reason: action === 'order.resolve' ? '고객센터 확인: 입금 완료 (<b>escaped</b>)' : null,
      before_json:
        action === 'store.update'
          ? JSON.stringify({ webhookGraceSeconds: 600 })
          : action === 'order.resolve'
            ? JSON.stringify({ openReasons: ['redirect_without_webhook'] })
            : null,
      after_json:
        action === 'store.update'
          ? JSON.stringify({ webhookGraceSeconds: 900 })
          : action === 'order.resolve'
            ? JSON.stringify({ openReasons: [] })
            : null,
      ip: '198.51.100.7',
    });
  }
  await writer.insert(db, 'audit_event', events);
}

// ---------------------------------------------------------------------------------------------
// CLI

/** Like openDatabase, but keeps the SQLite connection at hand for prepared statements. */
export function openSeedDatabase(target: DatabaseTarget): {
  db: Db;
  sqlite?: SQLite.Database;
  close: () => Promise<void>;
} {
  if (target.dialect !== 'sqlite') return openDatabase(target);
  mkdirSync(path.dirname(target.filename), { recursive: true });
  const sqlite = new SQLite(target.filename);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, sqlite, close: () => db.destroy() };
}

export const SEED_USAGE =
  'usage: npm run db:seed -- --orders N [--stores 3] [--days 365] [--seed 1] [--api-base-url URL]';

async function cli(argv: string[]): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h' || a === 'help')) {
    console.log(
      `${SEED_USAGE}\n  Fills the configured database (DATABASE_URL / DATA_DIR) with N generated orders and their evidence, for benchmarks.`,
    );
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        orders: { type: 'string' },
        stores: { type: 'string', default: '3' },
        days: { type: 'string', default: '365' },
        seed: { type: 'string', default: '1' },
        'api-base-url': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${SEED_USAGE}`);
    return 2;
  }
  const int = (v: string | undefined, min: number, max: number) =>
    v !== undefined && /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : null;
  const orders = int(values.orders, 1, 50_000_000);
  const stores = int(values.stores, 1, 50);
  const days = int(values.days, 1, 3650);
  const seed = int(values.seed, 0, 2 ** 31);
  if (orders === null || stores === null || days === null || seed === null) {
    console.error(SEED_USAGE);
    return 2;
  }
  const config = loadConfig();
  const log = createLogger('warn');
  const handle = openSeedDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const now = new Date();
    const apiBaseUrl =
      values['api-base-url'] ?? config.sandbox.publicUrl ?? `http://127.0.0.1:${config.sandbox.port || 3001}`;
    let lastShown = 0;
    const result = await seedDatabase(handle.db, {
      orders,
      stores,
      days,
      seed,
      now,
      apiBaseUrl,
      appSecret: config.appSecret,
      dialect: config.database.dialect,
      sqlite: handle.sqlite,
      onProgress: (done, total) => {
        if (done - lastShown >= total / 20 || done === total) {
          lastShown = done;
          process.stdout.write(`  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} orders\n`);
        }
      },
    });
    const rollupStarted = performance.now();
    // The seeded rows are back-dated: only a full rebuild counts them.
    const rollup = await rebuildOverview({ db: handle.db, config, now: () => new Date(), log });
    console.log(
      `seeded ${result.orders.toLocaleString('en-US')} orders in stores ${result.stores.join(', ')} in ${(result.ms / 1000).toFixed(1)} s`,
    );
    console.log(
      `rows: ${Object.entries(result.rows)
        .map(([t, c]) => `${t} ${c.toLocaleString('en-US')}`)
        .join(', ')}`,
    );
    console.log(
      `overview rollup: rebuilt ${rollup.hours.toLocaleString('en-US')} hours in ${((performance.now() - rollupStarted) / 1000).toFixed(1)} s`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
