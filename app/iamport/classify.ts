import type { z } from 'zod';
import type { GatewayError, GatewayErrorKind } from './types';
import { describeIssues, envelopeWire, type EnvelopeWire } from './wire';

/**
 * How an exchange with the gateway turns into success or a classified error (decision 0110).
 * Pure: the client feeds it what came over the wire; unit tests feed it tables.
 */

/** Network error codes that mean the request never left this machine (safe to send again). */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The kind of an answer whose body we could not use, from its HTTP status alone. */
export function kindForStatus(httpStatus: number): GatewayErrorKind {
  if (httpStatus >= 500 || httpStatus === 429) return 'retryable';
  // A 2xx was processed by the gateway, but we cannot tell what it said: a cancel may have happened.
  if (httpStatus >= 200 && httpStatus < 300) return 'indeterminate';
  return 'rejected';
}

export type Answer =
  | { ok: true; envelope: EnvelopeWire; json: unknown }
  | { ok: false; error: GatewayError; json: unknown; keepText: boolean };

/**
 * Parses one answer's body as the envelope, whatever the status, and classifies it: success only
 * for a 2xx with `code === 0`. A body that is not JSON or not an envelope is an error of the kind
 * its status implies, and the caller keeps its text.
 */
export function classifyAnswer(httpStatus: number, text: string): Answer {
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    const what = text.trim() === '' ? 'an empty body' : 'a body that is not JSON';
    return { ok: false, json: null, keepText: true, error: unreadable(httpStatus, what) };
  }
  const parsed = envelopeWire.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      json,
      keepText: true,
      error: unreadable(httpStatus, `not an Iamport envelope (${describeIssues(parsed.error)})`),
    };
  }
  const envelope = parsed.data;
  const is2xx = httpStatus >= 200 && httpStatus < 300;
  if (is2xx && envelope.code === 0) return { ok: true, envelope, json };
  const kind: GatewayErrorKind = is2xx ? 'rejected' : httpStatus === 401 ? 'rejected' : kindForStatus(httpStatus);
  return {
    ok: false,
    json,
    keepText: false,
    error: {
      kind,
      httpStatus,
      code: envelope.code,
      message: envelope.message ?? `HTTP ${httpStatus}, code ${envelope.code}`,
      // Only the gateway's own enveloped 404 means "does not exist"; a proxy's HTML 404 does not.
      notFound: httpStatus === 404 && envelope.code !== 0,
    },
  };
}

/** An answer whose payload (the envelope's `response`) does not match the expected schema. */
export function unreadablePayload(httpStatus: number, error: z.ZodError | Error): GatewayError {
  const detail = 'issues' in error ? describeIssues(error as z.ZodError) : error.message;
  return unreadable(httpStatus, detail);
}

function unreadable(httpStatus: number, detail: string): GatewayError {
  return {
    kind: kindForStatus(httpStatus),
    httpStatus,
    code: null,
    message: `unreadable answer (HTTP ${httpStatus}): ${detail}`,
    notFound: false,
  };
}

/**
 * A fetch that produced no answer. Our own timeout firing means the request may have been
 * processed (indeterminate); a connection that could not be made means it was not (retryable);
 * anything else (a reset mid-way, an unknown failure) is indeterminate.
 */
export function classifyTransportError(
  error: unknown,
  context: { timedOut: boolean; timeoutMs: number },
): GatewayError {
  if (context.timedOut) {
    return {
      kind: 'indeterminate',
      httpStatus: null,
      code: null,
      message: `no answer within ${context.timeoutMs} ms`,
      notFound: false,
    };
  }
  const codes = errorCodes(error);
  // fetch refuses blocked ports (e.g. 9, "bad port") before opening any connection.
  const notSent = codes.some((code) => NOT_SENT_CODES.has(code)) || causeMessage(error) === 'bad port';
  const detail = [describe(error), ...codes.filter((c) => !describe(error).includes(c))].join(' ');
  return {
    kind: notSent ? 'retryable' : 'indeterminate',
    httpStatus: null,
    code: null,
    message: `network error: ${detail}`,
    notFound: false,
  };
}

function causeMessage(error: unknown): string | null {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : null;
  return cause instanceof Error ? cause.message : null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** Codes of a connection the other side closed under us: typically a kept-alive one it had dropped. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * A fetch that failed because the connection was closed under it, before any answer: on a
 * kept-alive connection the server may close it just as we reuse it. Sending again on a new
 * connection is safe only for requests that change nothing (the client decides which).
 */
export function isConnectionReset(error: unknown): boolean {
  return errorCodes(error).some((code) => RESET_CODES.has(code));
}

/** `code`s of the error, its cause, and an AggregateError's members (undici nests them). */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== 'object' || depth > 3) return [];
  const found: string[] = [];
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') found.push(code);
  found.push(...errorCodes((error as { cause?: unknown }).cause, depth + 1));
  const members = (error as { errors?: unknown }).errors;
  if (Array.isArray(members)) for (const member of members) found.push(...errorCodes(member, depth + 1));
  return found;
}
