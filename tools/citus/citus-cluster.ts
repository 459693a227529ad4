/**
 * A Citus cluster as local processes: a coordinator and N workers, each a PostgreSQL 15 cluster
 * of Debian's binaries with the Citus extension (tools/citus/build-citus.sh installs it), started
 * by the same launcher as the embedded PostgreSQL (src/db/embedded-postgres.ts: leases, orphans of
 * a killed run, the postgres user when we are root) on loopback ports. Used by `npm run stack --
 * --citus`, the test suite's TEST_VIA_CITUS mode and `npm run pools -- --citus`.
 *
 * Nodes log in to each other with passwords from pg_dist_authinfo (Citus's own table, kept the same
 * on every node by us): one row per role that runs distributed queries (the superuser, and
 * wallet_app once it has a login). All nodes share the superuser's password, so one row (nodeid 0,
 * any node) covers every connection. Node settings: shared_preload_libraries = citus,
 * max_prepared_transactions > 0 (Citus 2PC), wal_level = logical (online shard moves).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { generatePassword } from '../roles/scram.js';

export const citusPostgresBinDir = process.env.CITUS_PG_BIN || '/usr/lib/postgresql/15/bin';
const citusLibrary = '/usr/lib/postgresql/15/lib/citus.so';

export type CitusRole = 'coordinator' | 'worker';

/** One node as `.data/citus/citus-stack.json` shows it. */
export interface CitusNodeInfo {
  name: string;
  role: CitusRole;
  host: string;
  port: number;
  data_dir: string;
}

export interface CitusClusterOptions {
  /** Holds one directory per node and the shared superuser password (secrets.json, mode 0600). */
  home: string;
  /** The coordinator's port, then one per worker. */
  ports: number[];
  /** Extra settings for every node (on top of the ones Citus needs). */
  settings?: Record<string, string>;
  log?: (message: string) => void;
}

/** What every node needs for Citus; max_connections leaves room for the other nodes' connections. */
export const citusNodeSettings: Record<string, string> = {
  shared_preload_libraries: 'citus',
  max_prepared_transactions: '300',
  wal_level: 'logical',
  max_connections: '300',
  // The nodes talk over loopback here; across machines this is sslmode=verify-full with certificates.
  'citus.node_conninfo': 'sslmode=disable',
  // The outbox's triggers on operations and holds (db/changelog/changes/050-citus-distribution.sql).
  'citus.enable_unsafe_triggers': 'on',
};

export function assertCitusInstalled(): void {
  if (!existsSync(citusLibrary)) {
    throw new Error(`Citus is not installed (${citusLibrary} is missing): run tools/citus/build-citus.sh as root ` +
      '(it builds the vendored Citus 13.2.2 into Debian\'s PostgreSQL 15 once per machine), or install Citus\'s packages.');
  }
}

async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class CitusCluster {
  private constructor(
    readonly nodes: Array<CitusNodeInfo & { server: EmbeddedPostgres }>,
    private readonly log: (message: string) => void,
  ) {}

  static async start(options: CitusClusterOptions): Promise<CitusCluster> {
    assertCitusInstalled();
    const log = options.log ?? (() => {});
    if (options.ports.length < 2) throw new Error('a Citus cluster needs a coordinator and at least one worker');
    mkdirSync(options.home, { recursive: true, mode: 0o755 });
    const secretsFile = join(options.home, 'secrets.json');
    const { superuserPassword } = existsSync(secretsFile)
      ? JSON.parse(readFileSync(secretsFile, 'utf8')) as { superuserPassword: string }
      : { superuserPassword: generatePassword() };
    writeFileSync(secretsFile, JSON.stringify({ superuserPassword }), { mode: 0o600 });

    const started: Array<CitusNodeInfo & { server: EmbeddedPostgres }> = [];
    const cluster = new CitusCluster(started, log);
    try {
      // One at a time: initdb and start-up are CPU-bound, and the machine has few cores.
      for (const [i, port] of options.ports.entries()) {
        const name = i === 0 ? 'coordinator' : `worker-${i}`;
        const server = await startEmbeddedPostgres({
          dataDir: join(options.home, name), port, binDir: citusPostgresBinDir, superuserPassword,
          settings: { ...citusNodeSettings, ...options.settings },
          log: (m) => log(`${name}: ${m}`),
        });
        started.push({ name, role: i === 0 ? 'coordinator' : 'worker', host: '127.0.0.1', port: server.port, data_dir: server.dataDir, server });
      }
      for (const node of started) {
        await withClient(node.server.url, async (client) => {
          await client.query('CREATE EXTENSION IF NOT EXISTS citus');
        });
      }
      await cluster.setRolePassword('postgres', superuserPassword);
      await withClient(cluster.coordinator.server.url, async (client) => {
        await client.query('SELECT citus_set_coordinator_host($1, $2)', ['127.0.0.1', cluster.coordinator.port]);
        const known = await client.query<{ nodeport: number }>("SELECT nodeport FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0");
        for (const worker of cluster.workers) {
          if (known.rows.some((r) => r.nodeport === worker.port)) continue;
          await client.query('SELECT citus_add_node($1, $2)', ['127.0.0.1', worker.port]);
          log(`coordinator: added worker ${worker.name} (127.0.0.1:${worker.port})`);
        }
      });
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get coordinator(): CitusNodeInfo & { server: EmbeddedPostgres } {
    return this.nodes[0]!;
  }

  get workers(): Array<CitusNodeInfo & { server: EmbeddedPostgres }> {
    return this.nodes.slice(1);
  }

  /** The coordinator as the superuser: migrations, role passwords, checks. */
  get adminUrl(): string {
    return this.coordinator.server.url;
  }

  info(): CitusNodeInfo[] {
    return this.nodes.map(({ name, role, host, port, data_dir }) => ({ name, role, host, port, data_dir }));
  }

  /**
   * The password nodes use when a session of `role` needs a connection to another node (a
   * distributed query, a delegated call, 2PC): pg_dist_authinfo on every node, since workers
   * connect to each other and to the coordinator too.
   */
  async setRolePassword(role: string, password: string): Promise<void> {
    for (const node of this.nodes) {
      await withClient(node.server.url, async (client) => {
        await client.query(
          `INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, $1, $2)
           ON CONFLICT (rolename, nodeid) DO UPDATE SET authinfo = excluded.authinfo`,
          [role, `password=${password}`]);
      });
    }
  }

  /** Workers first, then the coordinator (each leaves its server running while another process uses it). */
  async stop(): Promise<void> {
    for (const node of [...this.nodes].reverse()) {
      await node.server.stop().catch((error: Error) => this.log(`${node.name}: stopping failed: ${error.message}`));
    }
  }
}
