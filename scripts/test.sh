#!/usr/bin/env bash
# What `npm test` runs after lint, type check and build: the whole suite on SQLite, then every
# suite that touches the monitor's database again on PostgreSQL (a throwaway cluster, see
# scripts/test-postgres.sh), and one closing count of both. Exits non-zero when any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h | --help | help)
    echo "usage: scripts/test.sh [VITEST ARGS...]   (what npm test runs after lint, type check and build)"
    echo "  the whole suite on SQLite, then the database suites on a throwaway PostgreSQL; one summary"
    exit 0
    ;;
esac

# Suites that never open the monitor's database: unit tests, the sandbox (its own SQLite store),
# the gateway client against the sandbox, the Dockerfile check.
PG_EXCLUDE=(
  --exclude 'test/unit/**'
  --exclude 'test/integration/sandbox/**'
  --exclude 'test/integration/iamport/**'
  --exclude 'test/integration/dockerfile.test.ts'
  # HTTP-layer hardening (proxy headers, Host, timeouts, file modes of the SQLite files, the
  # hostile corpus): about the server, not the engine; they read the SQLite file directly.
  --exclude 'test/integration/server/hardening.test.ts'
  --exclude 'test/integration/server/hostile-corpus.test.ts'
  --exclude 'test/integration/monitor/dashboard/dash-shell-routes.test.ts'
)

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== SQLite: the whole suite =="
TEST_SUMMARY_FILE="$out/sqlite.json" npx vitest run "$@"
sqlite_rc=$?
echo
echo "== PostgreSQL: the suites that touch the database =="
TEST_SUMMARY_FILE="$out/postgres.json" scripts/test-postgres.sh run npx vitest run "${PG_EXCLUDE[@]}" "$@"
pg_rc=$?

node - "$out" "$sqlite_rc" "$pg_rc" <<'JS'
const fs = require('node:fs');
const [dir, sqliteRc, pgRc] = process.argv.slice(2);
const read = (name) => {
  try {
    return JSON.parse(fs.readFileSync(`${dir}/${name}.json`, 'utf8'));
  } catch {
    return null;
  }
};
// A run that ended without its count (it crashed) counts as one failure; PostgreSQL without a
// count and a zero exit was skipped (scripts/test-postgres.sh printed why).
const crashed = { passed: 0, failed: 1, skipped: 0, crashed: true };
const sqlite = read('sqlite') ?? crashed;
const pg = read('postgres') ?? (pgRc === '0' ? null : crashed);
if (sqliteRc !== '0' && sqlite.failed === 0) sqlite.failed = 1;
if (pg && pgRc !== '0' && pg.failed === 0) pg.failed = 1;
const line = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
console.log('');
const show = (c) => (c.crashed ? 'did not finish (counted as 1 failed)' : line(c));
console.log(`SQLite: ${show(sqlite)}`);
console.log(`PostgreSQL: ${pg ? show(pg) : 'skipped (see the line above)'}`);
const total = { passed: sqlite.passed + (pg?.passed ?? 0), failed: sqlite.failed + (pg?.failed ?? 0) };
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 ? 1 : 0);
JS
