import { createRequestHandler, type ActionFunction, type ServerBuild } from '@remix-run/node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AppContext } from '../app/context.server';
import type { Log } from '../app/logger.server';
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
      const loadContext = { ...context, clientIp: req.socket.remoteAddress ?? '', rawUrl: req.url ?? '/' };
      const fast = direct(req.method, req.url);
      const response = fast
        ? await fast({ request, params: fast.params, context: loadContext })
        : await handle(request, loadContext);
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
