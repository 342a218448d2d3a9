import { createRequestHandler, type ActionFunction, type ServerBuild } from '@remix-run/node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AppContext } from '../app/context.server';
import { AppError, DATABASE_RETRY_AFTER_S, errorResponse } from '../app/errors';
import { negotiateLocale } from '../app/i18n/locale';
import { messages } from '../app/i18n/messages';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { Log } from '../app/logger.server';
import { clientAddress, clientHost, clientScheme, isCrossSiteOrigin } from '../app/proxy.server';
import { toFetchRequest, writeFetchResponse } from './http-adapter';
import { serveStatic } from './static';

type ActionArgs = Parameters<ActionFunction>[0];
type DirectAction = ((args: ActionArgs) => Promise<Response>) & { params: Record<string, string> };

const WEBHOOK_ROUTE_ID = 'routes/webhooks.iamport.$store';
const WEBHOOK_PATH = /^\/webhooks\/iamport\/([^/?#]+)\/?(?:\?.*)?$/;

/**
 * Webhook deliveries are the one hot path: Iamport posts them in bursts and waits on the answer.
 * They go straight to the route module's own action, skipping Remix's router and its data
 * pipeline (docs/decisions/0007-webhook-fast-path.md); everything else goes through Remix.
 */
function directRoute(build: ServerBuild) {
  const action = build.routes[WEBHOOK_ROUTE_ID]?.module.action as ((args: ActionArgs) => Promise<Response>) | undefined;
  return (method: string | undefined, url: string | undefined): DirectAction | null => {
    if (!action || method !== 'POST' || !url) return null;
    const match = WEBHOOK_PATH.exec(url);
    if (!match) return null;
    let store: string;
    try {
      store = decodeURIComponent(match[1]!);
    } catch {
      return null;
    }
    return Object.assign((args: ActionArgs) => action(args), { params: { store } });
  };
}

/** A plain JSON refusal from the server itself (before Remix), closing the connection. */
function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Connection', 'close');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * A request body must arrive within `ms` of the head: an unfinished chunked body, a short
 * Content-Length or a trickle answers 408 and closes the connection, whatever the route is
 * doing with the stream (it sees the body end with an error).
 */
function bodyDeadline(req: IncomingMessage, res: ServerResponse, ms: number): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.complete) return;
  const timer = setTimeout(() => {
    if (req.complete) return;
    if (!res.headersSent) {
      res.statusCode = 408;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Connection', 'close');
      res.end(
        JSON.stringify({ error: { code: 'request_timeout', message: 'The request body did not arrive in time.' } }),
      );
      res.once('finish', () => req.destroy());
    } else {
      req.destroy();
    }
  }, ms);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
}

/**
 * The answer while the database is down or restarting: 503 with Retry-After, JSON for API and
 * webhook callers (Iamport retries a non-2xx delivery), a short page for a browser.
 */
function databaseUnavailable(contentType: string | null, acceptLanguage: string | undefined): Response {
  const locale = negotiateLocale(acceptLanguage ?? null);
  const message = messages[locale]['error.databaseUnavailable'];
  const headers = { 'Retry-After': String(DATABASE_RETRY_AFTER_S), 'Cache-Control': 'no-store' };
  if (contentType?.startsWith('text/html')) {
    const page = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>503</title></head><body><h1>503</h1><p>${escapeHtml(message)}</p></body></html>`;
    return new Response(page, { status: 503, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
  }
  return errorResponse(new AppError('database_unavailable', message), headers);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type AppServer = {
  server: Server;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  drain: (timeoutMs: number) => Promise<void>;
};

/**
 * The HTTP front of the monitor: static files, then the Remix handler, with one log line per
 * request (method, path without the query string, status, duration; never headers or bodies).
 */
export function createAppServer(options: {
  build: ServerBuild;
  context: AppContext;
  log: Log;
  publicDir: string;
  mode?: 'production' | 'development';
}): AppServer {
  const { context, log, publicDir } = options;
  const handle = createRequestHandler(options.build, options.mode ?? 'production');
  const direct = directRoute(options.build);
  let draining = false;

  const { http } = context.config;
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s, longer than they are).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(http.headersTimeoutMs / 4))),
    },
    async (req: IncomingMessage, res: ServerResponse) => {
      const started = performance.now();
      if (draining) res.setHeader('Connection', 'close');
      res.on('finish', () => {
        const line = {
          method: req.method,
          path: (req.url ?? '/').split('?')[0],
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        };
        log.info(line, 'request');
        // While draining, a keep-alive socket that just went idle would hold close() open.
        if (draining) setImmediate(() => server.closeIdleConnections());
      });
      const peer = req.socket.remoteAddress ?? '';
      const trust = http.trustProxy;
      const host = clientHost(peer, req.headers.host, req.headers['x-forwarded-host'], trust);
      if (!host) return refuse(res, 400, 'bad_host', 'The Host header is missing or malformed.');
      // Armed until the body has arrived (it clears itself on 'end'): a route that answered
      // without reading a trickling body must not leave the connection held either.
      bodyDeadline(req, res, http.bodyTimeoutMs);
      try {
        if (await serveStatic(req, res, publicDir)) return;
        const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
        const scheme = clientScheme(peer, encrypted, req.headers['x-forwarded-proto'], trust);
        const fast = direct(req.method, req.url);
        // Remix refuses a cross-site action by throwing (a 500); it is a 403 here, for every route
        // but the webhook (Iamport's deliveries carry no Origin; a forged one is evidence).
        if (!fast && isCrossSiteOrigin(req.method, req.headers.origin, host))
          return refuse(res, 403, 'cross_site', 'Cross-site form submissions are refused.');
        // Only a trusted proxy's X-Forwarded-Host reaches Remix (its own CSRF check reads it).
        if (req.headers['x-forwarded-host'] !== undefined) req.headers['x-forwarded-host'] = host;
        const request = toFetchRequest(req, res, `${scheme}://${host}`);
        const loadContext = {
          ...context,
          clientIp: clientAddress(peer, req.headers['x-forwarded-for'], trust),
          rawUrl: req.url ?? '/',
          failure: { databaseUnavailable: false },
        };
        let response = fast
          ? await fast({ request, params: fast.params, context: loadContext })
          : await handle(request, loadContext);
        if (res.headersSent || res.writableEnded) return; // answered 408 by the body deadline
        // Remix answers 500 for any thrown error; the database being down is a 503.
        if (response.status === 500 && loadContext.failure.databaseUnavailable)
          response = databaseUnavailable(response.headers.get('content-type'), req.headers['accept-language']);
        const secureCookies = context.config.auth.cookieSecureAuto && scheme === 'https';
        await writeFetchResponse(response, res, { secureCookies });
      } catch (error) {
        // (Not `req.destroyed`: a request whose body was read to the end is destroyed too, and a
        // route that failed after reading it, as the webhook's does when the database is down,
        // must still answer.)
        if (res.headersSent || res.writableEnded || res.destroyed || req.socket.destroyed) {
          // Answered already (a body deadline's 408), or the client went away: not our error.
          res.destroy();
          return;
        }
        if (isDatabaseUnavailable(error)) {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'database unavailable');
          await writeFetchResponse(databaseUnavailable('application/json', req.headers['accept-language']), res, {
            secureCookies: false,
          });
          return;
        }
        log.error({ err: error }, 'unhandled request error');
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'internal', message: 'Internal error' } }));
      }
    },
  );
  server.keepAliveTimeout = 5_000;
  // A request whose head never parses (bad request line, header overflow) gets a plain 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const reason =
      status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const drain = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      draining = true;
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, timeoutMs);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });

  return { server, drain };
}
