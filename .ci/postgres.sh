#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on a loopback port for the multi-reader tests, as the `postgres` user.
# Source this file: it exports SFRT_TEST_POSTGRES_URL and defines stop_test_postgres (call it from a trap).
# Skips quietly (no URL exported) when the server binaries are not installed.

start_test_postgres() {
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "[ci] PostgreSQL server binaries not found: PostgreSQL tests will be skipped" >&2
    return 0
  fi
  local as_pg=()
  if [ "$(id -u)" = "0" ]; then
    as_pg=(runuser -u postgres --)
  fi
  SFRT_PG_DIR="$(mktemp -d /tmp/sfrt-pg.XXXXXX)"
  [ "$(id -u)" = "0" ] && chown postgres: "$SFRT_PG_DIR"
  local port
  port=${SFRT_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  "${as_pg[@]}" "$bindir/initdb" -D "$SFRT_PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$SFRT_PG_DIR/data" -l "$SFRT_PG_DIR/log" -w \
    -o "-p $port -k $SFRT_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null
  "${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres sfrt_test
  SFRT_PG_BINDIR="$bindir"
  export SFRT_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/sfrt_test"
  echo "[ci] PostgreSQL test server at $SFRT_TEST_POSTGRES_URL" >&2
}

stop_test_postgres() {
  if [ -n "${SFRT_PG_DIR:-}" ] && [ -d "$SFRT_PG_DIR/data" ]; then
    local as_pg=()
    [ "$(id -u)" = "0" ] && as_pg=(runuser -u postgres --)
    "${as_pg[@]}" "$SFRT_PG_BINDIR/pg_ctl" -D "$SFRT_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$SFRT_PG_DIR"
  fi
}
