#!/bin/sh
# Entry point of the `postgres` service: checks the superuser password, sizes memory from the
# container's limit, then hands over to the official image's docker-entrypoint.sh.
#
# - POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (the official entrypoint reads either; this only
#   checks that one is set and is not the example value, without exporting anything).
# - POSTGRES_MEMORY_MB (compose.yml also sets the container's mem_limit from it): memory settings
#   come from docker/postgres/memory-settings.sh. When the cgroup limit the kernel enforces is
#   lower than POSTGRES_MEMORY_MB, that lower limit is used (and said).
# - POSTGRES_MAX_CONNECTIONS (default 100): see docs/operations.md before raising it.
set -eu
here=$(dirname "$0")
# shellcheck source=docker/lib/secrets.sh
. "${WALLET_LIB_DIR:-/usr/local/lib/wallet}/secrets.sh"
(
  # In a subshell: the official entrypoint refuses POSTGRES_PASSWORD and _FILE both set.
  secrets_load postgres-entrypoint POSTGRES_PASSWORD
) || exit 2

cgroup_limit_mb() {
  for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
    if [ -r "$f" ]; then
      v=$(cat "$f")
      case "$v" in
        ''|max|*[!0-9]*) return 1 ;;
      esac
      # cgroup v1 reports "no limit" as a huge number
      [ "$v" -ge 9000000000000000000 ] 2>/dev/null && return 1
      echo $((v / 1048576))
      return 0
    fi
  done
  return 1
}

memory_mb=${POSTGRES_MEMORY_MB:-1024}
if limit=$(cgroup_limit_mb) && [ "$limit" -lt "$memory_mb" ]; then
  echo "postgres-entrypoint: the container's memory limit is ${limit} MB, below POSTGRES_MEMORY_MB=${memory_mb}: sizing for ${limit} MB" >&2
  memory_mb=$limit
fi
settings=$(sh "$here/memory-settings.sh" "$memory_mb" "${POSTGRES_MAX_CONNECTIONS:-100}")
echo "postgres-entrypoint: sized for ${memory_mb} MB: $(echo "$settings" | tr '\n' ' ')" >&2
for s in $settings; do
  set -- "$@" -c "$s"
done
if [ -n "${WALLET_ENTRYPOINT_DRY_RUN:-}" ]; then
  # CI: print what would run instead of running it
  printf '%s\n' "$@"
  exit 0
fi
exec docker-entrypoint.sh "$@"
