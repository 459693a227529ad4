/**
 * The faults, injected one at a time while the load runs. Each `inject` returns when the fault
 * is over (the broken part is back, or the disturbance stopped): from then on the service must
 * serve again within the recovery bound without being restarted.
 */
import pg from 'pg';
import { roles } from '../tools/roles/roles.js';
import type { FaultStack } from './stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FaultContext {
  stack: FaultStack;
  hotWallets: string[];
  /** Shorter disturbances in --quick mode. */
  quick: boolean;
  note(line: string): void;
}

export interface Fault {
  name: string;
  what: string;
  /** App slots this fault kills on purpose (their restart is part of the fault, not a violation). */
  killsApps?: number[];
  inject(ctx: FaultContext): Promise<void>;
}

async function terminateAppBackends(admin: pg.Pool): Promise<number> {
  const r = await admin.query<{ n: string }>(`
    SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
     WHERE usename = $1 AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`, [roles.app]);
  return Number(r.rows[0]!.n);
}

export const faults: Fault[] = [
  {
    name: 'pgbouncer-kill',
    what: 'PgBouncer SIGKILLed, restarted 1.5 s later',
    async inject({ stack }) {
      await stack.bouncer.kill();
      await sleep(1500);
      await stack.bouncer.start();
    },
  },
  {
    name: 'postgres-fast-restart',
    what: 'PostgreSQL fast shutdown (pg_ctl -m fast), restarted 1.5 s later',
    async inject({ stack }) {
      await stack.stopPostgresFast();
      await sleep(1500);
      await stack.restartPostgres();
    },
  },
  {
    name: 'postgres-crash',
    what: 'PostgreSQL SIGKILL (postmaster and children), restart with crash recovery',
    async inject({ stack }) {
      await stack.killPostgres();
      await sleep(500);
      await stack.restartPostgres();
    },
  },
  {
    name: 'terminate-backends',
    what: 'pg_terminate_backend on app backends mid-transaction (waiting on a held hot-wallet lock) and on every busy one, for 4 s',
    async inject({ stack, hotWallets, quick, note }) {
      const until = Date.now() + (quick ? 2500 : 4000);
      let terminated = 0;
      while (Date.now() < until) {
        // Hold two hot rows briefly so that batches pile up inside their transactions, then kill them there.
        const holder = await stack.admin.connect();
        try {
          await holder.query('BEGIN');
          await holder.query('SELECT 1 FROM wallets WHERE id = ANY ($1::uuid[]) FOR UPDATE', [hotWallets.slice(0, 2)]);
          await sleep(100);
          terminated += await terminateAppBackends(stack.admin);
          await holder.query('COMMIT');
        } finally {
          holder.release();
        }
        await sleep(50);
        terminated += await terminateAppBackends(stack.admin);
      }
      note(`${terminated} backends terminated`);
    },
  },
  {
    name: 'lock-timeout-storm',
    what: 'a hot wallet row locked 3 s at a time (lock_timeout 2 s), 3 times',
    async inject({ stack, hotWallets, quick }) {
      for (let round = 0; round < (quick ? 2 : 3); round++) {
        const holder = await stack.admin.connect();
        try {
          await holder.query('BEGIN');
          await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [hotWallets[0]]);
          await sleep(3000);
          await holder.query('COMMIT');
        } finally {
          holder.release();
        }
        await sleep(200);
      }
    },
  },
  {
    name: 'pool-exhaustion',
    what: 'hog clients take every PgBouncer client slot (max_client_conn) and every server connection for 4 s',
    async inject({ stack, note }) {
      const hogs: pg.Client[] = [];
      let refused = '';
      try {
        for (let i = 0; i < 400 && !refused; i++) {
          const client = new pg.Client({ connectionString: stack.appDatabaseUrl, connectionTimeoutMillis: 3000 });
          client.on('error', () => undefined);
          try {
            await client.connect();
            hogs.push(client);
          } catch (error) {
            refused = (error as Error).message;
            await client.end().catch(() => undefined);
          }
        }
        // Hold server connections too: each open transaction pins one (default_pool_size + reserve).
        const holders = hogs.slice(0, 14);
        await Promise.all(holders.map((c) => c.query('BEGIN; SELECT count(*) FROM wallets').catch(() => undefined)));
        note(`${hogs.length} hog clients, then refused: ${refused.slice(0, 60) || 'never'}`);
        await sleep(4000);
      } finally {
        await Promise.all(hogs.map((c) => c.end().catch(() => undefined)));
      }
    },
  },
  {
    name: 'postgres-paused',
    what: 'every PostgreSQL process SIGSTOPped for 7 s (past the app\'s 6 s query timeout), then SIGCONT',
    async inject({ stack, quick }) {
      await stack.pausePostgres(quick ? 3000 : 7000);
    },
  },
  {
    name: 'app-killed',
    what: 'app 1 SIGKILLed mid-request while app 0 keeps serving; app 1 restarted 2 s later',
    killsApps: [1],
    async inject({ stack }) {
      stack.killApp(1);
      await sleep(2000);
      await stack.startApp(1);
    },
  },
];
