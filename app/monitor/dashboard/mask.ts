/**
 * Buyer fields (name, phone, email, address) are personal data: viewers (role `viewer`) see them
 * masked, in the order's fields and inside raw evidence (gateway answers, webhook bodies, query
 * strings). Pure; the logger redacts the same fields (app/logger.server.ts).
 */

/** Keys Iamport uses for buyer data (reference §3.1 Payment), in JSON bodies and query strings. */
export const BUYER_KEYS = ['buyer_name', 'buyer_email', 'buyer_tel', 'buyer_addr', 'buyer_postcode'] as const;
const BUYER = new Set<string>(BUYER_KEYS);

/** Keeps the first character of each word (and an email's domain), hides the rest. */
export function maskText(value: string): string {
  const at = value.indexOf('@');
  if (at > 0) return `${maskText(value.slice(0, at))}@${value.slice(at + 1)}`;
  return [...value]
    .map((ch, i, all) => (i === 0 || /[\s\-.,()]/u.test(ch) || /[\s]/u.test(all[i - 1] ?? '') ? ch : '*'))
    .join('');
}

function maskValue(value: unknown): unknown {
  return typeof value === 'string' && value !== '' ? maskText(value) : value;
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      BUYER.has(k) ? maskValue(v) : maskDeep(v, depth + 1),
    ]),
  );
}

/**
 * Masks buyer fields inside a raw text: JSON (pretty-printed back the way it came, compact or
 * not) or a query string / form body. Text that is neither is returned unchanged.
 */
export function maskRawText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      return JSON.stringify(maskDeep(parsed), null, trimmed.includes('\n') ? 2 : undefined);
    } catch {
      return text;
    }
  }
  if (!BUYER_KEYS.some((k) => text.includes(k))) return text;
  return text.replace(
    /(^|[?&])(buyer_(?:name|email|tel|addr|postcode))=([^&]*)/g,
    (_m, lead: string, key: string, raw: string) => {
      let decoded = raw;
      try {
        decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        // keep the raw text; it is masked as it is
      }
      return `${lead}${key}=${encodeURIComponent(maskText(decoded))}`;
    },
  );
}

/** Masks what a viewer sees of one timeline entry (raw evidence fields only). */
export function maskTimelineEntry<T extends { kind: string }>(entry: T): T {
  const e = entry as T & { queryString?: string; body?: string; rawJson?: string | null };
  if (e.kind === 'redirect_hit' && typeof e.queryString === 'string')
    return { ...entry, queryString: maskRawText(e.queryString) };
  if (e.kind === 'webhook_delivery' && typeof e.body === 'string') return { ...entry, body: maskRawText(e.body) };
  if (e.kind === 'gateway_check' && typeof e.rawJson === 'string') return { ...entry, rawJson: maskRawText(e.rawJson) };
  return entry;
}

/** Whether this role sees buyer fields masked. */
export function masksBuyer(role: string): boolean {
  return role === 'viewer';
}

/** An order log page or item list as a viewer sees it. */
export function maskItems<T extends { buyerName: string | null }>(role: string, items: T[]): T[] {
  if (!masksBuyer(role)) return items;
  return items.map((item) => ({ ...item, buyerName: item.buyerName === null ? null : maskText(item.buyerName) }));
}

/** An order's detail as a viewer sees it: the buyer's name and the raw evidence masked. */
export function maskOrderDetail<T extends { order: { buyerName: string | null }; timeline: { kind: string }[] }>(
  role: string,
  detail: T,
): T {
  if (!masksBuyer(role)) return detail;
  const [order] = maskItems(role, [detail.order]);
  return { ...detail, order: order!, timeline: detail.timeline.map(maskTimelineEntry) };
}
