/**
 * The HA faults, injected one at a time under load on the HA stack. `inject` performs the fault
 * and returns; `heal` brings back what was killed (the old primary re-joins through pg_rewind) and
 * waits until the cluster again has a leader, a synchronous standby and every member running.
 */
import type { ClusterMember, HaCluster } from '../tools/ha/ha-cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Bound on a healed cluster: a re-joining node runs pg_rewind or crash recovery first. */
const healTimeoutMs = 120_000;
const failoverTimeoutMs = 90_000;
export const etcdOutageMs = 10_000;

export interface HaFaultContext {
  cluster: HaCluster;
  note(line: string): void;
}

export interface HaFault {
  name: string;
  what: string;
  inject(ctx: HaFaultContext): Promise<void>;
  heal(ctx: HaFaultContext): Promise<void>;
}

async function memberWithRole(cluster: HaCluster, role: string): Promise<ClusterMember> {
  const member = (await cluster.members()).find((m) => m.role === role);
  if (!member) throw new Error(`no ${role} in the cluster`);
  return member;
}

async function healed(ctx: HaFaultContext, since: number): Promise<void> {
  await ctx.cluster.waitWritable(healTimeoutMs);
  ctx.note(`a write committed through HAProxy ${Math.round(performance.now() - since)} ms after the fault`);
  const members = await ctx.cluster.waitHealthy(healTimeoutMs);
  ctx.note(`cluster healthy again ${Math.round(performance.now() - since)} ms after the fault: ` +
    members.map((m) => `${m.name} ${m.role}`).join(', '));
}

/** Which node was killed by the last inject, for heal to restart (one fault at a time). */
let killed: string | undefined;
let killedPid: number | undefined;
let injectedAt = 0;

/** Waits for a primary other than `old` and notes how long Patroni took (kill to /primary 200). */
async function noteFailover(ctx: HaFaultContext, old: string): Promise<void> {
  const leader = await ctx.cluster.waitForLeader(failoverTimeoutMs, old);
  ctx.note(`${leader} answered /primary 200 ${Math.round(performance.now() - injectedAt)} ms after the fault (was ${old})`);
}

export const haFaults: HaFault[] = [
  {
    name: 'primary-postmaster-kill',
    what: "SIGKILL of the primary's postmaster (Patroni keeps running)",
    async inject({ cluster, note }) {
      const leader = await memberWithRole(cluster, 'leader');
      injectedAt = performance.now();
      killedPid = cluster.killPostmaster(cluster.node(leader.name));
      killed = leader.name;
      note(`killed postmaster ${killedPid} of ${leader.name}`);
    },
    async heal(ctx) {
      // Patroni restarts it in place (crash recovery) or, after primary_start_timeout, fails over.
      const deadline = performance.now() + failoverTimeoutMs;
      const node = ctx.cluster.node(killed!);
      for (;;) {
        const pid = ctx.cluster.postmasterPid(node);
        if (pid !== undefined && pid > 0 && pid !== killedPid && (await ctx.cluster.primaryNode())) break;
        if (performance.now() > deadline) throw new Error('PostgreSQL was not restarted');
        await sleep(100);
      }
      const primary = await ctx.cluster.waitForLeader(failoverTimeoutMs);
      ctx.note(`${primary} is primary (postmaster ${ctx.cluster.postmasterPid(ctx.cluster.node(primary))}) ${Math.round(performance.now() - injectedAt)} ms after the kill`);
      await healed(ctx, injectedAt);
    },
  },
  {
    name: 'primary-node-kill',
    what: "SIGKILL of the primary's Patroni and postmaster together (node lost); it re-joins afterwards",
    async inject({ cluster, note }) {
      const leader = await memberWithRole(cluster, 'leader');
      injectedAt = performance.now();
      cluster.killNode(cluster.node(leader.name));
      killed = leader.name;
      note(`killed Patroni and postmaster of ${leader.name}`);
    },
    async heal(ctx) {
      await noteFailover(ctx, killed!);
      await ctx.cluster.startNode(ctx.cluster.node(killed!));
      await healed(ctx, injectedAt);
    },
  },
  {
    name: 'switchover',
    what: 'planned switchover (Patroni REST /switchover) under load',
    async inject({ cluster, note }) {
      const leader = await memberWithRole(cluster, 'leader');
      injectedAt = performance.now();
      killed = leader.name;
      await cluster.switchover();
      note(`switchover requested from ${leader.name}`);
    },
    async heal(ctx) {
      await noteFailover(ctx, killed!);
      await healed(ctx, injectedAt);
    },
  },
  {
    name: 'sync-standby-kill',
    what: 'SIGKILL of the synchronous standby (Patroni and postmaster); writes go on with the other replica',
    async inject({ cluster, note }) {
      const standby = await memberWithRole(cluster, 'sync_standby');
      injectedAt = performance.now();
      cluster.killNode(cluster.node(standby.name));
      killed = standby.name;
      note(`killed Patroni and postmaster of ${standby.name} (sync standby)`);
    },
    async heal(ctx) {
      const deadline = performance.now() + failoverTimeoutMs;
      for (;;) {
        const sync = (await ctx.cluster.members()).find((m) => m.role === 'sync_standby' && m.name !== killed);
        if (sync) {
          ctx.note(`${sync.name} became the sync standby ${Math.round(performance.now() - injectedAt)} ms after the kill`);
          break;
        }
        if (performance.now() > deadline) throw new Error('no new sync standby');
        await sleep(200);
      }
      await ctx.cluster.startNode(ctx.cluster.node(killed!));
      await healed(ctx, injectedAt);
    },
  },
  {
    name: 'etcd-stop',
    what: `etcd stopped for ${etcdOutageMs / 1000} s, then started again`,
    async inject({ cluster, note }) {
      injectedAt = performance.now();
      await cluster.stopEtcd();
      note('etcd stopped');
      await sleep(etcdOutageMs);
      cluster.startEtcd();
      await cluster.waitEtcd();
      note(`etcd back after ${Math.round(performance.now() - injectedAt)} ms`);
    },
    async heal(ctx) {
      const primary = await ctx.cluster.waitForLeader(failoverTimeoutMs);
      ctx.note(`${primary} answered /primary 200 ${Math.round(performance.now() - injectedAt)} ms after etcd stopped`);
      await healed(ctx, injectedAt);
    },
  },
];
