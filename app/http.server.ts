/** Request-reading helpers shared by resource routes. */

/**
 * Reads at most `limit` bytes of a request body. A longer body is not buffered past the limit:
 * the caller gets the first `limit` bytes and `tooLarge: true`, and should answer with
 * `Connection: close`. The stream is left unread rather than cancelled: cancelling destroys the
 * socket before the answer can be written.
 */
export async function readBodyLimited(
  request: Request,
  limit: number,
): Promise<{ bytes: Uint8Array; tooLarge: boolean }> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (!request.body) return { bytes: new Uint8Array(0), tooLarge: false };
  if (Number.isFinite(declared) && declared > limit) return { bytes: new Uint8Array(0), tooLarge: true };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      reader.releaseLock();
      return { bytes: concat(chunks, size), tooLarge: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { bytes: concat(chunks, size), tooLarge: false };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The query string exactly as the client sent it (without the leading `?`), from the raw request target. */
export function rawQueryOf(rawUrl: string): string {
  const url = rawUrl;
  const at = url.indexOf('?');
  if (at < 0) return '';
  const hash = url.indexOf('#', at);
  return url.slice(at + 1, hash < 0 ? undefined : hash);
}

/** The base URL merchants should use: PUBLIC_URL when configured, else this request's origin. */
export function publicBaseUrl(request: Request, configured: string | null): string {
  return configured ?? new URL(request.url).origin;
}
