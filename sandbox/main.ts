import { ConfigError, loadConfig } from '../app/config.server';
import { createLogger } from '../app/logger.server';
import { startSandbox } from './server';

/** `npm run sandbox`: the emulator alone, for rehearsals and benchmarks. */
const USAGE = `usage: npm run sandbox   (node build/node/sandbox/main.js)
  Starts the Iamport V1 emulator alone on SANDBOX_HOST:SANDBOX_PORT (default 127.0.0.1:3001),
  keeping its state in DATA_DIR/sandbox.db. Stop it with Ctrl-C (SIGINT) or SIGTERM.`;

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
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const sandbox = await startSandbox({ config: config.sandbox, dataDir: config.dataDir, log });
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
