import { createReadableStreamFromReadable, writeReadableStreamToWritable } from '@remix-run/node';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The thin bridge between `node:http` and the Fetch API that Remix speaks. We use plain
 * `node:http` rather than Express: see docs/decisions/0004-node-http-server.md for the figures.
 */

export function toFetchRequest(req: IncomingMessage, res: ServerResponse, origin: string): Request {
  const url = new URL(req.url ?? '/', origin);
  const controller = new AbortController();
  res.on('close', () => controller.abort());

  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }

  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: controller.signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = createReadableStreamFromReadable(req);
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/**
 * Writes a Fetch response to Node. `secureCookies`: the request came over TLS (directly or through
 * a trusted proxy) and COOKIE_SECURE=auto, so every cookie is marked `Secure`.
 */
export async function writeFetchResponse(
  response: Response,
  res: ServerResponse,
  options: { secureCookies?: boolean } = {},
): Promise<void> {
  res.statusCode = response.status;
  res.statusMessage = response.statusText;
  const cookies = response.headers
    .getSetCookie()
    .map((cookie) => (options.secureCookies && !/;\s*secure\s*(;|$)/i.test(cookie) ? `${cookie}; Secure` : cookie));
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.appendHeader(name, value);
  }
  if (cookies.length) res.setHeader('set-cookie', cookies);
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}
