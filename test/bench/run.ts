import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * `npm run bench -- <name>`: builds, then runs test/bench/<name>.ts, which prints its figures.
 * Benchmarks are never part of `npm test`; quote their figures as ratios against the baseline
 * each one measures in the same process.
 */
const name = process.argv[2];
const here = import.meta.dirname;
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'load.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''));

if (name === '--help' || name === '-h' || name === 'help') {
  console.log(
    `usage: npm run bench -- <name>\n  builds, then runs test/bench/<name>.ts, which prints its figures\navailable: ${available.join(', ')}`,
  );
  process.exit(0);
}
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
  process.exit(2);
}
// BENCH_DATABASE_URL (a postgres:// URL of a CREATEDB role) runs the bench on PostgreSQL: the
// test helpers it uses then create their databases there, as TEST_DATABASE_URL does for tests.
if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
console.log(`engine: ${process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite'}`);
const file = path.join(here, `${name}.ts`);
if (!existsSync(file)) process.exit(2);
const bench = (await import(pathToFileURL(file).href)) as { main: (args: string[]) => Promise<void> };
await bench.main(process.argv.slice(3));
