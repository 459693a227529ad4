/**
 * One etcd, three PostgreSQL nodes under Patroni and HAProxy in front of the primary, as local
 * processes on loopback ports (Debian packages: etcd-server, patroni, haproxy, pgbackrest).
 * Used by the HA stack, the HA fault suite and the HA tests. Everything runs as the `postgres`
 * user when we are root (PostgreSQL refuses root). Stop order: HAProxy, the replicas, the leader,
 * then etcd (Patroni stops its PostgreSQL slowly once etcd is gone).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverUser as unprivilegedUser, type ServerUser as RunAs } from '../../src/db/server-user.js';
import {
  etcdArgs, type HaLayout, haLayout, type HaNode, type HaPorts, type HaSecrets, haproxyConfig, nodeConfigPath,
  nodeDataDir, nodeSocketDir, patroniConfig, patroniTiming, pgBackRestConfig, pgBackRestStanza, postgresBinDir,
} from './ha-config.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const etcdStartTimeoutMs = 20_000;
const leaderTimeoutMs = 90_000;
const replicasTimeoutMs = 120_000;
const processStopTimeoutMs = 30_000;
const restTimeoutMs = 1_500;

export interface ClusterMember {
  name: string;
  role: string; // leader | sync_standby | replica (Patroni 3.0.2)
  state: string; // running | streaming | starting | stopped ...
  host: string;
  port: number;
  timeline?: number;
  lag?: number | string;
}

export interface HaClusterOptions {
  home: string;
  ports: HaPorts;
  secrets: HaSecrets;
  log?: (line: string) => void;
}

/** What an operator (and `npm run backup`, `npm run pools -- --ha`) needs to find the cluster. */
export interface HaClusterInfo {
  home: string;
  etcd: { clientUrl: string; dataDir: string; pid?: number };
  haproxy: { primaryPort: number; statsUrl: string; config: string; pid?: number };
  nodes: Array<{ name: string; pgPort: number; restPort: number; restUrl: string; dataDir: string; patroniConfig: string; patroniLog: string; pid?: number }>;
  pgBackRest: { config: string; repo: string; stanza: string };
  timing: typeof patroniTiming;
  postgresBinDir: string;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function chownTree(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  chownSync(path, runAs.uid, runAs.gid);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) {
      if (entry === 'data') continue; // PostgreSQL's own (mode 0700, already its owner)
      chownTree(join(path, entry), runAs);
    }
  }
}

export class HaCluster {
  readonly layout: HaLayout;
  private runAs: RunAs | undefined;
  private etcd: ChildProcess | undefined;
  private haproxy: ChildProcess | undefined;
  readonly patroni = new Map<string, ChildProcess>();
  private stopping = false;

  private constructor(private readonly options: HaClusterOptions) {
    this.layout = haLayout(options.home, options.ports);
  }

  static async start(options: HaClusterOptions): Promise<HaCluster> {
    const cluster = new HaCluster(options);
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private say(line: string): void {
    this.options.log?.(line);
  }

  get superuserPassword(): string {
    return this.options.secrets.superuserPassword;
  }

  /** The superuser through HAProxy: always the current primary. */
  primaryUrl(database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.superuserPassword)}@127.0.0.1:${this.layout.ports.haproxyPrimary}/${database}`;
  }

  /** The superuser straight to one node (reads of replication state, the ledger check after failover). */
  nodeUrl(node: HaNode, database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.superuserPassword)}@127.0.0.1:${node.pgPort}/${database}`;
  }

  node(name: string): HaNode {
    const node = this.layout.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  private writeConfigs(): void {
    const { layout } = this;
    for (const dir of [layout.home, layout.etcdDir, join(layout.home, 'pgbackrest'), layout.pgBackRestRepo,
      ...['log', 'lock', 'spool'].map((d) => join(layout.home, 'pgbackrest', d))]) mkdirSync(dir, { recursive: true, mode: 0o750 });
    for (const node of layout.nodes) {
      mkdirSync(nodeSocketDir(node), { recursive: true, mode: 0o750 });
      writeFileSync(nodeConfigPath(node), `${JSON.stringify(patroniConfig(layout, node, this.options.secrets), null, 2)}\n`, { mode: 0o600 });
    }
    writeFileSync(layout.haproxyConfig, haproxyConfig(layout), { mode: 0o644 });
    writeFileSync(layout.pgBackRestConfig, pgBackRestConfig(layout), { mode: 0o640 });
    chownTree(layout.home, this.runAs);
  }

  private spawnLogged(name: string, file: string, args: string[], logFile: string): ChildProcess {
    // A file descriptor, not a pipe: Patroni's postmaster outlives a SIGKILLed Patroni and keeps
    // writing to the output it inherited.
    const out = openSync(logFile, 'a', 0o640);
    const child = spawn(file, args, {
      cwd: this.layout.home,
      detached: true, // our parent's Ctrl-C is not theirs: stop() stops them in order
      stdio: ['ignore', out, out],
      ...(this.runAs ?? {}),
      env: { ...process.env, HOME: this.layout.home, LC_ALL: 'C.UTF-8', PATH: `${postgresBinDir}:${process.env.PATH ?? ''}` },
    });
    closeSync(out);
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.say(`${name} exited (${signal ?? `code ${code}`}); log: ${logFile}`);
    });
    return child;
  }

  startEtcd(): void {
    this.etcd = this.spawnLogged('etcd', 'etcd', etcdArgs(this.layout), join(this.layout.etcdDir, 'etcd.log'));
  }

  async waitEtcd(timeoutMs = etcdStartTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.layout.ports.etcdClient}/health`, { signal: AbortSignal.timeout(restTimeoutMs) });
        if (res.ok) return;
      } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`etcd did not answer within ${timeoutMs} ms (see ${this.layout.etcdDir}/etcd.log)`);
      await sleep(100);
    }
  }

  /** SIGSTOP-free "etcd down": the process is stopped (SIGTERM) and started again later on the same data. */
  async stopEtcd(): Promise<void> {
    await this.stopProcess(this.etcd, 'SIGTERM');
    this.etcd = undefined;
  }

  /** A PostgreSQL left running by a Patroni that was SIGKILLed in an earlier run is stopped first. */
  private async stopOrphanPostgres(node: HaNode): Promise<void> {
    const pidFile = join(nodeDataDir(node), 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!alive(pid)) return;
    this.say(`${node.name}: stopping a PostgreSQL left running by an earlier run (pid ${pid})`);
    await execFileAsync(join(postgresBinDir, 'pg_ctl'), ['stop', '-D', nodeDataDir(node), '-m', 'fast', '-w', '-t', '60'],
      { ...(this.runAs ?? {}), timeout: 70_000 }).catch(() => process.kill(pid, 'SIGKILL'));
  }

  async startNode(node: HaNode): Promise<void> {
    await this.stopOrphanPostgres(node);
    this.patroni.set(node.name, this.spawnLogged(`patroni ${node.name}`, 'patroni', [nodeConfigPath(node)], join(node.dir, 'patroni.log')));
  }

  private async boot(): Promise<void> {
    this.runAs = await unprivilegedUser();
    this.writeConfigs();
    this.startEtcd();
    await this.waitEtcd();
    this.say(`etcd on 127.0.0.1:${this.layout.ports.etcdClient}`);
    const [first, ...others] = this.layout.nodes;
    await this.startNode(first!);
    const leader = await this.waitForLeader(leaderTimeoutMs);
    this.say(`${leader} is the primary`);
    for (const node of others) await this.startNode(node);
    await this.waitHealthy(replicasTimeoutMs);
    this.haproxy = this.spawnLogged('haproxy', 'haproxy', ['-db', '-f', this.layout.haproxyConfig], join(this.layout.home, 'haproxy.log'));
    await this.waitForHaproxy(30_000);
    this.say(`HAProxy: primary on 127.0.0.1:${this.layout.ports.haproxyPrimary}, stats http://127.0.0.1:${this.layout.ports.haproxyStats}/`);
  }

  async rest(node: HaNode, path: string, init?: RequestInit): Promise<Response> {
    return fetch(`http://127.0.0.1:${node.restPort}${path}`, { ...init, signal: AbortSignal.timeout(restTimeoutMs) });
  }

  /** Members as any reachable Patroni sees them. */
  async members(): Promise<ClusterMember[]> {
    for (const node of this.layout.nodes) {
      try {
        const res = await this.rest(node, '/cluster');
        if (res.ok) return ((await res.json()) as { members: ClusterMember[] }).members;
      } catch { /* next node */ }
    }
    return [];
  }

  /** The node whose REST /primary answers 200 (what HAProxy routes to), if any. */
  async primaryNode(): Promise<HaNode | undefined> {
    const answers = await Promise.all(this.layout.nodes.map(async (n) => {
      try {
        return (await this.rest(n, '/primary')).status === 200 ? n : undefined;
      } catch {
        return undefined;
      }
    }));
    return answers.find(Boolean);
  }

  async waitForLeader(timeoutMs: number, exclude?: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const primary = await this.primaryNode();
      if (primary && primary.name !== exclude) return primary.name;
      if (Date.now() > deadline) throw new Error(`no primary within ${timeoutMs} ms (see ${this.layout.home}/node*/patroni.log)`);
      await sleep(200);
    }
  }

  /** A leader, a sync standby, and every other member streaming. */
  async waitHealthy(timeoutMs: number, expectedMembers = this.layout.nodes.length): Promise<ClusterMember[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const members = await this.members();
      const running = members.filter((m) => m.state === 'running' || m.state === 'streaming');
      if (running.length >= expectedMembers && members.some((m) => m.role === 'leader') && members.some((m) => m.role === 'sync_standby')) return members;
      if (Date.now() > deadline) {
        throw new Error(`cluster not healthy within ${timeoutMs} ms: ${JSON.stringify(members.map((m) => `${m.name}:${m.role}:${m.state}`))}`);
      }
      await sleep(300);
    }
  }

  private async waitForHaproxy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.layout.ports.haproxyStats}/;csv`, { signal: AbortSignal.timeout(restTimeoutMs) });
        if (res.ok && /\nprimary,node\d+,.*,UP,/.test(await res.text())) return;
      } catch { /* not yet */ }
      if (this.haproxy?.exitCode !== null) throw new Error(`HAProxy exited (see ${this.layout.home}/haproxy.log)`);
      if (Date.now() > deadline) throw new Error(`HAProxy routed to no primary within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  /** Until a write commits through HAProxy (a transaction id is assigned, so COMMIT waits for the sync standby). */
  async waitWritable(timeoutMs: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      const client = new pg.Client({ connectionString: this.primaryUrl(), connectionTimeoutMillis: 2000, statement_timeout: 0, query_timeout: 3000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT txid_current()');
        return performance.now() - started;
      } catch {
        if (performance.now() - started > timeoutMs) throw new Error(`no write committed through HAProxy within ${timeoutMs} ms`);
        await sleep(200);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  postmasterPid(node: HaNode): number | undefined {
    try {
      return Number(readFileSync(join(nodeDataDir(node), 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  /** SIGKILL to the postmaster only: Patroni still runs and restarts it (or fails over). */
  killPostmaster(node: HaNode): number | undefined {
    const pid = this.postmasterPid(node);
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** SIGKILL to Patroni and the postmaster together: the node is lost. */
  killNode(node: HaNode): void {
    const patroni = this.patroni.get(node.name);
    if (patroni?.pid && alive(patroni.pid)) process.kill(patroni.pid, 'SIGKILL');
    this.killPostmaster(node);
  }

  /** Planned switchover through Patroni's REST API (to `candidate`, or the sync standby). */
  async switchover(candidate?: string): Promise<void> {
    const leader = (await this.members()).find((m) => m.role === 'leader');
    if (!leader) throw new Error('switchover: no leader');
    const res = await fetch(`http://127.0.0.1:${this.node(leader.name).restPort}/switchover`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ leader: leader.name, ...(candidate ? { candidate } : {}) }),
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok) throw new Error(`switchover: ${res.status} ${await res.text()}`);
  }

  info(): HaClusterInfo {
    const { layout } = this;
    return {
      home: layout.home,
      etcd: { clientUrl: `http://127.0.0.1:${layout.ports.etcdClient}`, dataDir: join(layout.etcdDir, 'data'), pid: this.etcd?.pid },
      haproxy: {
        primaryPort: layout.ports.haproxyPrimary, statsUrl: `http://127.0.0.1:${layout.ports.haproxyStats}/`,
        config: layout.haproxyConfig, pid: this.haproxy?.pid,
      },
      nodes: layout.nodes.map((n) => ({
        name: n.name, pgPort: n.pgPort, restPort: n.restPort, restUrl: `http://127.0.0.1:${n.restPort}`,
        dataDir: nodeDataDir(n), patroniConfig: nodeConfigPath(n), patroniLog: join(n.dir, 'patroni.log'),
        pid: this.patroni.get(n.name)?.pid,
      })),
      pgBackRest: { config: layout.pgBackRestConfig, repo: layout.pgBackRestRepo, stanza: pgBackRestStanza },
      timing: patroniTiming,
      postgresBinDir,
    };
  }

  private async stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(child.pid, signal);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, processStopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** HAProxy, then the replicas, then the leader (no failover on the way out), then etcd. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.stopProcess(this.haproxy, 'SIGTERM');
    const leader = (await this.members().catch(() => [])).find((m) => m.role === 'leader')?.name;
    const replicas = [...this.patroni.entries()].filter(([name]) => name !== leader);
    await Promise.all(replicas.map(([, child]) => this.stopProcess(child, 'SIGTERM')));
    if (leader) await this.stopProcess(this.patroni.get(leader), 'SIGTERM');
    // A node whose Patroni was SIGKILLed by a fault may have left its PostgreSQL running.
    for (const node of this.layout.nodes) await this.stopOrphanPostgres(node);
    await this.stopProcess(this.etcd, 'SIGTERM');
  }
}
