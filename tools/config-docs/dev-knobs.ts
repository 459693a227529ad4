/**
 * Environment variables read by the tests, the benchmark, the fault suite, the tools and scripts,
 * outside the service's schema (src/config/). Rendered into docs/configuration.md; a test greps
 * those folders and fails when a variable read there is missing here, or listed here and read
 * nowhere (test/config/dev-knobs.test.ts).
 */

/** The top-level folders a variable may be read in. */
export type KnobArea = 'src' | 'test' | 'bench' | 'faults' | 'tools' | 'scripts' | 'vitest.config.ts';

export interface DevKnob {
  env: string;
  /** Every folder that reads it (the test checks the list against the code). */
  readIn: readonly KnobArea[];
  /** One line: what it changes, with its default. */
  meaning: string;
}

/**
 * Variables read there that are nobody's knob: the search path for binaries. Service settings
 * read there (`HOST`, `PORT`, `LOG_LEVEL`, ...) mean what the tables above say and are not listed,
 * unless a tool gives them another meaning.
 */
export const NOT_KNOBS: readonly string[] = ['PATH'];

export const DEV_KNOBS: readonly DevKnob[] = [
  // The test suite.
  { env: 'CI', readIn: ['test', 'faults', 'vitest.config.ts'], meaning: 'set (by CI): `.only` fails the run, a JSON report is written, and tests that need PgBouncer or Chromium run instead of being skipped' },
  { env: 'VITEST_JSON', readIn: ['faults', 'vitest.config.ts'], meaning: 'where the CI JSON report goes (default `coverage/test-results.json`, faults: `coverage/faults-results.json`)' },
  { env: 'TEST_VIA_PGBOUNCER', readIn: ['test'], meaning: '`1`: the suite runs as `wallet_app` through a real PgBouncer in transaction mode (`npm run test:pgbouncer`)' },
  { env: 'TEST_VIA_CITUS', readIn: ['test'], meaning: '`1`: the suite runs against a Citus cluster it starts (a coordinator and two workers, 8 shards per table; tools/citus, docs/scale-out.md)' },
  { env: 'TEST_DATABASE_URL', readIn: ['test'], meaning: 'use this running server (e.g. PgBouncer) instead of starting PostgreSQL for the run' },
  { env: 'TEST_ADMIN_DATABASE_URL', readIn: ['test'], meaning: 'with `TEST_DATABASE_URL`: a direct PostgreSQL URL for migrations and for inspecting locks (default: `TEST_DATABASE_URL`)' },
  { env: 'TEST_PGBOUNCER_CONSOLE_URL', readIn: ['test'], meaning: 'with `TEST_DATABASE_URL`: PgBouncer\'s console, for the tests that read its pools' },
  { env: 'TEST_SKIP_MIGRATE', readIn: ['test'], meaning: '`true`: do not apply the changelog to `TEST_ADMIN_DATABASE_URL` first' },
  { env: 'AUTH_REQUIRED', readIn: ['test', 'tools'], meaning: '`false`: the test app and `npm run stack` follow the open contract (no keys; the suite\'s open-contract pass)' },
  { env: 'FUZZ_RUNS', readIn: ['test'], meaning: 'property runs per fuzzed endpoint family (default 150) and per engine property (default 30); raise for a soak' },
  { env: 'CONSERVATION_WALLETS', readIn: ['test'], meaning: 'transfer conservation test: wallets (default 30)' },
  { env: 'CONSERVATION_REQUESTS', readIn: ['test'], meaning: 'transfer conservation test: requests (default 1500)' },
  { env: 'CONSERVATION_IN_FLIGHT', readIn: ['test'], meaning: 'transfer conservation test: requests in flight (default 300)' },
  { env: 'HOLD_CONSERVATION_WALLETS', readIn: ['test'], meaning: 'hold conservation test: wallets (default 50)' },
  { env: 'HOLD_CONSERVATION_REQUESTS', readIn: ['test'], meaning: 'hold conservation test: requests (default 2000)' },
  { env: 'HOLD_CONSERVATION_IN_FLIGHT', readIn: ['test'], meaning: 'hold conservation test: requests in flight (default 300)' },
  { env: 'FAULTS_QUICK', readIn: ['test'], meaning: 'faults run inside the test suite, comma-separated (default `pgbouncer-kill,terminate-backends,postgres-crash`)' },
  { env: 'HA_TESTS', readIn: ['test'], meaning: '`1`: run the HA restore drill (needs patroni, etcd-server, haproxy, pgbackrest; about 2 minutes)' },
  { env: 'HA_TESTS_VERBOSE', readIn: ['test'], meaning: 'set: the restore drill prints its steps' },
  { env: 'CHROMIUM_PATH', readIn: ['test'], meaning: 'the browser of the `/dashboard` and Swagger tests (default `/usr/bin/chromium`)' },
  { env: 'UPDATE_SCREENSHOT', readIn: ['test'], meaning: '`1`: the dashboard test rewrites the README\'s picture (`docs/dashboard.png`)' },
  { env: 'WORKER_INCREMENT', readIn: ['test'], meaning: 'internal: what a cluster-metrics test worker adds to its counter (set by the test)' },
  { env: 'DATABASE_URL', readIn: ['test', 'tools'], meaning: 'besides the service\'s own use: the database `test/observability/seed-ledger.ts` fills; for `npm run stack`, a direct PostgreSQL URL of a role that may migrate and ALTER ROLE (default: an embedded cluster)' },
  // The benchmark and the fault suite.
  { env: 'PGBENCH', readIn: ['bench'], meaning: 'the pgbench binary of the bench\'s reference run (default: the newest `/usr/lib/postgresql/N/bin/pgbench`, then `PATH`)' },
  { env: 'CEILING_RESPONSE', readIn: ['bench'], meaning: 'internal: the canned answer the HTTP-ceiling server sends (set by the bench)' },
  { env: 'FAULTS_KEEP', readIn: ['faults'], meaning: 'set: keep the fault stack\'s directory (logs, data) after a run' },
  // Tools and scripts.
  { env: 'STACK_DIR', readIn: ['tools'], meaning: '`npm run stack`: its data, secrets and endpoints (default `.data/stack`)' },
  { env: 'STACK_PG_PORT', readIn: ['tools'], meaning: '`npm run stack`: port of its embedded PostgreSQL (default 54339)' },
  { env: 'PGBOUNCER_PORT', readIn: ['tools'], meaning: '`npm run stack` (and `-- --ha`): PgBouncer\'s port (default 6432)' },
  { env: 'APP_DB_PASSWORD', readIn: ['tools'], meaning: '`npm run stack`: password of `wallet_app` (default: generated once, kept in `STACK_DIR`)' },
  { env: 'PGBOUNCER_AUTH_PASSWORD', readIn: ['tools'], meaning: '`npm run stack`: password of PgBouncer\'s auth_query role (default: generated once)' },
  { env: 'PGBOUNCER_ADMIN_PASSWORD', readIn: ['tools'], meaning: '`npm run stack`: password of PgBouncer\'s admin console user (default: generated once)' },
  { env: 'PGBOUNCER_STATS_PASSWORD', readIn: ['tools'], meaning: '`npm run stack`: password of PgBouncer\'s stats console user (default: generated once)' },
  { env: 'PGBOUNCER_BIN', readIn: ['tools'], meaning: 'the pgbouncer binary (default: the usual install paths, then `PATH`)' },
  { env: 'STACK_HA_DIR', readIn: ['tools'], meaning: '`npm run stack -- --ha`, backup, restore: the HA stack\'s directory (default `.data/ha`)' },
  { env: 'HA_PG_BIN_DIR', readIn: ['tools'], meaning: 'PostgreSQL binaries of the HA stack (default `/usr/lib/postgresql/15/bin`)' },
  { env: 'STACK_CITUS_DIR', readIn: ['tools'], meaning: '`npm run stack -- --citus`, `npm run pools -- --citus`: the Citus stack\'s directory (default `.data/citus`)' },
  { env: 'CITUS_PORT_BASE', readIn: ['tools'], meaning: 'Citus stack: the coordinator\'s port; the workers take the next ones (default 54361)' },
  { env: 'CITUS_WORKERS', readIn: ['tools'], meaning: 'Citus stack: worker nodes (default 2)' },
  { env: 'CITUS_PG_BIN', readIn: ['tools'], meaning: 'the bin directory of the PostgreSQL that has Citus (default `/usr/lib/postgresql/15/bin`; tools/citus/build-citus.sh installs it there)' },
  { env: 'HA_PG_PORT_BASE', readIn: ['tools'], meaning: 'HA stack: first PostgreSQL port, one per node (default 54341)' },
  { env: 'HA_REST_PORT_BASE', readIn: ['tools'], meaning: 'HA stack: first Patroni REST port, one per node (default 8008)' },
  { env: 'HA_ETCD_PORT', readIn: ['tools'], meaning: 'HA stack: etcd client port (default 23790)' },
  { env: 'HA_ETCD_PEER_PORT', readIn: ['tools'], meaning: 'HA stack: etcd peer port (default 23800)' },
  { env: 'HA_HAPROXY_PORT', readIn: ['tools'], meaning: 'HA stack: HAProxy\'s port for the primary (default 54340)' },
  { env: 'HA_HAPROXY_STATS_PORT', readIn: ['tools'], meaning: 'HA stack: HAProxy\'s stats page (default 54350)' },
  { env: 'KEYS_ACTOR', readIn: ['scripts'], meaning: '`npm run keys`: who is recorded in the audit (default `user@host`)' },
  { env: 'PGBOUNCER_CONSOLE_URL', readIn: ['scripts'], meaning: '`npm run pools`: PgBouncer\'s console (stats or admin user, database `pgbouncer`) instead of the running stack\'s' },
  { env: 'POSTGRES_ADMIN_URL', readIn: ['scripts'], meaning: '`npm run pools` with `PGBOUNCER_CONSOLE_URL`: PostgreSQL URL for `pg_stat_activity`' },
  // The service, outside its schema: read by the embedded-PostgreSQL launcher, which tools share.
  { env: 'WALLET_SERVER_FILES_DIR', readIn: ['src'], meaning: 'run as root with the project in a private directory: where the files PostgreSQL runs from are kept (default `/var/tmp/wallet-service`; [local stack](local-stack.md))' },
];
