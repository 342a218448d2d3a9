import type { Config } from './config.server';
import { setDisplayTimeZone } from './i18n/format';
import type { Db } from '../db/connection';
import type { Log } from './logger.server';
import { createGatewayRegistry, type GatewayRegistry } from './monitor/verify/gateway.server';
import { createMetrics, type Metrics } from './metrics.server';
import { createPublicLimiter, type PublicLimiter } from './monitor/capture/public-limits.server';
import type { LedgerListener } from './monitor/verify/ledger-events';
import type { JobListener } from './monitor/jobs/job-events';
import { createAlertConfigCache, createAlertJobListener, createAlertLedgerListener } from './alerts/incidents.server';

/**
 * Every stateful dependency of a request, created once by the server entry and handed to
 * loaders and actions through Remix's load context. Route modules import functions, never
 * connections, so the Remix build holds no state of its own.
 */
export type AppContext = {
  config: Config;
  db: Db;
  log: Log;
  now: () => Date;
  /** Iamport clients per store (each with its token cache). */
  gateways: GatewayRegistry;
  metrics: Metrics;
  /** Wakes the webhook verification worker when a delivery is queued (no-op when none runs). */
  notifyWebhookQueued: () => void;
  /** Called by the order ledger, inside its transaction, with what each change did (alerts subscribe). */
  ledgerListeners: LedgerListener[];
  /** Per-address and per-store limits of the public routes (monitor/capture/public-limits.server.ts). */
  publicLimits: PublicLimiter;
  /** Called by scheduled jobs with their results (failed runs, an opened breaker); alerts subscribe. */
  jobListeners: JobListener[];
  /** Wakes the alert delivery worker when the outbox may hold something (no-op when none runs). */
  notifyAlertQueued: () => void;
};

export function createAppContext(deps: {
  config: Config;
  db: Db;
  log: Log;
  now?: () => Date;
  fetch?: typeof fetch;
}): AppContext {
  const now = deps.now ?? (() => new Date());
  // Server-side text outside a page (the CSV, logs meant for people) uses the same zone as pages.
  setDisplayTimeZone(deps.config.displayTimeZone);
  const context: AppContext = {
    config: deps.config,
    db: deps.db,
    log: deps.log,
    now,
    gateways: createGatewayRegistry({ appSecret: deps.config.appSecret, fetch: deps.fetch, now: deps.now }),
    metrics: createMetrics(),
    notifyWebhookQueued: () => {},
    ledgerListeners: [],
    publicLimits: createPublicLimiter(deps.config.limits),
    jobListeners: [],
    notifyAlertQueued: () => {},
  };
  // The alert rules subscribe to the ledger and the jobs (docs/decisions/0160-alerts.md).
  if (deps.config.alerts) {
    const wake = () => context.notifyAlertQueued();
    const cache = createAlertConfigCache();
    context.ledgerListeners.push(createAlertLedgerListener(wake, cache));
    context.jobListeners.push(createAlertJobListener(wake, cache));
  }
  return context;
}

/** What a loader or action receives: the app's dependencies plus facts about this request. */
export type RequestContext = AppContext & {
  /** The client's address: the TCP peer, or through TRUST_PROXY hops the X-Forwarded-For entry (app/proxy.server.ts). */
  clientIp: string;
  /** The request target exactly as received (path and query, before any URL normalisation). */
  rawUrl: string;
  /**
   * Set by Remix's `handleError` (app/entry.server.tsx) when the request failed because the
   * database was unreachable: the server then answers 503 instead of Remix's 500.
   */
  failure?: { databaseUnavailable: boolean };
};

declare module '@remix-run/node' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends RequestContext {}
}
