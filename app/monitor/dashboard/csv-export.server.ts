import { maskText } from './mask';
import { choosePageDriver, type OrderKey, type OrderSort } from '../../../db/payment-log';
import { formatIsoWithOffset } from '../../i18n/format';
import type { Payment } from '../../iamport/types';
import { latestPaymentsOf, paymentFacts, vbankFacts } from '../payment-facts.server';
import { listAllStores } from '../stores/stores.server';
import { orderLogPage, parseOrderLogParams } from './payment-log.server';
import type { OrderLogItem, ReadDeps } from './shared.server';

/** The payment log as a CSV file (`/orders/export.csv`): the whole filtered set, streamed. */

export const CSV_COLUMNS = [
  'id',
  'store',
  'merchant_uid',
  'imp_uid',
  'name',
  'status',
  'open_reasons',
  'expected_amount',
  'paid_amount',
  'cancel_amount',
  'currency',
  'pay_method',
  'pg_provider',
  'buyer_name',
  'created_at',
  'updated_at',
  'paid_at',
  'net_amount',
  'buyer_email',
  'buyer_tel',
  'fail_reason',
  'cancel_reason',
  'vbank_bank',
  'vbank_num',
  'vbank_holder',
  'vbank_amount',
  'vbank_due',
  'vbank_overdue',
] as const;

/** Rows fetched per query while streaming the export. */
export const CSV_CHUNK = 1000;

// A formula start (ASCII or full-width ＝＋－＠, which spreadsheets also accept), possibly after
// whitespace, or a leading tab / carriage return.
const FORMULA_START = /^(?:[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|[\t\r])/;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break. A text that a
 * spreadsheet would run as a formula (starting with = + - @ or their full-width forms, possibly
 * after whitespace, or with a tab or carriage return) is prefixed with `'` first, so a buyer
 * name like `=HYPERLINK(…)` stays text (OWASP "CSV injection").
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: (string | number | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * One order as a CSV line. Amounts follow app/monitor/amounts.ts (paid_amount is empty for an
 * order nothing was paid for; cancel_amount is what was refunded of it); times carry the display
 * zone's offset (`2026-11-25T01:30:05+09:00`); contact, reasons and the virtual account come from
 * the gateway's last answer.
 */
function csvRow(item: OrderLogItem, payment: Payment | null, now: Date, maskBuyer: boolean): string {
  const facts = paymentFacts(payment);
  // Viewers get buyer fields masked (decision 0011).
  const buyer = (value: string | null) => (maskBuyer && value !== null ? maskText(value) : value);
  const vbank =
    item.status === 'vbank_issued'
      ? vbankFacts(payment, { dueAt: null, amount: item.awaitingDeposit, currency: item.currency }, now)
      : null;
  return csvLine([
    item.id,
    item.store.slug,
    item.merchantUid,
    item.impUid,
    item.name,
    item.status,
    item.openReasons.join(' '),
    item.expectedAmount,
    item.paidAmount,
    item.cancelAmount,
    item.currency,
    item.payMethod,
    item.pgProvider,
    buyer(item.buyerName),
    formatIsoWithOffset(item.createdAt),
    formatIsoWithOffset(item.updatedAt),
    formatIsoWithOffset(item.paidAt),
    item.netAmount,
    buyer(facts.buyerEmail),
    buyer(facts.buyerTel),
    facts.failReason,
    facts.cancelReason,
    vbank?.bank ?? null,
    vbank?.number ?? null,
    vbank?.holder ?? null,
    vbank?.amount ?? null,
    vbank ? formatIsoWithOffset(vbank.deadline) : null,
    vbank ? (vbank.overdue ? 'yes' : 'no') : null,
  ]);
}

/**
 * The filtered log as CSV, streamed: the database is read in keyset chunks of CSV_CHUNK rows
 * as the client reads, so memory stays flat whatever the size. The cursor of the page being
 * viewed is ignored: the export is the whole filtered set, in the page's order. Starts with a
 * UTF-8 BOM so spreadsheet programs read Korean text correctly.
 */
export async function exportOrderLogCsv(
  deps: ReadDeps,
  params: URLSearchParams,
  now: Date,
  options: { maskBuyer?: boolean } = {},
): Promise<{ filename: string; body: ReadableStream<Uint8Array> }> {
  const parsed = { ...(await parseOrderLogParams(deps, params)), cursor: null, size: CSV_CHUNK };
  const stores = await listAllStores(deps);
  // One plan for the whole export: the probes run once, not per chunk.
  const driver = await choosePageDriver(deps.db, parsed.filter, parsed.sort);
  const encoder = new TextEncoder();
  let after: OrderKey | undefined;
  let started = false;
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`\uFEFF${csvLine([...CSV_COLUMNS])}`));
        return;
      }
      if (done) return;
      const page = await orderLogPage(
        deps,
        { ...parsed, cursor: after ? { page: 'after', key: after } : null },
        stores,
        driver,
      );
      if (page.items.length > 0) {
        const payments = await latestPaymentsOf(deps, page.items);
        controller.enqueue(
          encoder.encode(
            page.items
              .map((item) => csvRow(item, payments.get(item.id) ?? null, now, options.maskBuyer === true))
              .join(''),
          ),
        );
      }
      if (page.next) {
        const last = page.items[page.items.length - 1]!;
        after = { value: sortValueOf(last, parsed.sort), id: last.id };
      } else {
        done = true;
        controller.close();
      }
    },
  });
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return { filename: `orders-${stamp}.csv`, body };
}

function sortValueOf(item: OrderLogItem, sort: OrderSort): string | number {
  switch (sort) {
    case 'created':
      return item.createdAt;
    case 'updated':
      return item.updatedAt;
    case 'amount':
      return item.expectedAmount ?? item.gatewayAmount ?? 0;
  }
}
