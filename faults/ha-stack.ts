/**
 * The stack the HA fault suite breaks: the HA cluster of tools/ha (etcd, three Patroni nodes,
 * HAProxy on Patroni's /primary) on free ports in a temp dir, the Liquibase changelog applied
 * through HAProxy, PgBouncer in front of HAProxy, and app processes (`src/server.ts`) serving
 * through PgBouncer. The ledger check reads through HAProxy, i.e. from whichever node is primary.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/db/migrations.js';
import { freePort } from '../src/lib/free-port.js';
import { type FrontBouncer, generateSecrets, startFrontBouncer } from '../tools/pgbouncer/front-bouncer.js';
import { generatePassword } from '../tools/roles/scram.js';
import { HaCluster } from '../tools/ha/ha-cluster.js';
import { type AppProcess, startAppProcess } from '../tools/stack/app-process.js';
import { ensureStanza } from '../tools/ha/pgbackrest.js';

const appStartTimeoutMs = 60_000;
const appStopTimeoutMs = 15_000;

export interface HaApp {
  index: number;
  url: string;
  child: ChildProcess;
  starts: number;
  exited: boolean;
  process?: AppProcess;
}

export class HaFaultStack {
  readonly home: string;
  cluster!: HaCluster;
  private front!: FrontBouncer;
  admin!: pg.Pool;
  readonly apps: HaApp[] = [];

  private constructor(private readonly log: (line: string) => void) {
    this.home = mkdtempSync(join(tmpdir(), 'wallet-ha-faults-'));
    chmodSync(this.home, 0o755); // Patroni, PostgreSQL and PgBouncer run as the postgres user when we are root
  }

  static async start(apps: number, log: (line: string) => void): Promise<HaFaultStack> {
    const stack = new HaFaultStack(log);
    try {
      await stack.boot(apps);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private async boot(apps: number): Promise<void> {
    const nodes: Array<{ pgPort: number; restPort: number }> = [];
    for (let i = 0; i < 3; i++) nodes.push({ pgPort: await freePort(), restPort: await freePort() });
    const ports = {
      etcdClient: await freePort(), etcdPeer: await freePort(), haproxyPrimary: await freePort(), haproxyStats: await freePort(), nodes,
    };
    this.cluster = await HaCluster.start({
      home: join(this.home, 'cluster'), ports,
      secrets: { superuserPassword: generatePassword(), replicationPassword: generatePassword(), rewindPassword: generatePassword() },
      log: this.log,
    });
    const adminUrl = this.cluster.primaryUrl();
    // WAL archiving (archive_command on every node) needs the pgBackRest stanza.
    await ensureStanza(this.cluster.info(), this.cluster.superuserPassword, this.log);
    await migrate(adminUrl, { forceUnlock: true });
    this.admin = new pg.Pool({ connectionString: adminUrl, max: 6, connectionTimeoutMillis: 5000 });
    this.admin.on('error', () => undefined); // failovers break idle admin connections; the next query reconnects
    this.front = await startFrontBouncer({
      adminUrl, listenPort: await freePort(), runDir: join(this.home, 'pgbouncer'), secrets: generateSecrets(),
      settings: { log_connections: 0, log_disconnections: 0, stats_period: 3600 },
    });
    this.log(`PgBouncer on 127.0.0.1:${this.front.bouncer.port} → HAProxy :${ports.haproxyPrimary}`);
    for (let i = 0; i < apps; i++) {
      this.apps.push({ index: i, url: `http://127.0.0.1:${await freePort()}`, child: undefined as unknown as ChildProcess, starts: 0, exited: true });
      await this.startApp(i);
    }
  }

  private async startApp(index: number): Promise<void> {
    const app = this.apps[index]!;
    app.starts++;
    app.exited = false;
    const started = await startAppProcess({
      entry: 'server', port: Number(new URL(app.url).port), startTimeoutMs: appStartTimeoutMs,
      output: { file: join(this.home, `app-${index}.log`) },
      // Open contract (no API keys): the suite is about failover, and its load sends no key.
      env: { DATABASE_URL: this.front.appUrl, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', AUTH_REQUIRED: 'false' },
    }).catch((error: unknown) => {
      app.exited = true;
      throw error;
    });
    app.child = started.child;
    app.process = started;
    void started.exit.then(() => { if (app.child === started.child) app.exited = true; });
  }

  liveApps(): HaApp[] {
    return this.apps.filter((a) => !a.exited);
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map(async (app) => { await app.process?.stop(appStopTimeoutMs); }));
    await this.admin?.end().catch(() => undefined);
    await this.front?.bouncer.stop().catch(() => undefined);
    await this.cluster?.stop().catch((error: Error) => this.log(`stopping the cluster: ${error.message}`));
    if (!process.env.FAULTS_KEEP) rmSync(this.home, { recursive: true, force: true });
  }
}
