#!/usr/bin/env bash
# Issue 9, bug 2: as root, a clone in a private directory (mode 0700, like /root) must run
# `npm start` unchanged, although PostgreSQL runs as the postgres user who cannot enter it.
# Clones this repo into a fresh 0700 directory, starts it twice (the data must persist), stops it
# with SIGINT to its process group (a terminal's Ctrl-C) and checks nothing is left running.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${PRIVATE_CLONE_PORT:-18123}
pg_port=${PRIVATE_CLONE_PG_PORT:-54419}
start_bound_s=180
stop_bound_s=60

private=$(mktemp -d /tmp/wallet-private-XXXXXX)  # mktemp makes it 0700
chmod 0700 "$private"
clone="$private/wallet-service"
log="$private/start.log"
fail() { echo "private-clone: FAILED: $*"; tail -n 30 "$log" 2>/dev/null; cleanup; exit 1; }
group=""
cleanup() {
  if [ -n "$group" ]; then kill -KILL -- "-$group" 2>/dev/null; fi
  # The cluster lives under /var/tmp/wallet-service (linked from .data/postgres): remove it too.
  real=$(readlink -f "$clone/.data/postgres" 2>/dev/null || true)
  case "$real" in /var/tmp/wallet-service/*) rm -rf "$real" ;; esac
  rm -rf "$private"
}

git clone -q "$repo" "$clone" || fail "git clone"
# The same dependencies as the checkout under test (hard links: instant, no download).
cp -al "$repo/node_modules" "$clone/node_modules" 2>/dev/null || cp -a "$repo/node_modules" "$clone/node_modules" || fail "copy node_modules"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  # AUTH_REQUIRED=false: this checks start-up and persistence, not API keys.
  (cd "$clone" && AUTH_REQUIRED=false PORT=$port EMBEDDED_PG_PORT=$pg_port exec setsid npm start >>"$log" 2>&1) &
  group=$!
  for _ in $(seq 1 "$start_bound_s"); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0
    kill -0 "$group" 2>/dev/null || fail "npm start exited during start-up"
    sleep 1
  done
  fail "/health did not answer within $start_bound_s s"
}

stop() {
  local lines_before
  lines_before=$(wc -l <"$log")
  kill -INT -- "-$group"
  for _ in $(seq 1 "$stop_bound_s"); do
    kill -0 "$group" 2>/dev/null || break
    sleep 1
  done
  kill -0 "$group" 2>/dev/null && fail "npm start still running $stop_bound_s s after SIGINT"
  group_left=$(pgrep -g "$group" || true)
  [ -z "$group_left" ] || fail "processes left in its group: $group_left"
  group=""
  port_open "$pg_port" && fail "PostgreSQL still listening on $pg_port after the stop"
  port_open "$port" && fail "something still listening on $port after the stop"
  tail -n "+$((lines_before + 1))" "$log" | grep -q '"level":[456]0' && fail "warnings or errors logged while stopping (a stop is not an error)"
  return 0
}

echo "private-clone: $clone (mode $(stat -c %a "$private")), npm start on :$port"
start
wallet=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/wallets/" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$wallet" ] || fail "could not create a wallet"
curl -sf -X POST "http://127.0.0.1:$port/api/v1/wallets/$wallet/operation" -H 'content-type: application/json' \
  -d '{"operation_type":"DEPOSIT","amount":"12.34"}' | grep -q '"status":"SUCCESS"' || fail "deposit not SUCCESS"
stop
echo "private-clone: first run stopped cleanly; starting again on the same data"
start
curl -sf "http://127.0.0.1:$port/api/v1/wallets/$wallet" | grep -q '"balance":"12.34"' || fail "the wallet did not persist"
stop
echo "private-clone: passed (started twice from a 0700 directory, data kept, clean SIGINT stops)"
cleanup
