import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../app/config.server';
import { AppError } from '../app/errors';
import { createStore, listAllStores, rotateStoreKey } from '../app/monitor/stores/stores.server';
import { openDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { jobDefinitions } from './index';
import { JOB_USAGE, jobCommand, type JobKind } from './reconcile-cli';

/**
 * Command-line entry: `node build/node/jobs/cli.js <command> [...]`, wrapped by npm scripts
 * (`npm run store -- add ...`). Commands share the app's configuration and database.
 */
const STORE_USAGE = `  store add --slug S --name N --imp-code impNNNNNNNN --imp-key K --imp-secret S [--api-base-url URL]
            [--success-url URL] [--failure-url URL] [--pending-url URL] [--ip-policy off|log|enforce]
            [--mismatch-policy flag|auto_cancel|approval]
  store list
  store rotate-key --slug S`;

const USAGE = `usage:
${STORE_USAGE}
${JOB_USAGE}
  jobs`;

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h' || arg === 'help';
const isJob = (group: string | undefined): group is JobKind =>
  group === 'reconcile' || group === 'sweep' || group === 'purge';

async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  // `--help` anywhere: the usage of what was asked for, on stdout, exit 0, nothing else opened.
  if (argv.length === 0 || argv.some(isHelp)) {
    if (argv.length === 0) {
      console.error(USAGE);
      return 2;
    }
    if (group === 'store') console.log(`usage:\n${STORE_USAGE}`);
    else if (isJob(group)) console.log(`usage:\n${JOB_USAGE}`);
    else console.log(USAGE);
    return 0;
  }
  if (group === 'jobs') {
    for (const job of jobDefinitions(loadConfig())) console.log(`${job.name}\t${job.schedule}`);
    return 0;
  }
  if (isJob(group)) return jobCommand(group, argv.slice(1));
  if (group !== 'store') {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const handle = openDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const deps = { db: handle.db, now: () => new Date(), appSecret: config.appSecret };
    if (command === 'list') {
      const stores = await listAllStores(deps);
      if (stores.length === 0) console.log('no stores yet: npm run store -- add ...');
      for (const s of stores)
        console.log([s.slug, s.name, s.impCode, s.apiBaseUrl, `key ${s.apiKeyPrefix}…`].join('\t'));
      return 0;
    }
    const { values } = parseArgs({
      args: rest,
      options: {
        slug: { type: 'string' },
        name: { type: 'string' },
        'imp-code': { type: 'string' },
        'imp-key': { type: 'string' },
        'imp-secret': { type: 'string' },
        'api-base-url': { type: 'string' },
        'success-url': { type: 'string' },
        'failure-url': { type: 'string' },
        'pending-url': { type: 'string' },
        'ip-policy': { type: 'string' },
        'mismatch-policy': { type: 'string' },
      },
    });
    if (command === 'add') {
      const { store, apiKey } = await createStore(deps, {
        slug: values.slug ?? '',
        name: values.name ?? '',
        impCode: values['imp-code'] ?? '',
        impKey: values['imp-key'] ?? '',
        impSecret: values['imp-secret'] ?? '',
        apiBaseUrl: values['api-base-url'],
        landingSuccessUrl: values['success-url'],
        landingFailureUrl: values['failure-url'],
        landingPendingUrl: values['pending-url'],
        webhookIpPolicy: values['ip-policy'] as never,
        mismatchPolicy: values['mismatch-policy'] as never,
      });
      console.log(`store ${store.slug} created\nAPI key (shown once): ${apiKey}`);
      return 0;
    }
    if (command === 'rotate-key') {
      const { store, apiKey } = await rotateStoreKey(deps, values.slug ?? '');
      console.log(`store ${store.slug}: new API key (shown once): ${apiKey}\nthe previous key no longer works`);
      return 0;
    }
    console.error(USAGE);
    return 2;
  } finally {
    await handle.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof AppError ? error.message : error);
    process.exitCode = 1;
  },
);
