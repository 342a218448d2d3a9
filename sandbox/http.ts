import type { IncomingMessage, ServerResponse } from 'node:http';
import { MSG } from './rules';

/** An expected refusal: becomes an envelope with this HTTP status and code, never a stack trace. */
export class SandboxError extends Error {
  override name = 'SandboxError';
  constructor(
    readonly status: number,
    message: string,
    readonly code = -1,
  ) {
    super(message);
  }
}

const JSON_TYPE = 'application/json; charset=UTF-8';

/** `{code, message, response}` with `message: null` on success (iamport-facts §2). */
export function sendEnvelope(
  res: ServerResponse,
  status: number,
  code: number,
  message: string | null,
  response: unknown,
): void {
  sendJsonText(res, status, JSON.stringify({ code, message, response }));
}

export function sendOk(res: ServerResponse, response: unknown, status = 200): void {
  sendEnvelope(res, status, 0, null, response);
}

export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=UTF-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(html);
}

export function sendRedirect(res: ServerResponse, status: 302 | 303, location: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store' });
  res.end();
}

/** Reads the whole body, refusing more than `limit` bytes with a 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new SandboxError(413, MSG.bodyTooLarge));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new SandboxError(413, MSG.bodyTooLarge));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/**
 * A form or query string as an object. `key[]` and repeated keys become arrays, so
 * `notice_url[]=a&notice_url[]=b` and `imp_uid[]=…` read the way the API documents them.
 */
export function formToObject(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of params) {
    const isArray = rawKey.endsWith('[]');
    const key = isArray ? rawKey.slice(0, -2) : rawKey;
    const existing = out[key];
    if (Array.isArray(existing)) existing.push(value);
    else if (existing !== undefined) out[key] = [existing, value];
    else out[key] = isArray ? [value] : value;
  }
  return out;
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** JSON or form-urlencoded (both accepted everywhere, iamport-facts §3); an empty body is `{}`. */
export async function readParams(req: IncomingMessage, limit = 1024 * 1024): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limit);
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  const type = mediaType(req);
  if (
    type === 'application/x-www-form-urlencoded' ||
    (type !== 'application/json' && !text.startsWith('{') && !text.startsWith('['))
  ) {
    return formToObject(new URLSearchParams(text));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new SandboxError(400, MSG.badJson);
  }
}

/** Like readParams but keeps a top-level array (bulk controls). */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readBody(req, limit);
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  if (mediaType(req) === 'application/x-www-form-urlencoded') return formToObject(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SandboxError(400, MSG.badJson);
  }
}

/** Splits a path into decoded segments; a malformed escape is a 400, not a crash. */
export function pathSegments(pathname: string): string[] {
  const parts = pathname.split('/').slice(1);
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    throw new SandboxError(400, '경로를 해석할 수 없습니다. (잘못된 percent-encoding)');
  }
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON safe to embed inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
