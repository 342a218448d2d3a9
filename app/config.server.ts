import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { ensurePrivateDir, tightenPrivateFile } from '../db/private-files';
import { parseTrustList, type TrustList } from './proxy.server';
import { DEFAULT_DISPLAY_TIME_ZONE, isTimeZone } from './i18n/format';

/**
 * The one module that reads `process.env`. Everything else receives a parsed `Config`.
 * A bad value stops the start with one line naming the variable and what it allows.
 */

const onOff = z.enum(['on', 'off']);

const portSchema = z.coerce
  .number({ error: 'must be a whole number from 0 to 65535' })
  .int('must be a whole number from 0 to 65535')
  .min(0, 'must be a whole number from 0 to 65535')
  .max(65535, 'must be a whole number from 0 to 65535');

const databaseUrlSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((value) => /^(file:|postgres:\/\/|postgresql:\/\/)/.test(value) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value), {
    message: 'must be file:PATH, a file path, or postgres://user:pass@host/db',
  });

const cronSchema = z
  .string()
  .trim()
  .refine((value) => cron.validate(value), {
    message: 'must be a cron expression like "* * * * *" (minute hour day month weekday, seconds optional)',
  });

const secondsSchema = z.coerce
  .number({ error: 'must be a number of seconds from 0.1 to 600' })
  .min(0.1, 'must be a number of seconds from 0.1 to 600')
  .max(600, 'must be a number of seconds from 0.1 to 600');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: portSchema.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url('must be an absolute http(s) URL').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: databaseUrlSchema.optional(),
  APP_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  DATABASE_POOL_SIZE: z.coerce
    .number({ error: 'must be a whole number from 1 to 500' })
    .int('must be a whole number from 1 to 500')
    .min(1, 'must be a whole number from 1 to 500')
    .max(500, 'must be a whole number from 1 to 500')
    .default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds (0 for none)' })
    .int('must be a whole number of milliseconds (0 for none)')
    .min(0, 'must be a whole number of milliseconds (0 for none)')
    .default(60_000),
  DATABASE_APPLICATION_NAME: z
    .string()
    .trim()
    .min(1)
    .max(63, 'must be at most 63 characters')
    .default('iamport-monitor'),
  SANDBOX: onOff.default('on'),
  SANDBOX_PORT: portSchema.default(3001),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_PUBLIC_URL: z.url('must be an absolute http(s) URL').optional(),
  SANDBOX_IMP_KEY: z.string().min(1).default('sandbox_imp_key'),
  SANDBOX_IMP_SECRET: z.string().min(1).default('sandbox_imp_secret'),
  SANDBOX_IMP_CODE: z
    .string()
    .regex(/^imp\d{8}$/, 'must look like imp12345678')
    .default('imp10000000'),
  JOBS: onOff.default('on'),
  RECONCILE_CRON: cronSchema.default('* * * * *'),
  SWEEP_CRON: cronSchema.default('0 * * * *'),
  ALERTS_CRON: cronSchema.default('* * * * *'),
  ALERTS: onOff.default('on'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ADMIN_EMAIL: z
    .string()
    .trim()
    .max(254)
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
    .optional(),
  ADMIN_PASSWORD: z
    .string()
    .min(10, 'must be at least 10 characters')
    .max(256, 'must be at most 256 characters')
    .optional(),
  COOKIE_SECURE: z.enum(['on', 'off', 'auto']).default('auto'),
  TRUST_PROXY: z
    .string()
    .trim()
    .refine((value) => parseTrustList(value) !== null, {
      message: 'must be a comma-separated list of IP addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8',
    })
    .optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number({ error: 'must be a whole number of minutes from 1 to 1440' })
    .int('must be a whole number of minutes from 1 to 1440')
    .min(1, 'must be a whole number of minutes from 1 to 1440')
    .max(1440, 'must be a whole number of minutes from 1 to 1440')
    .default(30),
  SESSION_MAX_HOURS: z.coerce
    .number({ error: 'must be a whole number of hours from 1 to 720' })
    .int('must be a whole number of hours from 1 to 720')
    .min(1, 'must be a whole number of hours from 1 to 720')
    .max(720, 'must be a whole number of hours from 1 to 720')
    .default(12),
  HEADERS_TIMEOUT_SECONDS: secondsSchema.default(10),
  REQUEST_TIMEOUT_SECONDS: secondsSchema.default(30),
  BODY_TIMEOUT_SECONDS: secondsSchema.default(10),
  // Bounded public routes (issue 10): requests per minute per client address and per store on the
  // redirect, webhook and orders routes (0 turns a limit off); gateway look-ups (and order
  // creations) for unregistered orders per store per minute.
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(600),
  RATE_LIMIT_PER_STORE: z.coerce.number().int().min(0).max(10_000_000).default(12_000),
  UNKNOWN_ORDER_BUDGET: z.coerce.number().int().min(0).max(100_000).default(60),
  PURGE_CRON: cronSchema.default('17 3 * * *'),
  DISPLAY_TIME_ZONE: z
    .string()
    .trim()
    .refine(isTimeZone, { message: 'must be an IANA time zone name like Asia/Seoul or UTC' })
    .default(DEFAULT_DISPLAY_TIME_ZONE),
  BUYER_WAIT_SECONDS: z.coerce
    .number({ error: 'must be a whole number of seconds from 10 to 3600' })
    .int('must be a whole number of seconds from 10 to 3600')
    .min(10, 'must be a whole number of seconds from 10 to 3600')
    .max(3600, 'must be a whole number of seconds from 10 to 3600')
    .default(60),
});

type Env = z.infer<typeof envSchema>;

export type DatabaseTarget =
  | { dialect: 'sqlite'; filename: string }
  | {
      dialect: 'postgres';
      connectionString: string;
      /** Connections per process (DATABASE_POOL_SIZE); several instances multiply it. */
      poolSize?: number;
      /** Statement timeout in ms (DATABASE_STATEMENT_TIMEOUT_MS); 0 for none. */
      statementTimeoutMs?: number;
      /** Shown in pg_stat_activity (DATABASE_APPLICATION_NAME). */
      applicationName?: string;
    };

export type SandboxConfig = {
  enabled: boolean;
  host: string;
  port: number;
  publicUrl: string | null;
  merchant: { impKey: string; impSecret: string; impCode: string };
};

export type AuthConfig = {
  /** The first admin, created at start when there is no user at all (ADMIN_EMAIL/ADMIN_PASSWORD). */
  firstAdmin: { email: string | null; password: string | null };
  /**
   * Marks the session, CSRF and flash cookies `Secure`: COOKIE_SECURE=on, or auto with an https
   * PUBLIC_URL. With `auto`, the server also marks them `Secure` on any request that arrived over
   * TLS (directly or through a TRUST_PROXY hop saying `X-Forwarded-Proto: https`).
   */
  cookieSecure: boolean;
  /** COOKIE_SECURE=auto: follow each request's scheme as well. */
  cookieSecureAuto: boolean;
  /** Sessions end after this long without a request (SESSION_IDLE_MINUTES)... */
  sessionIdleMs: number;
  /** ...and this long after sign-in whatever happens (SESSION_MAX_HOURS). */
  sessionMaxMs: number;
};

export type HttpConfig = {
  /** Proxies whose X-Forwarded-For / X-Forwarded-Proto we believe (TRUST_PROXY); empty: none. */
  trustProxy: TrustList;
  /** Bearer token /metrics requires (METRICS_TOKEN); null: open. */
  metricsToken: string | null;
  /** Time to receive the request head (headersTimeout), the whole request, and a request body. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyTimeoutMs: number;
};

export type Config = {
  nodeEnv: Env['NODE_ENV'];
  host: string;
  port: number;
  publicUrl: string | null;
  dataDir: string;
  database: DatabaseTarget;
  appSecret: string;
  /** True when APP_SECRET was absent and we generated or reused the persisted one. */
  appSecretGenerated: boolean;
  sandbox: SandboxConfig;
  jobs: boolean;
  /** node-cron expressions of the re-query job and the reverse sweep (validated at start). */
  reconcileCron: string;
  sweepCron: string;
  /** node-cron schedule of the time-based alert rules and reminders. */
  alertsCron: string;
  /** Alert rules listen to the ledger and the jobs, and this process delivers alerts (any number of instances may). */
  alerts: boolean;
  logLevel: Env['LOG_LEVEL'];
  auth: AuthConfig;
  /** The IANA zone every page, the CSV and the CLIs show times in (DISPLAY_TIME_ZONE). */
  displayTimeZone: string;
  /** How long the buyer's "confirming" page keeps refreshing before it stops and says the shop will follow up. */
  buyerWaitSeconds: number;
  http: HttpConfig;
  limits: LimitsConfig;
  /** node-cron expression of the retention purge (app/monitor/jobs/purge.server.ts). */
  purgeCron: string;
};

export type LimitsConfig = {
  /** Public requests per minute per client address (0: off). Iamport's webhook addresses are never limited. */
  perIpPerMinute: number;
  /** Public requests per minute per store slug (0: off). */
  perStorePerMinute: number;
  /** Gateway look-ups and order creations for unregistered orders, per store per minute. */
  unknownOrdersPerMinute: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type EnvSource = Record<string, string | undefined>;

/** Parses the environment into a `Config`, or throws a `ConfigError` with a one-line reason. */
export function parseEnv(source: EnvSource = process.env): Env {
  // Empty strings mean "unset" so `PORT= npm start` behaves like no PORT at all.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    const value = cleaned[name];
    const shown =
      value === undefined ? '' : ` (got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)})`;
    throw new ConfigError(`Invalid ${name}: ${describeIssue(issue)}${shown}`);
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid value';
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
  return issue.message;
}

export function databaseTarget(url: string | undefined, dataDir: string): DatabaseTarget {
  if (!url) return { dialect: 'sqlite', filename: path.resolve(dataDir, 'monitor.db') };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', connectionString: url };
  const filename = url.startsWith('file:') ? url.slice('file:'.length) : url;
  if (filename === '') throw new ConfigError('Invalid DATABASE_URL: file: needs a path, e.g. file:./data/monitor.db');
  return { dialect: 'sqlite', filename: filename === ':memory:' ? filename : path.resolve(filename) };
}

/**
 * Reads APP_SECRET, or the secret persisted in DATA_DIR, or generates one and persists it
 * (mode 0600) so sessions and encrypted store secrets survive a restart.
 */
function resolveAppSecret(explicit: string | undefined, dataDir: string): { secret: string; generated: boolean } {
  if (explicit) return { secret: explicit, generated: false };
  const file = path.join(dataDir, 'app-secret');
  if (existsSync(file)) {
    ensurePrivateDir(dataDir);
    tightenPrivateFile(file);
    return { secret: readFileSync(file, 'utf8').trim(), generated: true };
  }
  ensurePrivateDir(dataDir);
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, generated: true };
}

/**
 * The server's own start check: merchant-facing URLs (m_redirect_url, notice_url, the webhook
 * URLs the dashboard shows) must never come from a request's Host header in production, so
 * without the sandbox PUBLIC_URL is required (docs/decisions/0124-behind-a-proxy.md).
 */
export function requireServerSettings(config: Config): void {
  if (!config.sandbox.enabled && !config.publicUrl)
    throw new ConfigError(
      'Invalid PUBLIC_URL: required when SANDBOX=off (the https address merchants and Iamport reach this monitor at)',
    );
}

export function loadConfig(source: EnvSource = process.env): Config {
  const env = parseEnv(source);
  const dataDir = path.resolve(env.DATA_DIR);
  const target = databaseTarget(env.DATABASE_URL, dataDir);
  const database: DatabaseTarget =
    target.dialect === 'postgres'
      ? {
          ...target,
          poolSize: env.DATABASE_POOL_SIZE,
          statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
          applicationName: env.DATABASE_APPLICATION_NAME,
        }
      : target;
  if (env.ADMIN_PASSWORD && !env.ADMIN_EMAIL)
    throw new ConfigError('Invalid ADMIN_PASSWORD: set ADMIN_EMAIL too (the account it belongs to)');
  // On PostgreSQL several instances share one database: a secret generated into one instance's
  // DATA_DIR would leave the others unable to decrypt the store secrets it saved, or to read its
  // sessions. So it must be given, the same on every instance.
  if (database.dialect === 'postgres' && !env.APP_SECRET)
    throw new ConfigError(
      'Invalid APP_SECRET: required with a PostgreSQL DATABASE_URL (set the same value of at least 32 characters on every instance, e.g. from `openssl rand -hex 32`)',
    );
  const { secret, generated } = resolveAppSecret(env.APP_SECRET, dataDir);
  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/$/, '') : null,
    dataDir,
    database,
    appSecret: secret,
    appSecretGenerated: generated,
    sandbox: {
      enabled: env.SANDBOX === 'on',
      host: env.SANDBOX_HOST,
      port: env.SANDBOX_PORT,
      publicUrl: env.SANDBOX_PUBLIC_URL ? env.SANDBOX_PUBLIC_URL.replace(/\/$/, '') : null,
      merchant: { impKey: env.SANDBOX_IMP_KEY, impSecret: env.SANDBOX_IMP_SECRET, impCode: env.SANDBOX_IMP_CODE },
    },
    jobs: env.JOBS === 'on',
    reconcileCron: env.RECONCILE_CRON,
    sweepCron: env.SWEEP_CRON,
    alertsCron: env.ALERTS_CRON,
    alerts: env.ALERTS === 'on',
    logLevel: env.LOG_LEVEL,
    limits: {
      perIpPerMinute: env.RATE_LIMIT_PER_IP,
      perStorePerMinute: env.RATE_LIMIT_PER_STORE,
      unknownOrdersPerMinute: env.UNKNOWN_ORDER_BUDGET,
    },
    purgeCron: env.PURGE_CRON,
    auth: {
      firstAdmin: { email: env.ADMIN_EMAIL?.trim().toLowerCase() ?? null, password: env.ADMIN_PASSWORD ?? null },
      cookieSecure:
        env.COOKIE_SECURE === 'on' || (env.COOKIE_SECURE === 'auto' && (env.PUBLIC_URL?.startsWith('https:') ?? false)),
      cookieSecureAuto: env.COOKIE_SECURE === 'auto',
      sessionIdleMs: env.SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: env.SESSION_MAX_HOURS * 3_600_000,
    },
    http: {
      trustProxy: parseTrustList(env.TRUST_PROXY ?? '') ?? [],
      metricsToken: env.METRICS_TOKEN ?? null,
      headersTimeoutMs: Math.round(env.HEADERS_TIMEOUT_SECONDS * 1000),
      requestTimeoutMs: Math.round(Math.max(env.REQUEST_TIMEOUT_SECONDS, env.HEADERS_TIMEOUT_SECONDS) * 1000),
      bodyTimeoutMs: Math.round(env.BODY_TIMEOUT_SECONDS * 1000),
    },
    displayTimeZone: env.DISPLAY_TIME_ZONE,
    buyerWaitSeconds: env.BUYER_WAIT_SECONDS,
  };
}
