#!/bin/sh
# Entry point of the wallet-service images (Dockerfile): one word picks what the container does.
#
#   serve            the API: WEB_CONCURRENCY workers (default; the `app` service)
#   migrate          role passwords (sync-roles.sh), then the Liquibase changelog   [tools image]
#   roles            role passwords only, after a rotation                          [tools image]
#   liquibase ARGS   Liquibase itself on the same changelog and connection as migrate
#                    (status --verbose, history, rollback-count --count=1, release-locks)  [tools image]
#   reconcile [...]  every balance against its ledger, read-only (exit 1: mismatches)
#   pools [...]      PgBouncer SHOW POOLS/STATS/... and pg_stat_activity
#   keys [...]       API keys and tenants, as the schema owner (`migrations` service: it has the
#                    superuser's password; KEYS_ACTOR names who did it in the audit trail)
#   alert-log        a webhook receiver that prints Alertmanager's notifications (demo sink)
#   help             this list
#   anything else    run as a command (`sh`, `node -e ...`)
#
# Secrets: each password is read from NAME or NAME_FILE (Docker/Kubernetes secrets, see
# docker/lib/secrets.sh); example values (change-me...) are refused unless ALLOW_EXAMPLE_SECRETS=true.
# Connection URLs are built here, so the app only ever sees DATABASE_URL / MIGRATION_DATABASE_URL:
#   app role      DATABASE_URL[_FILE], or APP_DB_PASSWORD[_FILE] with APP_DB_USER (wallet_app),
#                 APP_DB_HOST (pgbouncer), APP_DB_PORT (6432), APP_DB_NAME (wallet)
#   superuser     MIGRATION_DATABASE_URL[_FILE], or POSTGRES_PASSWORD[_FILE] with POSTGRES_USER
#                 (postgres), POSTGRES_HOST (postgres), POSTGRES_SERVER_PORT (5432), POSTGRES_DB
#                 (wallet): migrate, roles (sync-roles.sh reads the same variables)
#   console       PGBOUNCER_CONSOLE_URL, or PGBOUNCER_STATS_PASSWORD[_FILE] (pools)
#   serve also needs WEBHOOK_SECRET_KEY[_FILE] (64 hex digits: openssl rand -hex 32)
#   monitor       POSTGRES_ADMIN_URL, or MONITOR_DB_PASSWORD[_FILE] (pools: pg_stat_activity)
set -eu
lib=${WALLET_LIB_DIR:-/usr/local/lib/wallet}
app=${WALLET_APP_DIR:-/app}
# shellcheck source=docker/lib/secrets.sh
. "$lib/secrets.sh"

say() { printf 'wallet: %s\n' "$*" >&2; }

# urlencode VALUE: percent-encodes a password for a connection URL (node is in every image).
urlencode() { WALLET_VALUE=$1 node -e 'process.stdout.write(encodeURIComponent(process.env.WALLET_VALUE))'; }

# url_from VAR USER PASSWORD_VAR HOST PORT DB: sets VAR (from VAR or VAR_FILE, else built).
url_from() {
  secrets_load_one "$1" optional || true
  eval "url__value=\${$1:-}"
  url__password=""
  if [ -z "$url__value" ]; then
    secrets_load_one "$3" || return 0
    eval "url__password=\${$3}"
    url__value="postgres://$2:$(urlencode "$url__password")@$4:$5/$6"
    eval "$1=\$url__value"
  fi
  export "${1?}"
}

app_url() {
  url_from DATABASE_URL "${APP_DB_USER:-wallet_app}" APP_DB_PASSWORD \
    "${APP_DB_HOST:-pgbouncer}" "${APP_DB_PORT:-6432}" "${APP_DB_NAME:-wallet}"
}

superuser_url() {
  url_from MIGRATION_DATABASE_URL "${POSTGRES_USER:-postgres}" POSTGRES_PASSWORD \
    "${POSTGRES_HOST:-postgres}" "${POSTGRES_SERVER_PORT:-5432}" "${POSTGRES_DB:-wallet}"
}

# Webhook signing secrets are sealed at rest (docs/events.md): the app needs WEBHOOK_SECRET_KEY[_FILE],
# the same in every container, so it is refused without one. The demo's example value
# (ALLOW_EXAMPLE_SECRETS=true) stands for a key derived from it: the same in every container, and
# no secret at all.
webhook_secret_key() {
  secrets_load_one WEBHOOK_SECRET_KEY || return 0
  case "$WEBHOOK_SECRET_KEY" in
    change-me*)
      WEBHOOK_SECRET_KEY=$(WALLET_VALUE=$WEBHOOK_SECRET_KEY node -e \
        'process.stdout.write(require("node:crypto").createHash("sha256").update(process.env.WALLET_VALUE).digest("hex"))')
      export WEBHOOK_SECRET_KEY
      say "webhook secret key derived from the example value (local demo only)" ;;
  esac
}

# Heap per process: the container's memory limit shared by the workers and the primary, with a
# quarter left for buffers, native memory and the primary. NODE_OPTIONS wins when it sets one.
size_heap() {
  case "${NODE_OPTIONS:-}" in *max-old-space-size*) return 0 ;; esac
  limit=""
  for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
    [ -r "$f" ] && limit=$(cat "$f") && break
  done
  case "$limit" in ''|max|*[!0-9]*) return 0 ;; esac
  [ "$limit" -ge 9000000000000000000 ] 2>/dev/null && return 0
  workers=${WEB_CONCURRENCY:-2}
  case "$workers" in ''|*[!0-9]*|0) workers=1 ;; esac
  limit_mb=$((limit / 1048576))
  heap_mb=$((limit_mb * 3 / 4 / workers))
  [ "$heap_mb" -lt 64 ] && heap_mb=64
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=$heap_mb"
  say "memory limit $limit_mb MB, $workers worker(s): --max-old-space-size=$heap_mb"
}

need_tools() {
  if ! command -v java >/dev/null 2>&1 || [ ! -d "$app/node_modules/liquibase" ]; then
    say "'$1' needs Liquibase and Java, which are in the tools image only:"
    say "  docker compose run --rm migrations $1"
    exit 2
  fi
}

run() {
  if [ -n "${WALLET_ENTRYPOINT_DRY_RUN:-}" ]; then
    # CI (.ci/validate-deploy.sh): show what would run, and with which URLs, instead of running it
    printf 'exec:'; printf ' %s' "$@"; printf '\n'
    env | grep -E '^(DATABASE_URL|MIGRATION_DATABASE_URL|PGBOUNCER_CONSOLE_URL|POSTGRES_ADMIN_URL)(_FILE)?=|^NODE_OPTIONS=' | sort
    exit 0
  fi
  exec "$@"
}

command=${1:-serve}
[ $# -gt 0 ] && shift
cd "$app"
case "$command" in
  serve)
    app_url
    webhook_secret_key
    secrets_finish wallet-serve
    size_heap
    run node src/cluster.js "$@" ;;
  migrate)
    need_tools migrate
    superuser_url
    secrets_finish wallet-migrate
    if [ "${MIGRATE_SYNC_ROLES:-true}" = true ]; then
      if [ -n "${WALLET_ENTRYPOINT_DRY_RUN:-}" ]; then say "would run sync-roles.sh"; else sh "$lib/sync-roles.sh"; fi
    fi
    run node scripts/migrate.js "$@" ;;
  roles)
    need_tools roles
    run sh "$lib/sync-roles.sh" ;;
  liquibase)
    need_tools liquibase
    secrets_load_one POSTGRES_PASSWORD || true
    secrets_finish wallet-liquibase
    # The search path and file name src/db/migrations.ts uses, so DATABASECHANGELOG rows match.
    export LIQUIBASE_COMMAND_URL="jdbc:postgresql://${POSTGRES_HOST:-postgres}:${POSTGRES_SERVER_PORT:-5432}/${POSTGRES_DB:-wallet}" \
      LIQUIBASE_COMMAND_USERNAME="${POSTGRES_USER:-postgres}" LIQUIBASE_COMMAND_PASSWORD="$POSTGRES_PASSWORD" \
      LIQUIBASE_COMMAND_CHANGELOG_FILE=changelog/db.changelog-master.yaml LIQUIBASE_SEARCH_PATH="$app/db" \
      LIQUIBASE_SHOW_BANNER=false
    run "$app/node_modules/liquibase/dist/liquibase/liquibase" "$@" ;;
  reconcile)
    app_url
    secrets_finish wallet-reconcile
    run node scripts/reconcile.js "$@" ;;
  pools)
    url_from PGBOUNCER_CONSOLE_URL pgbouncer_stats PGBOUNCER_STATS_PASSWORD \
      "${APP_DB_HOST:-pgbouncer}" "${APP_DB_PORT:-6432}" pgbouncer
    if [ -n "${MONITOR_DB_PASSWORD:-}${MONITOR_DB_PASSWORD_FILE:-}${POSTGRES_ADMIN_URL:-}${POSTGRES_ADMIN_URL_FILE:-}" ]; then
      url_from POSTGRES_ADMIN_URL wallet_monitor MONITOR_DB_PASSWORD \
        "${POSTGRES_HOST:-postgres}" "${POSTGRES_SERVER_PORT:-5432}" "${POSTGRES_DB:-wallet}"
    fi
    secrets_finish wallet-pools
    run node scripts/pools.js "$@" ;;
  keys)
    if [ ! -f scripts/keys.js ]; then say "this image has no 'keys' command (scripts/keys.js)"; exit 2; fi
    # API keys and tenants are managed as the schema owner (scripts/keys.ts), never as the app
    superuser_url
    secrets_finish wallet-keys
    run node scripts/keys.js "$@" ;;
  alert-log)
    run node "$lib/alert-log.mjs" "$@" ;;
  help|-h|--help)
    sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' ;;
  *)
    exec "$command" "$@" ;;
esac
