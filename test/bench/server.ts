import { createRequestHandler, type ServerBuild } from '@remix-run/node';
import express from 'express';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../../app/config.server';
import { createAppContext } from '../../app/context.server';
import { toFetchRequest, writeFetchResponse } from '../../server/http-adapter';
import { createAppServer } from '../../server/app-server';
import { createTestDb } from '../helpers/db';
import { formatLoad, runLoad } from './load';

/**
 * Which HTTP front is lighter for the Remix handler: plain node:http (ours) or Express 5?
 * Both serve GET /healthz (a Remix resource route with one SQLite query) on loopback;
 * a bare node:http "ok" server is the baseline.
 */
export async function main() {
  const t = await createTestDb();
  const log = pino({ level: 'silent' });
  const config = loadConfig({ DATA_DIR: t.dir, DATABASE_URL: `file:${t.filename}`, APP_SECRET: 'b'.repeat(32) });
  const context = createAppContext({ config, db: t.db, log });
  const root = path.resolve(import.meta.dirname, '../..');
  const build = (await import(pathToFileURL(path.join(root, 'build/index.js')).href)) as ServerBuild;

  const bare = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
  });
  const ours = createAppServer({ build, context, log, publicDir: path.join(root, 'public') }).server;
  const handle = createRequestHandler(build, 'production');
  const app = express();
  app.disable('x-powered-by');
  app.use(async (req, res) => {
    const response = await handle(toFetchRequest(req, res, `http://${req.headers.host}`), {
      ...context,
      clientIp: req.ip ?? '',
      rawUrl: req.url,
    });
    await writeFetchResponse(response, res);
  });
  const viaExpress = createServer(app);

  const listen = (server: Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  const total = Number(process.env.BENCH_REQUESTS ?? 20000);
  const concurrency = 50;
  const rows: [string, Server][] = [
    ['bare node:http (baseline)', bare],
    ['node:http + Remix (ours)', ours],
    ['Express 5 + Remix', viaExpress],
  ];
  console.log(`GET /healthz, ${total} requests, ${concurrency} concurrent, loopback`);
  const results = [];
  for (const [label, server] of rows) {
    const port = await listen(server);
    await runLoad({ url: `http://127.0.0.1:${port}/healthz`, total: 2000, concurrency }); // warm-up
    const result = await runLoad({ url: `http://127.0.0.1:${port}/healthz`, total, concurrency });
    results.push(result);
    console.log(formatLoad(label, result));
    server.close();
  }
  const [baseline, nodeHttp, viaExp] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
  console.log(
    `ratio ours/baseline ${(nodeHttp.perSecond / baseline.perSecond).toFixed(3)}  express/baseline ${(viaExp.perSecond / baseline.perSecond).toFixed(3)}  ours/express ${(nodeHttp.perSecond / viaExp.perSecond).toFixed(3)}`,
  );
  await t.close();
}
