/**
 * The HA topology's configuration, rendered from one settings object: etcd's command line, one
 * Patroni YAML per node (written as JSON, which YAML reads as is), HAProxy's config and
 * pgBackRest's. Every timing value is named here with the reason for its size.
 */
import { join } from 'node:path';

export const clusterScope = 'wallet';
export const pgBackRestStanza = 'wallet';
/** Debian's PostgreSQL 15 (package postgresql-15, a dependency of patroni): pg_rewind and the same major on every node. */
export const postgresBinDir = process.env.HA_PG_BIN_DIR || '/usr/lib/postgresql/15/bin';

/**
 * Failover timing (Patroni rule: loop_wait + 2 × retry_timeout ≤ ttl).
 * - ttl 10 s: the leader key's lease. A dead leader is replaced at most ttl (+ one loop) after its
 *   last renewal (measured: new primary 9-10 s after a node kill; 11-12 s with ttl 12). Much lower
 *   and a busy 2-core machine (fsync, checkpoints) risks a healthy leader missing its renewal and
 *   being demoted for nothing.
 * - loop_wait 2 s: how often every Patroni wakes up (renew the key, check PostgreSQL, race for the key).
 * - retry_timeout 4 s: how long a DCS or PostgreSQL call is retried before the leader gives up;
 *   2 + 2 × 4 = 10 = ttl, so a leader that cannot renew steps down (or, etcd being down, keeps
 *   going only under failsafe_mode's all-members check) before its key can expire and another
 *   node be promoted: never two primaries.
 */
export const patroniTiming = { ttlS: 10, loopWaitS: 2, retryTimeoutS: 4 } as const;

/**
 * HAProxy health checks against Patroni's REST `/primary` (200 on the leader only).
 * inter 500 ms, fall 2, rise 1: a demoted or dead primary is out within ~1 s and its sessions are
 * cut (on-marked-down shutdown-sessions), a new one is in on its first 200. Patroni answers 200
 * only once it has promoted, so rise 1 cannot send writes to a replica.
 */
export const haproxyCheck = { interMs: 500, fall: 2, rise: 1, timeoutCheckMs: 1000 } as const;

export interface HaNode {
  name: string;
  pgPort: number;
  restPort: number;
  dir: string;
}

export interface HaPorts {
  etcdClient: number;
  etcdPeer: number;
  /** HAProxy: the primary, for writes (and migrations). */
  haproxyPrimary: number;
  haproxyStats: number;
  nodes: Array<{ pgPort: number; restPort: number }>;
}

export interface HaSecrets {
  superuserPassword: string;
  replicationPassword: string;
  rewindPassword: string;
}

export interface HaLayout {
  home: string;
  ports: HaPorts;
  nodes: HaNode[];
  etcdDir: string;
  haproxyConfig: string;
  pgBackRestConfig: string;
  pgBackRestRepo: string;
}

export function haLayout(home: string, ports: HaPorts): HaLayout {
  return {
    home,
    ports,
    nodes: ports.nodes.map((p, i) => ({ name: `node${i + 1}`, pgPort: p.pgPort, restPort: p.restPort, dir: join(home, `node${i + 1}`) })),
    etcdDir: join(home, 'etcd'),
    haproxyConfig: join(home, 'haproxy.cfg'),
    pgBackRestConfig: join(home, 'pgbackrest', 'pgbackrest.conf'),
    pgBackRestRepo: join(home, 'pgbackrest', 'repo'),
  };
}

export const nodeDataDir = (node: HaNode) => join(node.dir, 'data');
export const nodeSocketDir = (node: HaNode) => join(node.dir, 'run');
export const nodeConfigPath = (node: HaNode) => join(node.dir, 'patroni.yml');

export function etcdArgs(layout: HaLayout): string[] {
  const client = `http://127.0.0.1:${layout.ports.etcdClient}`;
  const peer = `http://127.0.0.1:${layout.ports.etcdPeer}`;
  return [
    '--name', 'etcd1', '--data-dir', join(layout.etcdDir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `etcd1=${peer}`, '--initial-cluster-state', 'new',
    '--log-level', 'warn',
  ];
}

/** archive_command of one node: its own data dir, the shared local repository. */
export function archiveCommand(layout: HaLayout, node: HaNode): string {
  return `pgbackrest --config=${layout.pgBackRestConfig} --stanza=${pgBackRestStanza} --pg1-path=${nodeDataDir(node)} archive-push %p`;
}

export function patroniConfig(layout: HaLayout, node: HaNode, secrets: HaSecrets): Record<string, unknown> {
  const t = patroniTiming;
  return {
    scope: clusterScope,
    namespace: '/service/',
    name: node.name,
    log: { level: 'WARNING' },
    restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
    etcd3: { hosts: `127.0.0.1:${layout.ports.etcdClient}` },
    bootstrap: {
      dcs: {
        ttl: t.ttlS,
        loop_wait: t.loopWaitS,
        retry_timeout: t.retryTimeoutS,
        // A replica more than 1 MiB behind may not be promoted (the sync standby is never behind).
        maximum_lag_on_failover: 1_048_576,
        // Commits wait for one synchronous standby; strict: with none left, commits wait rather
        // than go on unreplicated. Only the sync standby is promotable, so no acknowledged commit is lost.
        synchronous_mode: true,
        synchronous_mode_strict: true,
        synchronous_node_count: 1,
        // A crashed primary is restarted in place if Patroni still runs; failover if it stays down.
        primary_start_timeout: 30,
        // etcd unreachable: the leader stays primary as long as every member answers its REST
        // /failsafe call (all of them see it is alive), instead of demoting itself after retry_timeout.
        failsafe_mode: true,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            synchronous_commit: 'on',
            wal_level: 'replica',
            hot_standby: 'on',
            wal_log_hints: 'on', // pg_rewind needs it (the old primary re-joins as a replica)
            max_wal_senders: 10,
            max_replication_slots: 10,
            max_connections: 200,
            wal_keep_size: '256MB',
            // After a failover the surviving replica must stream from the new primary before any
            // commit can return (strict mode); its walreceiver retries every this long (default 5 s).
            wal_retrieve_retry_interval: '1s',
            archive_mode: 'on',
            archive_timeout: '60s',
            fsync: 'on',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.pgPort}`,
      connect_address: `127.0.0.1:${node.pgPort}`,
      data_dir: nodeDataDir(node),
      bin_dir: postgresBinDir,
      pgpass: join(node.dir, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres', password: secrets.superuserPassword },
        replication: { username: 'replicator', password: secrets.replicationPassword },
        rewind: { username: 'rewinder', password: secrets.rewindPassword },
      },
      parameters: {
        unix_socket_directories: nodeSocketDir(node),
        password_encryption: 'scram-sha-256',
        archive_command: archiveCommand(layout, node),
      },
      pg_hba: [
        'local all postgres peer',
        'host replication replicator 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 scram-sha-256',
      ],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

export function haproxyConfig(layout: HaLayout): string {
  const c = haproxyCheck;
  return [
    '# generated by tools/ha/ha-config.ts: writes go to the node whose Patroni /primary answers 200',
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    // Longer than PgBouncer's server_idle_timeout (60 s): HAProxy never cuts an idle pooled connection.
    '  timeout client 30m',
    '  timeout server 30m',
    `  timeout check ${c.timeoutCheckMs}ms`,
    'listen primary',
    `  bind 127.0.0.1:${layout.ports.haproxyPrimary}`,
    '  option httpchk OPTIONS /primary',
    '  http-check expect status 200',
    `  default-server inter ${c.interMs}ms fastinter ${c.interMs}ms downinter ${c.interMs}ms fall ${c.fall} rise ${c.rise} on-marked-down shutdown-sessions`,
    ...layout.nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} maxconn 100 check port ${n.restPort}`),
    'listen stats',
    '  mode http',
    `  bind 127.0.0.1:${layout.ports.haproxyStats}`,
    '  stats enable',
    '  stats uri /',
    '',
  ].join('\n');
}

export function pgBackRestConfig(layout: HaLayout): string {
  return [
    '# generated by tools/ha/ha-config.ts; pg1-path/pg1-port/pg1-socket-path are passed per command (the current primary)',
    '[global]',
    `repo1-path=${layout.pgBackRestRepo}`,
    // Two full backups (and the incrementals and WAL they need) are kept; older ones expire.
    'repo1-retention-full=2',
    `log-path=${join(layout.home, 'pgbackrest', 'log')}`,
    `lock-path=${join(layout.home, 'pgbackrest', 'lock')}`,
    `spool-path=${join(layout.home, 'pgbackrest', 'spool')}`,
    'log-level-console=warn',
    'log-level-file=info',
    'start-fast=y',
    'compress-type=lz4',
    'process-max=1',
    '',
    `[${pgBackRestStanza}]`,
    `pg1-path=${nodeDataDir(layout.nodes[0]!)}`,
    '',
  ].join('\n');
}
