#!/bin/sh
# Regenerates test/pg/testdata/psql-meta/meta.out (and meta.err) from PostgreSQL 15: runs a throwaway
# cluster (initdb --locale=C, as shale compares text in the C collation) on a loopback port and runs
# meta.sql through psql (on stdin) as user postgres in database postgres, as test/pg/psql-meta.test.ts does against
# shale. Needs PostgreSQL 15's server binaries (Debian: postgresql-15); run as root it starts the cluster
# as the postgres OS user.
set -eu
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${PG_PORT:-54391}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA=$HERE/test/pg/testdata/psql-meta
TMP=$(mktemp -d /tmp/shale-psql-meta.XXXXXX)
chmod 755 "$TMP"
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$TMP"
cleanup() { as_pg "$BIN/pg_ctl -D $TMP/data -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
as_pg "$BIN/initdb -D $TMP/data -A trust -U postgres -E UTF8 --locale=C" >/dev/null
as_pg "$BIN/pg_ctl -D $TMP/data -w -l $TMP/log -o '-p $PORT -k $TMP -c listen_addresses=127.0.0.1 -c TimeZone=UTC' start" >/dev/null
PGTZ=UTC psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres <"$DATA/meta.sql" >"$DATA/meta.out" 2>"$DATA/meta.err"
echo "wrote $DATA/meta.out and meta.err"
