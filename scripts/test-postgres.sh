#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (docs/decisions/0008-postgresql-engine.md).
#
#   scripts/test-postgres.sh run CMD...   start a cluster, run CMD with TEST_DATABASE_URL set, stop it
#   scripts/test-postgres.sh start DIR    start a cluster in DIR and print its TEST_DATABASE_URL
#   scripts/test-postgres.sh stop DIR     stop the cluster in DIR and remove DIR
#   scripts/test-postgres.sh ctl DIR stop|start|restart   stop, start or restart it (tests of outages)
#
# The cluster listens on 127.0.0.1 on a free port, as the `postgres` user when run as root, with
# a CREATEDB role `monitor_test` (each test file creates and drops its own database) and a
# database `monitor_test` it owns. The role is in pg_signal_backend: `drop database ... with (force)`
# must end an autovacuum worker that happens to be in the dropped database, and PostgreSQL 15
# refuses that to a role that is neither superuser nor in that group. PostgreSQL
# is installed from Debian's packages when missing and we are root. When it cannot be installed
# or started, `run` prints one line saying so and exits 0 without running CMD: the SQLite run
# has already covered everything, and the summary says PostgreSQL was skipped.
set -euo pipefail

PG_VERSION_DIR=""
find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      PG_VERSION_DIR="$dir"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    PG_VERSION_DIR="$(dirname "$(command -v initdb)")"
    return 0
  fi
  return 1
}

install_pg() {
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  echo "PostgreSQL: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || return 1
  apt-get install -y -qq postgresql >/dev/null || return 1
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Runs a PostgreSQL binary as the cluster's owner: `postgres` when we are root (initdb refuses root).
as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_cluster() {
  local dir="$1"
  find_pg_bin || install_pg || return 1
  find_pg_bin || return 1
  mkdir -p "$dir"
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || return 1
    chown postgres "$dir"
  fi
  local port password
  port="$(free_port)"
  password="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  as_owner "$PG_VERSION_DIR/initdb" -D "$dir/data" -U postgres --auth-host=scram-sha-256 --auth-local=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # Small and fast: a test cluster needs no durability across a power cut.
  echo "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >"$dir/options"
  as_owner "$PG_VERSION_DIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$(cat "$dir/options")" \
    -w start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  as_owner "$PG_VERSION_DIR/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
    -c "create role monitor_test login createdb password '$password'" \
    -c "grant pg_signal_backend to monitor_test" \
    -c "create database monitor_test owner monitor_test" >/dev/null || return 1
  echo "$port" >"$dir/port"
  echo "$PG_VERSION_DIR" >"$dir/bin"
  echo "postgres://monitor_test:$password@127.0.0.1:$port/postgres"
}

stop_cluster() {
  local dir="$1"
  if [ -f "$dir/bin" ] && [ -d "$dir/data" ]; then
    as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

ctl_cluster() {
  local dir="$1" action="$2"
  local bin
  bin="$(cat "$dir/bin")"
  case "$action" in
    stop) as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
    start | restart)
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$(cat "$dir/options")" -m fast -w "$action" >/dev/null
      ;;
  esac
}

case "${1:-}" in
  ctl)
    ctl_cluster "$2" "$3"
    ;;
  start)
    start_cluster "$2"
    ;;
  stop)
    stop_cluster "$2"
    ;;
  run)
    shift
    dir="$(mktemp -d /tmp/monitor-pg-XXXXXX)"
    chmod 755 "$dir"
    trap 'stop_cluster "$dir"' EXIT
    if ! url="$(start_cluster "$dir")"; then
      echo "PostgreSQL: skipped (PostgreSQL could not be installed or started here; the SQLite run above covers every test)"
      exit 0
    fi
    echo "PostgreSQL: throwaway cluster on ${url##*@} ($("$(cat "$dir/bin")/postgres" --version))"
    # pg_ctl restart in the two-instance tests needs the data directory and the binaries.
    TEST_DATABASE_URL="$url" TEST_PG_DATA="$dir/data" TEST_PG_BIN="$(cat "$dir/bin")" TEST_PG_SOCKET="$dir" "$@"
    ;;
  -h | --help | help)
    echo "usage: $0 run CMD... | start DIR | stop DIR | ctl DIR stop|start|restart"
    echo "  run: a throwaway PostgreSQL cluster for CMD (TEST_DATABASE_URL set), stopped afterwards"
    exit 0
    ;;
  *)
    echo "usage: $0 run CMD... | start DIR | stop DIR | ctl DIR stop|start|restart" >&2
    exit 2
    ;;
esac
