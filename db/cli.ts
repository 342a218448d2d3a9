import { loadConfig } from '../app/config.server';
import { openDatabase } from './connection';
import { migrateToLatest } from './migrate';

/** `npm run db:migrate`: applies pending migrations to the configured database. */
const USAGE = `usage: npm run db:migrate   (node build/node/db/cli.js migrate)
  migrate   apply pending migrations to the database named by DATABASE_URL / DATA_DIR`;

async function main(command: string | undefined) {
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command !== 'migrate') {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const handle = openDatabase(config.database);
  try {
    const { applied } = await migrateToLatest(handle.db);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await handle.close();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
