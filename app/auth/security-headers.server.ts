import { randomBytes } from 'node:crypto';

/**
 * Response headers that make the browser refuse what the app never does: run a script it did not
 * ship, be framed, post a form elsewhere, sniff a content type. Set on every document by
 * app/entry.server.tsx (with a fresh nonce) and on every data response.
 */

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Scripts: our bundles ('self') plus the inline scripts Remix and React render, which carry the
 * per-request nonce. Styles allow 'unsafe-inline' because recharts sets style attributes.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
  ].join('; ');
}

/** The headers every response of the Remix handler gets, documents and data alike. */
export function applyBaseSecurityHeaders(headers: Headers): void {
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('Referrer-Policy', 'same-origin');
  headers.set('X-Frame-Options', 'DENY');
}

export function applyDocumentSecurityHeaders(headers: Headers, nonce: string): void {
  applyBaseSecurityHeaders(headers);
  headers.set('Content-Security-Policy', contentSecurityPolicy(nonce));
}
