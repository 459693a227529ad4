/** Balance reads over many wallets, and wallet creation. */
import { waitForQuiet } from '../check/database-check.js';
import { insertWallets, walletsPath, type CheckResult, type Scenario } from './scenario.js';
import { spreadWalletCount } from './spread.js';

export const balanceReads: Scenario = {
  id: 'balance-read',
  title: `Balance reads over ${spreadWalletCount.toLocaleString('en-US')} wallets`,
  async prepare(ctx) {
    const walletIds = await insertWallets(ctx.db, spreadWalletCount);
    let wrong = 0;
    let firstWrong = '';
    return {
      requests: [{
        method: 'GET',
        setupRequest: (request, context) => {
          const walletId = walletIds[Math.floor(Math.random() * walletIds.length)] ?? '';
          context.walletId = walletId;
          return { ...request, path: `${walletsPath}/${walletId}` };
        },
        onResponse: (status, body, context) => {
          if (status !== 200) return;
          // Nothing writes these wallets: every read must say 0.00 for the wallet asked.
          const wallet = JSON.parse(body) as { id?: string; balance?: string };
          if (wallet.id !== context.walletId || wallet.balance !== '0.00') {
            wrong++;
            firstWrong ||= body.slice(0, 200);
          }
        },
      }],
      async check(): Promise<CheckResult> {
        const problems = wrong === 0 ? [] : [`${wrong} reads returned the wrong wallet or balance, e.g. ${firstWrong}`];
        return { ok: problems.length === 0, problems, summary: `every 200 read matched the stored wallet (${wrong} wrong)` };
      },
    };
  },
};

export const walletCreation: Scenario = {
  id: 'wallet-create',
  title: 'Wallet creation',
  async prepare(ctx) {
    const created = new Set<string>();
    let duplicates = 0;
    return {
      requests: [{
        method: 'POST',
        path: walletsPath,
        onResponse: (status, body) => {
          if (status !== 200) return;
          const id = (JSON.parse(body) as { id?: string }).id ?? '';
          if (created.has(id)) duplicates++;
          created.add(id);
        },
      }],
      async check(): Promise<CheckResult> {
        const ids = [...created];
        await waitForQuiet(ctx.db, 'SELECT count(*) FROM wallets', [], ctx.quietBoundMs);
        const stored = await ctx.db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM wallets WHERE id = ANY($1::uuid[]) AND balance = 0 AND last_seq = 0`, [ids]);
        const storedCount = Number(stored.rows[0]?.n ?? 0);
        const problems: string[] = [];
        if (duplicates > 0) problems.push(`${duplicates} wallet ids were answered twice`);
        if (storedCount !== ids.length) problems.push(`${ids.length - storedCount} of ${ids.length} answered wallets are not stored empty`);
        return { ok: problems.length === 0, problems, summary: `${ids.length} wallets answered, ${storedCount} stored with balance 0.00` };
      },
    };
  },
};
