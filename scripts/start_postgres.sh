#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the store tests and print its URL.
# Installs the Debian package when no server is present.
set -euo pipefail
port=${PGPORT_TEST:-55432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
data=$(mktemp -d /tmp/ipledger-pg.XXXXXX)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$data"
fi
run "$bindir/initdb" -D "$data" -U postgres --auth=trust >/dev/null
# The first free port from $port on (another server, or an earlier run, may hold one).
for try_port in $(seq "$port" $((port + 20))); do
  if run "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$try_port -c unix_socket_directories=$data -c fsync=off" \
      start >/dev/null 2>&1; then
    port=$try_port
    break
  fi
  try_port=""
done
[ -n "$try_port" ] || { echo "could not start PostgreSQL (see $data/server.log)" >&2; exit 1; }
run "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres ipledger_test
echo "postgresql+psycopg://postgres@127.0.0.1:$port/ipledger_test"
