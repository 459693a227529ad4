#!/bin/sh
# Healthy = the admin console answers (PgBouncer is up and accepting logins). PostgreSQL's own
# health is its container's healthcheck; the app's /ready covers the whole path.
# The stats password comes from PGBOUNCER_STATS_PASSWORD or PGBOUNCER_STATS_PASSWORD_FILE.
set -eu
# shellcheck source=docker/lib/secrets.sh
. "${WALLET_LIB_DIR:-/usr/local/lib/wallet}/secrets.sh"
secrets_load pgbouncer-healthcheck PGBOUNCER_STATS_PASSWORD 2>/dev/null
PGPASSWORD="$PGBOUNCER_STATS_PASSWORD" PGCONNECT_TIMEOUT=2 \
  psql -h 127.0.0.1 -p "${PGBOUNCER_LISTEN_PORT:-6432}" -U pgbouncer_stats -d pgbouncer -tAqc 'SHOW VERSION' >/dev/null
