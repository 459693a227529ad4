/** The HA configuration as rendered: Patroni's timing rule, zero-loss settings, HAProxy's routing. */
import { describe, expect, it } from 'vitest';
import { archiveCommand, haLayout, haproxyCheck, haproxyConfig, patroniConfig, patroniTiming } from '../../tools/ha/ha-config.js';

const layout = haLayout('/srv/ha', {
  etcdClient: 23790, etcdPeer: 23800, haproxyPrimary: 54340, haproxyStats: 54350,
  nodes: [{ pgPort: 54341, restPort: 8008 }, { pgPort: 54342, restPort: 8009 }, { pgPort: 54343, restPort: 8010 }],
});
const secrets = { superuserPassword: 's', replicationPassword: 'r', rewindPassword: 'w' };

describe('HA configuration', () => {
  it("keeps Patroni's rule loop_wait + 2 × retry_timeout ≤ ttl", () => {
    const { ttlS, loopWaitS, retryTimeoutS } = patroniTiming;
    expect(loopWaitS + 2 * retryTimeoutS).toBeLessThanOrEqual(ttlS);
    const dcs = (patroniConfig(layout, layout.nodes[0]!, secrets).bootstrap as { dcs: Record<string, unknown> }).dcs;
    expect(dcs).toMatchObject({ ttl: ttlS, loop_wait: loopWaitS, retry_timeout: retryTimeoutS });
  });

  it('bootstraps synchronous, strict, one sync standby, synchronous_commit on, pg_rewind possible', () => {
    const dcs = (patroniConfig(layout, layout.nodes[0]!, secrets).bootstrap as { dcs: Record<string, unknown> }).dcs;
    expect(dcs).toMatchObject({
      synchronous_mode: true, synchronous_mode_strict: true, synchronous_node_count: 1, failsafe_mode: true,
      postgresql: { use_pg_rewind: true, parameters: { synchronous_commit: 'on', wal_log_hints: 'on', archive_mode: 'on' } },
    });
  });

  it('gives every node its own ports, data dir and archive command', () => {
    const configs = layout.nodes.map((n) => patroniConfig(layout, n, secrets) as { name: string; restapi: { listen: string }; postgresql: { listen: string; data_dir: string; parameters: { archive_command: string } } });
    for (const key of ['name', 'restapi.listen', 'postgresql.listen', 'postgresql.data_dir'] as const) {
      const values = configs.map((c) => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c));
      expect(new Set(values).size).toBe(3);
    }
    expect(configs[1]!.postgresql.parameters.archive_command).toBe(archiveCommand(layout, layout.nodes[1]!));
    expect(archiveCommand(layout, layout.nodes[1]!)).toContain('--pg1-path=/srv/ha/node2/data archive-push %p');
  });

  it('routes HAProxy to the node whose Patroni /primary answers 200 and cuts sessions of a node marked down', () => {
    const cfg = haproxyConfig(layout);
    expect(cfg).toContain('option httpchk OPTIONS /primary');
    expect(cfg).toContain('http-check expect status 200');
    expect(cfg).toMatch(new RegExp(`default-server inter ${haproxyCheck.interMs}ms .* on-marked-down shutdown-sessions`));
    for (const n of layout.nodes) expect(cfg).toContain(`server ${n.name} 127.0.0.1:${n.pgPort} maxconn 100 check port ${n.restPort}`);
  });
});
