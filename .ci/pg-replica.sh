#!/usr/bin/env bash
# A PostgreSQL primary and a streaming replica of it, for the replica suite:
#
#   eval "$(bash .ci/pg-replica.sh start)"      # prints the exports below
#   bash .ci/pg-replica.sh stop-replica DIR     # stops the replica only
#   bash .ci/pg-replica.sh stop DIR             # stops both, removes DIR
#
# Both run from the machine's PostgreSQL binaries (PG_BIN, default
# /usr/lib/postgresql/15/bin) as the postgres user, in a new temporary
# directory, on free loopback ports, with trust authentication (initdb's
# default pg_hba allows replication from 127.0.0.1). The machine's own
# cluster is not touched. start prints TEST_POSTGRES_PRIMARY_DSN,
# TEST_POSTGRES_REPLICA_DSN, TEST_POSTGRES_REPLICA_STOP (the command that
# stops the replica, for the test that stops it mid-run) and PG_REPLICA_DIR.
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"
  fi
}

free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

case "${1:-}" in
start)
  dir=$(mktemp -d /tmp/shop-pg-replica.XXXXXX)
  chown postgres "$dir" 2>/dev/null || true
  chmod 700 "$dir"
  primary_port=$(free_port 55432)
  replica_port=$(free_port $((primary_port + 1)))
  {
    as_postgres "$PG_BIN/initdb" -D "$dir/primary" -U postgres --auth=trust --no-sync
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -o \
      "-c listen_addresses=127.0.0.1 -c port=$primary_port -c unix_socket_directories=$dir -c fsync=off" start
    as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$primary_port" -U postgres test
    as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" -R -X stream -c fast
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -o \
      "-c listen_addresses=127.0.0.1 -c port=$replica_port -c unix_socket_directories=$dir -c fsync=off" start
  } >&2
  echo "export PG_REPLICA_DIR='$dir'"
  echo "export TEST_POSTGRES_PRIMARY_DSN='postgres://postgres@127.0.0.1:$primary_port/test?sslmode=disable'"
  echo "export TEST_POSTGRES_REPLICA_DSN='postgres://postgres@127.0.0.1:$replica_port/test?sslmode=disable'"
  echo "export TEST_POSTGRES_REPLICA_STOP='bash $(cd "$(dirname "$0")" && pwd)/pg-replica.sh stop-replica $dir'"
  ;;
stop-replica)
  dir=${2:?usage: pg-replica.sh stop-replica DIR}
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/replica" -m fast -w stop >&2 || true
  ;;
stop)
  dir=${2:?usage: pg-replica.sh stop DIR}
  case "$dir" in /tmp/shop-pg-replica.*) ;; *) echo "refusing to remove $dir" >&2; exit 1 ;; esac
  for c in replica primary; do
    if [ -f "$dir/$c/postmaster.pid" ]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$dir/$c" -m immediate -w stop >&2 || true
    fi
  done
  rm -rf "$dir"
  ;;
*)
  echo "usage: pg-replica.sh start | stop-replica DIR | stop DIR" >&2
  exit 2
  ;;
esac
