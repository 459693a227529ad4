#!/bin/sh
# Prints PostgreSQL's memory settings, one `name=value` per line, for a server allowed MEMORY_MB
# megabytes (the container's memory limit). docker/postgres/entrypoint.sh passes each as `-c`,
# which overrides postgresql.conf, so the settings follow the limit instead of assuming a host.
#
#   memory-settings.sh MEMORY_MB [MAX_CONNECTIONS]
#
#   shared_buffers        25% of the limit (PostgreSQL's own page cache; the kernel caches the rest)
#   effective_cache_size  75%: a planner hint (shared_buffers + page cache), allocates nothing
#   maintenance_work_mem  1/16, at most 2 GB: VACUUM, index builds (migrations); autovacuum workers
#                         (3) use as much each
#   work_mem              (limit - shared_buffers) / (3 x max_connections), within 4..64 MB: per sort
#                         or hash node; the money path sorts nothing large and PgBouncer keeps the
#                         real number of backends far below max_connections
# docs/operations.md ("Sizing PostgreSQL") explains how to choose the limit.
set -eu
memory_mb=${1:?usage: memory-settings.sh MEMORY_MB [MAX_CONNECTIONS]}
max_connections=${2:-100}
case "$memory_mb$max_connections" in
  *[!0-9]*) echo "memory-settings: MEMORY_MB and MAX_CONNECTIONS must be whole numbers" >&2; exit 2 ;;
esac
if [ "$memory_mb" -lt 256 ]; then
  echo "memory-settings: $memory_mb MB is below the 256 MB this configuration needs" >&2
  exit 2
fi
clamp() { v=$1; [ "$v" -lt "$2" ] && v=$2; [ "$v" -gt "$3" ] && v=$3; echo "$v"; }
shared_buffers=$((memory_mb / 4))
effective_cache_size=$((memory_mb * 3 / 4))
maintenance_work_mem=$(clamp $((memory_mb / 16)) 16 2048)
work_mem=$(clamp $(((memory_mb - shared_buffers) / (3 * max_connections))) 4 64)
echo "shared_buffers=${shared_buffers}MB"
echo "effective_cache_size=${effective_cache_size}MB"
echo "maintenance_work_mem=${maintenance_work_mem}MB"
echo "work_mem=${work_mem}MB"
echo "max_connections=${max_connections}"
