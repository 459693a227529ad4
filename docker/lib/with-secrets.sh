#!/bin/sh
# Runs a third-party image's program (Grafana, the exporters) after the same secret checks the
# stack's own entrypoints make (secrets.sh): each NAME from NAME or NAME_FILE, example values
# refused. NAME:TARGET also exports the value as TARGET, the variable the program reads.
#
#   with-secrets.sh WHO NAME[:TARGET]... -- COMMAND [ARG...]
#
# e.g. with-secrets.sh grafana GRAFANA_ADMIN_PASSWORD:GF_SECURITY_ADMIN_PASSWORD -- /run.sh
set -eu
# shellcheck source=docker/lib/secrets.sh
. "${WALLET_LIB_DIR:-$(dirname "$0")}/secrets.sh"
who=${1:?usage: with-secrets.sh WHO NAME[:TARGET]... -- COMMAND [ARG...]}
shift
targets=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  name=${1%%:*}
  secrets_load_one "$name" || true
  case "$1" in *:*) targets="$targets $name:${1#*:}" ;; esac
  unset "${name}_FILE" 2>/dev/null || true
  shift
done
[ "${1:-}" = "--" ] || { echo "with-secrets: missing -- before the command" >&2; exit 2; }
shift
secrets_finish "$who"
for pair in $targets; do
  eval "export ${pair#*:}=\"\${${pair%%:*}}\""
done
exec "$@"
