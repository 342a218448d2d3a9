import { PassThrough } from 'node:stream';
import {
  createReadableStreamFromReadable,
  type AppLoadContext,
  type EntryContext,
  type HandleErrorFunction,
} from '@remix-run/node';
import { isRouteErrorResponse } from '@remix-run/react';
import { RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { isDatabaseUnavailable } from '../db/unavailable';
import { applyBaseSecurityHeaders, applyDocumentSecurityHeaders, createNonce } from './auth/security-headers.server';
import { NonceProvider } from './components/nonce';

const ABORT_DELAY = 5_000;

/**
 * Renders every document. Each response gets a fresh CSP nonce, passed to React (its streaming
 * scripts), to RemixServer (single-fetch data scripts) and through NonceProvider to root's
 * <Scripts>/<ScrollRestoration>, plus the security headers.
 */
export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  _loadContext: AppLoadContext,
) {
  const nonce = createNonce();
  applyDocumentSecurityHeaders(responseHeaders, nonce);
  // Pages carry a CSRF token and per-user data: never cached unless a route says otherwise.
  if (!responseHeaders.has('Cache-Control')) responseHeaders.set('Cache-Control', 'private, no-store');
  // Bots get the whole document at once; browsers get the shell as soon as it is ready.
  const waitForAll = isbot(request.headers.get('user-agent') ?? '') || remixContext.isSpaMode;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        [waitForAll ? 'onAllReady' : 'onShellReady']() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors before the shell are logged by Remix's handleDocumentRequest (handleError below).
          if (shellRendered) console.error(error);
        },
      },
    );
    setTimeout(abort, ABORT_DELAY + 1_000);
  });
}

/** Single-fetch data and resource responses get the non-document security headers. */
export function handleDataRequest(response: Response): Response {
  try {
    applyBaseSecurityHeaders(response.headers);
  } catch {
    // A response with immutable headers (one passed through from fetch) keeps its own.
  }
  return response;
}

/** Unexpected loader/action/render errors go to the app's logger; aborted requests are not errors. */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return;
  const log = (context as Partial<AppLoadContext>).log;
  const path = new URL(request.url).pathname;
  // A 404 (a mistyped link, a scanner, /favicon.ico) or another refusal Remix itself answers
  // (405 for `OPTIONS *`) is routine: one info line, the path only.
  if (isRouteErrorResponse(error) && error.status < 500) {
    if (log) log.info({ path, status: error.status }, error.status === 404 ? 'not found' : 'refused');
    return;
  }
  // The database down or restarting is not a bug in the route: the server answers 503 (with
  // Retry-After) instead of 500, and one warning line per request is enough.
  const failure = (context as Partial<AppLoadContext>).failure;
  if (failure && isDatabaseUnavailable(error)) {
    failure.databaseUnavailable = true;
    if (log) log.warn({ path, err: error instanceof Error ? error.message : String(error) }, 'database unavailable');
    return;
  }
  if (log) log.error({ err: error, path }, 'unhandled route error');
  else console.error(error);
};
