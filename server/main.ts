import type { ServerBuild } from '@remix-run/node';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, requireServerSettings, type Config } from '../app/config.server';
import { createAppContext, type AppContext } from '../app/context.server';
import { createLogger, type Log } from '../app/logger.server';
import { openDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { jobDefinitions } from '../jobs/index';
import { startScheduler, type Scheduler } from '../jobs/scheduler';
import { startSandbox, type RunningSandbox } from '../sandbox/server';
import { ensureFirstAdmin } from '../app/auth/users.server';
import { ensureDemoStore } from '../app/monitor/stores/demo.server';
import { merchantUrls } from '../app/monitor/capture/orders.server';
import { startWebhookWorker } from '../app/monitor/capture/webhook-worker.server';
import { createAppServer } from './app-server';
import { listeningUrl } from './listen-url';
import { startAlertWorker, type AlertWorker } from '../app/alerts/delivery.server';

// Bundled to build/node/server/main.js; the Remix build sits at build/index.js.
const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.resolve(here, '../..');
const publicDir = path.resolve(buildDir, '../public');

const SHUTDOWN_GRACE_MS = 10_000;

const USAGE = `usage: npm start   (node build/node/server/main.js)
  Starts the monitor: migrates the database, then serves the dashboard, the redirect and webhook
  routes and the API on HOST:PORT (default 0.0.0.0:3000), runs the scheduled jobs (JOBS=on) and,
  with SANDBOX=on, the Iamport sandbox. Configuration comes from environment variables (README,
  "Configuration"). Needs npm run build. Stop it with Ctrl-C (SIGINT) or SIGTERM.`;

async function main() {
  const arg = process.argv[2];
  if (arg === '--help' || arg === '-h' || arg === 'help') {
    console.log(USAGE);
    return;
  }
  if (arg !== undefined) {
    console.error(USAGE);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
    requireServerSettings(config);
  } catch (error) {
    // One line, no stack: the operator fixes the variable and starts again.
    console.error(error instanceof ConfigError ? error.message : `Invalid configuration: ${String(error)}`);
    process.exit(1);
  }
  const log = createLogger(config.logLevel);
  if (config.appSecretGenerated) {
    log.warn(
      { file: path.join(config.dataDir, 'app-secret') },
      'APP_SECRET is not set; using a generated secret kept in DATA_DIR',
    );
  }

  const database = await openAndMigrate(config, log);
  const context = createAppContext({ config, db: database.db, log });
  // No user yet: the first admin from ADMIN_EMAIL/ADMIN_PASSWORD, or a generated password logged once.
  await ensureFirstAdmin(context);
  // Verifies queued webhooks, including any left by a previous process that died after its 200.
  const webhookWorker = startWebhookWorker(context);
  context.notifyWebhookQueued = webhookWorker.wake;

  let sandbox: RunningSandbox | null = null;
  if (config.sandbox.enabled) sandbox = await startSandbox({ config: config.sandbox, dataDir: config.dataDir, log });

  const build = (await import(pathToFileURL(path.join(buildDir, 'index.js')).href)) as ServerBuild;
  const app = createAppServer({ build, context, log, publicDir });
  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(config.port, config.host, resolve);
  }).catch((error: NodeJS.ErrnoException) =>
    fail(`Cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`),
  );
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (sandbox) await connectDemoStore(context, sandbox, config.publicUrl ?? `http://127.0.0.1:${port}`);
  // Delivers queued alerts, including those left by a previous process (the outbox is durable).
  let alertWorker: AlertWorker | null = null;
  if (config.alerts) {
    const linkBase = config.publicUrl ?? `http://localhost:${port}`;
    alertWorker = startAlertWorker({ ...context, appSecret: config.appSecret, linkBase: () => linkBase });
    context.notifyAlertQueued = alertWorker.wake;
    alertWorker.wake();
  }
  log.info(
    {
      host: config.host,
      port,
      url: listeningUrl(config.host, port, config.publicUrl),
      database: config.database.dialect,
      sandbox: sandbox?.url ?? null,
    },
    'listening',
  );

  const scheduler: Scheduler | null = config.jobs ? startScheduler(context, jobDefinitions(config)) : null;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new requests, finishing in-flight ones');
    await scheduler?.stop();
    await app.drain(SHUTDOWN_GRACE_MS);
    await webhookWorker.stop();
    await alertWorker?.stop();
    await sandbox?.close();
    await database.close();
    log.info('stopped');
    // The log destination is asynchronous: write out what is buffered before exiting.
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * The out-of-the-box demo: a `demo` store whose gateway is the sandbox, and the sandbox's demo
 * merchant sending its webhooks to that store. The API key is printed on first start only.
 */
async function connectDemoStore(context: AppContext, sandbox: RunningSandbox, monitorUrl: string) {
  const { config, log } = context;
  const { store, apiKey, created } = await ensureDemoStore(context, { url: sandbox.url, ...config.sandbox.merchant });
  const urls = merchantUrls(monitorUrl, store);
  await sandbox.configureDemo({ webhookUrl: urls.notice_url, shop: { monitorUrl, storeSlug: store.slug, apiKey } });
  if (created) log.info({ store: store.slug, apiKey, ...urls }, 'demo store created: this API key is shown once');
}

async function openAndMigrate(config: Config, log: Log) {
  const where = config.database.dialect === 'sqlite' ? config.database.filename : 'postgres';
  try {
    const handle = openDatabase(config.database, {
      onPoolError: (error) =>
        log.error({ error: error.message }, 'database connection lost; the next query opens a new one'),
    });
    const { applied } = await migrateToLatest(handle.db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    return handle;
  } catch (error) {
    return fail(`Cannot open database ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

void main();
