#!/bin/sh
# The Patroni node of the Compose `ha` profile (docker/patroni/Dockerfile): renders patroni.yml
# and pgbackrest.conf from the environment, then runs Patroni in the foreground as postgres.
#
#   PATRONI_NAME                node name, unique (patroni1..3); also its address on the network
#   PATRONI_ETCD_HOSTS          etcd's client endpoint(s), host:port[,host:port] (etcd:2379)
#   POSTGRES_PASSWORD           superuser (postgres): migrations, pgBackRest, operators
#   PATRONI_REPLICATION_PASSWORD  replicator: streaming replication and pg_basebackup
#   PATRONI_REWIND_PASSWORD     rewinder: pg_rewind when an old primary re-joins
#   POSTGRES_MEMORY_MB          the container's memory limit: shared_buffers etc. (memory-settings.sh)
#   POSTGRES_MAX_CONNECTIONS    max_connections (default 200; the same on every node)
#
# Each password from NAME or NAME_FILE (docker/lib/secrets.sh); example values are refused.
# They must be URL-safe (openssl rand -hex 24) so they go into YAML and URLs unquoted.
# Timing and durability are the values of tools/ha/ha-config.ts, with the reasons in docs/ha.md
# (.ci/validate-deploy.sh checks that both say the same).
# PATRONI_ENTRYPOINT_DRY_RUN=1: print patroni.yml (passwords masked) and exit.
set -eu
lib="${WALLET_LIB_DIR:-/usr/local/lib/wallet}"
# shellcheck source=docker/lib/secrets.sh
. "$lib/secrets.sh"
for name in POSTGRES_PASSWORD PATRONI_REPLICATION_PASSWORD PATRONI_REWIND_PASSWORD; do
  secrets_load_one "$name" && secrets_url_safe "$name" || true
done
[ -n "${PATRONI_NAME:-}" ] || secrets__problem "PATRONI_NAME is not set (patroni1, patroni2, ...)"
[ -n "${PATRONI_ETCD_HOSTS:-}" ] || secrets__problem "PATRONI_ETCD_HOSTS is not set (etcd:2379)"
secrets_finish patroni-entrypoint

pgdata="${PGDATA:-/var/lib/postgresql/data/pg}"
config_dir="${PATRONI_CONFIG_DIR:-/var/lib/postgresql/config}"
repo="${PGBACKREST_REPO:-/var/lib/pgbackrest}"
bin_dir="${PATRONI_PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
memory_settings=$(sh "${WALLET_MEMORY_SETTINGS:-$lib/postgres/memory-settings.sh}" "${POSTGRES_MEMORY_MB:-1024}" "${POSTGRES_MAX_CONNECTIONS:-200}")

# memory-settings.sh prints name=value lines; here they become YAML under parameters.
parameters() {
  printf '%s\n' "$memory_settings" | sed -n 's/^\([a-z_]*\)=\(.*\)$/      \1: "\2"/p'
}

# pw NAME: the password, or a mask in a dry run.
pw() {
  if [ "${PATRONI_ENTRYPOINT_DRY_RUN:-}" = 1 ]; then printf '"***"'; else eval "printf '\"%s\"' \"\$$1\""; fi
}

render() {
  cat <<YAML
# rendered by docker/patroni/entrypoint.sh at container start
scope: wallet
namespace: /service/
name: ${PATRONI_NAME}
log:
  level: WARNING
restapi:
  listen: 0.0.0.0:8008
  connect_address: ${PATRONI_NAME}:8008
etcd3:
  hosts: ${PATRONI_ETCD_HOSTS}
bootstrap:
  dcs:
    # loop_wait + 2 x retry_timeout <= ttl (2 + 2 x 4 = 10): docs/ha.md, "Timing"
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    # zero acknowledged loss: a COMMIT returns once the sync standby has the WAL on disk;
    # strict: with no standby left, commits wait rather than go on unreplicated
    synchronous_mode: true
    synchronous_mode_strict: true
    synchronous_node_count: 1
    primary_start_timeout: 30
    failsafe_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        synchronous_commit: "on"
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: ${POSTGRES_MAX_CONNECTIONS:-200}
        wal_keep_size: 256MB
        wal_retrieve_retry_interval: 1s
        archive_mode: "on"
        archive_timeout: 60s
        fsync: "on"
  initdb:
    - encoding: UTF8
    - locale: C
    - data-checksums
  # the bootstrapping node creates the pgBackRest stanza once PostgreSQL runs
  post_bootstrap: /usr/local/bin/patroni-post-bootstrap
postgresql:
  listen: 0.0.0.0:5432
  connect_address: ${PATRONI_NAME}:5432
  data_dir: ${pgdata}
  bin_dir: ${bin_dir}
  pgpass: ${config_dir}/pgpass
  authentication:
    superuser:
      username: postgres
      password: $(pw POSTGRES_PASSWORD)
    replication:
      username: replicator
      password: $(pw PATRONI_REPLICATION_PASSWORD)
    rewind:
      username: rewinder
      password: $(pw PATRONI_REWIND_PASSWORD)
  parameters:
    unix_socket_directories: /var/run/postgresql
    password_encryption: scram-sha-256
    archive_command: pgbackrest --stanza=wallet archive-push %p
$(parameters | grep -v '^      max_connections:' | sed 's/^  //')
  pg_hba:
    - local all postgres peer
    - host replication replicator samenet scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
    - host all all samenet scram-sha-256
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
YAML
}

if [ "${PATRONI_ENTRYPOINT_DRY_RUN:-}" = 1 ]; then
  render
  exit 0
fi

umask 077
mkdir -p "$config_dir" "$repo" /var/run/postgresql /tmp/pgbackrest
render > "$config_dir/patroni.yml"
cat > "$config_dir/pgbackrest.conf" <<CONF
[global]
repo1-path=${repo}
repo1-retention-full=2
log-level-console=warn
log-level-file=info
log-path=/tmp/pgbackrest
lock-path=/tmp/pgbackrest
start-fast=y
compress-type=lz4
process-max=1

[wallet]
pg1-path=${pgdata}
pg1-socket-path=/var/run/postgresql
CONF
export PGBACKREST_CONFIG="$config_dir/pgbackrest.conf"
# The passwords are in patroni.yml (0600) now; Patroni's own environment does not need them.
unset POSTGRES_PASSWORD PATRONI_REPLICATION_PASSWORD PATRONI_REWIND_PASSWORD
exec patroni "$config_dir/patroni.yml"
