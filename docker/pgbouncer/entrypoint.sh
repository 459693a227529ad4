#!/bin/sh
# Writes PgBouncer's auth_file from the environment (never committed, mode 0600), then runs
# PgBouncer in the foreground (exec: it becomes PID 1's only child under `init`).
#   pgbouncer_auth   plaintext: PgBouncer must log in to PostgreSQL with it to run auth_query
#   pgbouncer_admin  console admin (SHOW, PAUSE, RESUME, RELOAD, SHUTDOWN)
#   pgbouncer_stats  console read-only (SHOW): `pools`, the healthcheck, pgbouncer-exporter
# Application users are not listed: PgBouncer looks them up with auth_query (changeset 005).
# Each password comes from NAME or NAME_FILE (docker/lib/secrets.sh); example values are refused.
set -eu
# shellcheck source=docker/lib/secrets.sh
. "${WALLET_LIB_DIR:-/usr/local/lib/wallet}/secrets.sh"
secrets_load pgbouncer-entrypoint PGBOUNCER_AUTH_PASSWORD PGBOUNCER_ADMIN_PASSWORD PGBOUNCER_STATS_PASSWORD
ini="${PGBOUNCER_INI:-/etc/pgbouncer/pgbouncer.ini}"
auth_file="${PGBOUNCER_AUTH_FILE:-/var/lib/pgbouncer/userlist.txt}"
# A quote inside a quoted auth_file field is doubled.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
umask 077
{
  printf '%s %s\n' "$(quote pgbouncer_auth)" "$(quote "$PGBOUNCER_AUTH_PASSWORD")"
  printf '%s %s\n' "$(quote pgbouncer_admin)" "$(quote "$PGBOUNCER_ADMIN_PASSWORD")"
  printf '%s %s\n' "$(quote pgbouncer_stats)" "$(quote "$PGBOUNCER_STATS_PASSWORD")"
} > "$auth_file"
# PGBOUNCER_DB_HOST / PGBOUNCER_DB_PORT: another upstream than postgres:5432, e.g. haproxy-ha:5000
# (the Compose `ha` profile, docs/ha.md): a copy of the ini with the [databases] line changed.
db_host="${PGBOUNCER_DB_HOST:-postgres}" db_port="${PGBOUNCER_DB_PORT:-5432}"
case "$db_host$db_port" in
  *[!A-Za-z0-9.:_-]*) echo "pgbouncer-entrypoint: PGBOUNCER_DB_HOST/PGBOUNCER_DB_PORT hold an invalid character" >&2; exit 2 ;;
esac
if [ "$db_host:$db_port" != postgres:5432 ]; then
  rendered="$(dirname "$auth_file")/pgbouncer.ini"
  sed "s/^wallet = host=postgres port=5432 /wallet = host=$db_host port=$db_port /" "$ini" > "$rendered"
  ini=$rendered
fi
# The passwords stay out of PgBouncer's own environment.
unset PGBOUNCER_AUTH_PASSWORD PGBOUNCER_ADMIN_PASSWORD PGBOUNCER_STATS_PASSWORD
exec pgbouncer "$ini"
