/**
 * Search keys of the payment log (docs/decisions/0157-payment-log-buyer-search.md). Pure, and
 * used on both sides: when an order's buyer contact is written (app/monitor/verify/plan.ts) and
 * when a search is parsed, so a stored key and a typed query are normalised the same way.
 */

/**
 * A phone number as the digits it dials: `010-1234-5678`, `010 1234 5678` and `+82 10-1234-5678`
 * are all `01012345678` (a leading +82, Korea's country code, becomes the trunk 0). Null when the
 * text holds no digit.
 */
export function phoneDigits(text: string): string | null {
  const trimmed = text.trim();
  let digits = trimmed.replace(/\D/g, '');
  if (/^\+\s*82/.test(trimmed)) {
    digits = digits.slice(2);
    if (!digits.startsWith('0')) digits = `0${digits}`;
  }
  return digits === '' ? null : digits;
}

/**
 * Lower case for ASCII letters only: what SQLite's `lower()` and PostgreSQL's `lower()` under
 * the `C` collation both do, so a query folded here matches the `lower(...)` expression indexes
 * identically on both engines (`Kim@Example.COM` finds `kim@example.com`; Hangul has no case).
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
