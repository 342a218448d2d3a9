import { existsSync } from 'node:fs';
import path from 'node:path';

/** Integration and e2e tests drive the production build; `npm test` builds it first. */
export default function setup() {
  const entry = path.resolve(import.meta.dirname, '../../build/node/server/main.js');
  if (!existsSync(entry)) throw new Error('No production build: run `npm run build` (npm test does it for you).');
}
