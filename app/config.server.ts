import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';

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

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: portSchema.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url('must be an absolute http(s) URL').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: databaseUrlSchema.optional(),
  APP_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
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
});

type Env = z.infer<typeof envSchema>;

export type DatabaseTarget =
  | { dialect: 'sqlite'; filename: string }
  | { dialect: 'postgres'; connectionString: string };

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
  /** Marks the session, CSRF and flash cookies `Secure`: COOKIE_SECURE=on, or auto with an https PUBLIC_URL. */
  cookieSecure: boolean;
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
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), generated: true };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, generated: true };
}

export function loadConfig(source: EnvSource = process.env): Config {
  const env = parseEnv(source);
  const dataDir = path.resolve(env.DATA_DIR);
  const database = databaseTarget(env.DATABASE_URL, dataDir);
  if (env.ADMIN_PASSWORD && !env.ADMIN_EMAIL)
    throw new ConfigError('Invalid ADMIN_PASSWORD: set ADMIN_EMAIL too (the account it belongs to)');
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
    auth: {
      firstAdmin: { email: env.ADMIN_EMAIL?.trim().toLowerCase() ?? null, password: env.ADMIN_PASSWORD ?? null },
      cookieSecure:
        env.COOKIE_SECURE === 'on' || (env.COOKIE_SECURE === 'auto' && (env.PUBLIC_URL?.startsWith('https:') ?? false)),
    },
  };
}
