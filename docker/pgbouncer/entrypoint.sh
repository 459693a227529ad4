#!/bin/sh
# Writes PgBouncer's auth_file from the environment (never committed, mode 0600), then runs
# PgBouncer in the foreground as PID 1's child-free replacement (exec).
#   pgbouncer_auth   plaintext: PgBouncer must log in to PostgreSQL with it to run auth_query
#   pgbouncer_admin  console admin (SHOW, PAUSE, RESUME, RELOAD, SHUTDOWN)
#   pgbouncer_stats  console read-only (SHOW): `npm run pools`, the healthcheck
# Application users are not listed: PgBouncer looks them up with auth_query (changeset 005).
set -eu
ini="${PGBOUNCER_INI:-/etc/pgbouncer/pgbouncer.ini}"
auth_file="${PGBOUNCER_AUTH_FILE:-/var/lib/pgbouncer/userlist.txt}"
for var in PGBOUNCER_AUTH_PASSWORD PGBOUNCER_ADMIN_PASSWORD PGBOUNCER_STATS_PASSWORD; do
  eval "value=\${$var:-}"
  if [ -z "$value" ]; then
    echo "pgbouncer-entrypoint: $var is not set (see .env.example)" >&2
    exit 2
  fi
done
# A quote inside a quoted auth_file field is doubled.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
umask 077
{
  printf '%s %s\n' "$(quote pgbouncer_auth)" "$(quote "$PGBOUNCER_AUTH_PASSWORD")"
  printf '%s %s\n' "$(quote pgbouncer_admin)" "$(quote "$PGBOUNCER_ADMIN_PASSWORD")"
  printf '%s %s\n' "$(quote pgbouncer_stats)" "$(quote "$PGBOUNCER_STATS_PASSWORD")"
} > "$auth_file"
exec pgbouncer "$ini"
