#!/usr/bin/env bash
# Builds and installs Citus into Debian's PostgreSQL 15, once per machine: does nothing when
# citus.so and Citus's control file of this version are already installed. Citus is not packaged
# in Debian 12; its upstream source (../shared/vendor, or CITUS_TARBALL) is built in a temporary
# directory outside the repository and nothing is cached in it. Installing needs root (the files go
# into /usr/lib/postgresql/15 and /usr/share/postgresql/15); as root, the missing apt build
# dependencies are installed first. Elsewhere, install Citus's own packages or use the
# citusdata/citus image instead (docs/scale-out.md).
#   tools/citus/build-citus.sh            build and install if missing; prints what it did
#   tools/citus/build-citus.sh --check    exit 0 when installed, 1 when not (builds nothing)
set -euo pipefail

citus_version=13.2.2
citus_extension_version=13.2-1 # default_version in citus.control of $citus_version
tarball_sha256=c8fc76dc8294636a52b1a0dd75a20d8b4a36937df6443e30ca84d8d0464a6bb9
pg_bin=${CITUS_PG_BIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")" && pwd)
tarball=${CITUS_TARBALL:-$here/../../../shared/vendor/citus-$citus_version.tar.gz}
build_deps=(postgresql-server-dev-15 libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev
  libselinux1-dev libxslt1-dev libpam0g-dev autoconf flex bison gcc make)

say() { printf '[build-citus] %s\n' "$*"; }

installed() {
  [ -x "$pg_bin/pg_config" ] || return 1
  local lib share
  lib=$("$pg_bin/pg_config" --pkglibdir)
  share=$("$pg_bin/pg_config" --sharedir)
  [ -f "$lib/citus.so" ] && grep -q "^default_version = '$citus_extension_version'" "$share/extension/citus.control" 2>/dev/null
}

if [ "${1:-}" = --check ]; then
  installed
  exit
fi
if installed; then
  say "Citus $citus_version is installed in $("$pg_bin/pg_config" --pkglibdir) (nothing to do)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  say "Citus $citus_version is not installed in PostgreSQL 15 and installing it needs root: run this script as root," >&2
  say "or install Citus from its own packages (https://docs.citusdata.com) for PostgreSQL 15." >&2
  exit 1
fi
started=$(date +%s)

missing=()
for p in "${build_deps[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -f "$tarball" ] || { say "the Citus source $tarball is missing (set CITUS_TARBALL)" >&2; exit 1; }
echo "$tarball_sha256  $tarball" | sha256sum --check --quiet - || { say "$tarball: wrong sha256" >&2; exit 1; }

work=$(mktemp -d /tmp/citus-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
cd "$work/citus-$citus_version"
# PostgreSQL 15.20's headers declare have_createdb_privilege() (backported from 16), which Citus
# 13.2.2 defines itself as a static function for PostgreSQL < 16: "static declaration follows
# non-static declaration". Citus's own copy is renamed, so citus.so also loads into a 15.x server
# older than its headers (Debian may install postgresql-server-dev-15 newer than postgresql-15).
if grep -q 'extern bool have_createdb_privilege' "$("$pg_bin/pg_config" --includedir-server)/commands/dbcommands.h"; then
  compat=src/include/pg_version_compat.h
  sed -i -e 's/^have_createdb_privilege(void)$/citus_have_createdb_privilege(void)/' \
    -e 's/^typedef bool TU_UpdateIndexes;$/#define have_createdb_privilege() citus_have_createdb_privilege()\n\n&/' "$compat"
  grep -q '^citus_have_createdb_privilege(void)$' "$compat" || { say "cannot patch $compat for have_createdb_privilege" >&2; exit 1; }
  say "patched $compat: PostgreSQL's headers declare have_createdb_privilege (15.20+)"
fi
log=$work/build.log
say "building Citus $citus_version against $("$pg_bin/pg_config" --version) in $work (log kept on failure in /tmp/citus-build.log)"
if ! { ./configure PG_CONFIG="$pg_bin/pg_config" && make -j"$(nproc)" && make install; } >"$log" 2>&1; then
  cp "$log" /tmp/citus-build.log
  tail -n 30 "$log" >&2
  say "build failed; full log: /tmp/citus-build.log" >&2
  exit 1
fi
installed || { say "make install finished but citus.so or citus.control $citus_extension_version is not where pg_config says" >&2; exit 1; }
say "Citus $citus_version installed in $(( $(date +%s) - started )) s"
