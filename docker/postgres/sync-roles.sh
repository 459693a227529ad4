#!/bin/sh
# Applies the login roles' passwords from the environment (or *_FILE secrets) to PostgreSQL, so the
# running database always matches .env / the secret files. Runs as the first step of every
# `migrations` one-shot (docker/app/entrypoint.sh `migrate`), and on its own as
# `docker compose run --rm migrations roles` after a rotation (docs/operations.md, "Secrets").
#
#   wallet_app       APP_DB_PASSWORD          the app, through PgBouncer; member of pgbouncer_client
#   pgbouncer_auth   PGBOUNCER_AUTH_PASSWORD  PgBouncer's auth_user (changeset 005)
#   wallet_monitor   MONITOR_DB_PASSWORD      postgres-exporter and `pools`; member of pg_monitor.
#                                             Optional: unset = the role is left as it is.
# A role that does not exist yet is created (changeset 004 then finds it and only grants).
# Connects as the superuser (POSTGRES_USER, POSTGRES_PASSWORD[_FILE]) to POSTGRES_HOST directly,
# never through PgBouncer. Passwords travel in psql variables read from the environment
# (\getenv), never on a command line, and statement logging is off for this session.
set -eu
# shellcheck source=docker/lib/secrets.sh
. "${WALLET_LIB_DIR:-/usr/local/lib/wallet}/secrets.sh"
secrets_load_one POSTGRES_PASSWORD || true
secrets_load_one APP_DB_PASSWORD || true
secrets_load_one PGBOUNCER_AUTH_PASSWORD || true
secrets_load_one MONITOR_DB_PASSWORD optional || true
secrets_finish sync-roles

export PGHOST="${POSTGRES_HOST:-postgres}" PGPORT="${POSTGRES_SERVER_PORT:-5432}"
export PGUSER="${POSTGRES_USER:-postgres}" PGDATABASE="${POSTGRES_DB:-wallet}"
export PGPASSWORD="$POSTGRES_PASSWORD" PGCONNECT_TIMEOUT=10 PGAPPNAME=wallet-sync-roles
export MONITOR_DB_PASSWORD="${MONITOR_DB_PASSWORD:-}"

if ! err=$(psql -X -tAqc 'SELECT 1' 2>&1 >/dev/null); then
  echo "sync-roles: cannot log in to $PGHOST:$PGPORT as $PGUSER: $err" >&2
  case "$err" in
    *"password authentication failed"*)
      echo "sync-roles: the superuser's password is set only when the volume is created; if you changed" >&2
      echo "  POSTGRES_PASSWORD since, apply it first (docs/operations.md, \"Secrets\"):" >&2
      echo "  docker compose exec postgres psql -U $PGUSER -d postgres -c '\\password $PGUSER'" >&2 ;;
  esac
  exit 1
fi

psql -X -v ON_ERROR_STOP=1 -q <<'SQL'
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
SET password_encryption = 'scram-sha-256';
SET client_min_messages = warning;
\getenv app_password APP_DB_PASSWORD
\getenv auth_password PGBOUNCER_AUTH_PASSWORD
\getenv monitor_password MONITOR_DB_PASSWORD
SELECT 'CREATE ROLE pgbouncer_client NOLOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgbouncer_client') \gexec
SELECT 'CREATE ROLE wallet_app' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_app') \gexec
SELECT 'CREATE ROLE pgbouncer_auth' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgbouncer_auth') \gexec
ALTER ROLE wallet_app LOGIN PASSWORD :'app_password';
GRANT pgbouncer_client TO wallet_app;
ALTER ROLE pgbouncer_auth LOGIN PASSWORD :'auth_password';
SELECT :'monitor_password' <> '' AS with_monitor \gset
\if :with_monitor
  SELECT 'CREATE ROLE wallet_monitor' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_monitor') \gexec
  ALTER ROLE wallet_monitor LOGIN PASSWORD :'monitor_password' CONNECTION LIMIT 5;
  GRANT pg_monitor TO wallet_monitor;
\endif
SQL
echo "sync-roles: passwords applied to wallet_app, pgbouncer_auth${MONITOR_DB_PASSWORD:+, wallet_monitor}" >&2
