import { ConfigError, loadConfig } from '../app/config.server';
import { createLogger } from '../app/logger.server';
import { startSandbox } from './server';

/** `npm run sandbox`: the emulator alone, for rehearsals and benchmarks. */
async function main() {
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
