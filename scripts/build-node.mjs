// Bundles the Node entry points (server, sandbox, CLIs) so production needs no TypeScript
// tooling: `npm ci --omit=dev` plus `build/` is enough to run everything.
import { build } from 'esbuild';

await build({
  entryPoints: ['server/main.ts', 'sandbox/main.ts', 'db/cli.ts', 'jobs/cli.ts'],
  outdir: 'build/node',
  outbase: '.',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
