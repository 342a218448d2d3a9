import { createRequestHandler, type ServerBuild } from '@remix-run/node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AppContext } from '../app/context.server';
import type { Log } from '../app/logger.server';
import { toFetchRequest, writeFetchResponse } from './http-adapter';
import { serveStatic } from './static';

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
  let draining = false;

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    if (draining) res.setHeader('Connection', 'close');
    res.on('finish', () => {
      log.info(
        {
          method: req.method,
          path: (req.url ?? '/').split('?')[0],
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'request',
      );
      // While draining, a keep-alive socket that just went idle would hold close() open.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    try {
      if (await serveStatic(req, res, publicDir)) return;
      const origin = `http://${req.headers.host ?? 'localhost'}`;
      const request = toFetchRequest(req, res, origin);
      const response = await handle(request, { ...context, clientIp: req.socket.remoteAddress ?? '', rawUrl: req.url ?? '/' });
      await writeFetchResponse(response, res);
    } catch (error) {
      log.error({ err: error }, 'unhandled request error');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'internal', message: 'Internal error' } }));
      } else {
        res.destroy();
      }
    }
  });
  server.keepAliveTimeout = 5_000;

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
