import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, databaseTarget, loadConfig, parseEnv } from '~/config.server';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      SANDBOX: 'on',
      SANDBOX_PORT: 3001,
      JOBS: 'on',
      LOG_LEVEL: 'info',
      DISPLAY_TIME_ZONE: 'Asia/Seoul',
      BUYER_WAIT_SECONDS: 60,
    });
    expect(parseEnv({ DISPLAY_TIME_ZONE: 'UTC', BUYER_WAIT_SECONDS: '120' })).toMatchObject({
      DISPLAY_TIME_ZONE: 'UTC',
      BUYER_WAIT_SECONDS: 120,
    });
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid PORT: must be a whole number from 0 to 65535 \(got "abc"\)$/],
    [{ PORT: '70000' }, /^Invalid PORT: must be a whole number/],
    [{ PORT: '3.5' }, /^Invalid PORT: must be a whole number/],
    [{ SANDBOX: 'yes' }, /^Invalid SANDBOX: must be one of on, off/],
    [{ JOBS: 'true' }, /^Invalid JOBS: must be one of on, off/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL: must be one of fatal, error/],
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, /^Invalid DATABASE_URL: must be file:PATH/],
    [{ APP_SECRET: 'short' }, /^Invalid APP_SECRET: must be at least 32 characters/],
    [{ SANDBOX_IMP_CODE: 'merchant1' }, /^Invalid SANDBOX_IMP_CODE: must look like imp12345678/],
    [{ PUBLIC_URL: 'not a url' }, /^Invalid PUBLIC_URL: must be an absolute/],
    [{ DATABASE_POOL_SIZE: '0' }, /^Invalid DATABASE_POOL_SIZE: must be a whole number from 1 to 500/],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '-1' }, /^Invalid DATABASE_STATEMENT_TIMEOUT_MS: must be a whole number/],
    [{ DISPLAY_TIME_ZONE: 'Seoul' }, /^Invalid DISPLAY_TIME_ZONE: must be an IANA time zone name/],
    [{ BUYER_WAIT_SECONDS: '5' }, /^Invalid BUYER_WAIT_SECONDS: must be a whole number of seconds from 10 to 3600/],
  ])('rejects %j with a one-line reason', (source, message) => {
    expect(() => parseEnv(source)).toThrow(ConfigError);
    expect(() => parseEnv(source)).toThrow(message);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ PORT: '' }).PORT).toBe(3000);
  });
});

describe('databaseTarget', () => {
  it.each([
    [undefined, { dialect: 'sqlite', filename: path.resolve('/data/monitor.db') }],
    ['file:/var/lib/m.db', { dialect: 'sqlite', filename: '/var/lib/m.db' }],
    ['/tmp/x.sqlite', { dialect: 'sqlite', filename: '/tmp/x.sqlite' }],
    ['file::memory:', { dialect: 'sqlite', filename: ':memory:' }],
    ['postgres://u:p@h/db', { dialect: 'postgres', connectionString: 'postgres://u:p@h/db' }],
    ['postgresql://h/db', { dialect: 'postgres', connectionString: 'postgresql://h/db' }],
  ])('%s → %j', (url, expected) => {
    expect(databaseTarget(url, '/data')).toEqual(expected);
  });
});

describe('loadConfig', () => {
  it('refuses PostgreSQL without an explicit APP_SECRET: every instance must share one', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const source = { DATA_DIR: dataDir, DATABASE_URL: 'postgres://u:p@db/monitor' };
    expect(() => loadConfig(source)).toThrow(/^Invalid APP_SECRET: required with a PostgreSQL DATABASE_URL/);
    expect(existsSync(path.join(dataDir, 'app-secret'))).toBe(false);
    const config = loadConfig({ ...source, APP_SECRET: 'y'.repeat(40) });
    expect(config.database).toEqual({
      dialect: 'postgres',
      connectionString: 'postgres://u:p@db/monitor',
      poolSize: 10,
      statementTimeoutMs: 60_000,
      applicationName: 'iamport-monitor',
    });
    const tuned = loadConfig({
      ...source,
      APP_SECRET: 'y'.repeat(40),
      DATABASE_POOL_SIZE: '25',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_APPLICATION_NAME: 'monitor-b',
    });
    expect(tuned.database).toMatchObject({ poolSize: 25, statementTimeoutMs: 0, applicationName: 'monitor-b' });
  });

  it('generates APP_SECRET once and reuses the persisted one', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(first.appSecretGenerated).toBe(true);
    expect(first.appSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(second.appSecret).toBe(first.appSecret);
    expect(readFileSync(path.join(dataDir, 'app-secret'), 'utf8').trim()).toBe(first.appSecret);
  });

  it('prefers an explicit APP_SECRET', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const config = loadConfig({ DATA_DIR: dataDir, APP_SECRET: 'x'.repeat(40) });
    expect(config).toMatchObject({ appSecret: 'x'.repeat(40), appSecretGenerated: false });
  });
});
