#!/bin/sh
# First start only (the official image runs /docker-entrypoint-initdb.d/* on an empty data
# directory): the login roles of changeset 004, with passwords from the environment. The
# changeset then finds them and only grants. To change a password later: ALTER ROLE ... PASSWORD.
#   wallet_app      the app (through PgBouncer); member of pgbouncer_client so auth_query finds it
#   pgbouncer_auth  PgBouncer's auth_user; may only call pgbouncer.get_auth() (changeset 005)
set -eu
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is not set (see .env.example)}"
: "${PGBOUNCER_AUTH_PASSWORD:?PGBOUNCER_AUTH_PASSWORD is not set (see .env.example)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_DB_PASSWORD" -v auth_password="$PGBOUNCER_AUTH_PASSWORD" <<'SQL'
SET password_encryption = 'scram-sha-256';
CREATE ROLE pgbouncer_client NOLOGIN;
CREATE ROLE wallet_app LOGIN PASSWORD :'app_password' IN ROLE pgbouncer_client;
CREATE ROLE pgbouncer_auth LOGIN PASSWORD :'auth_password';
SQL
