/**
 * Transfers: between two hot wallets (both directions), and between random pairs of 10,000
 * wallets. The wallets are funded over HTTP before the load (deposits through the service, so
 * that the ledger explains every balance); the check (transfer-check.ts) holds the total balance,
 * both legs of every transfer and the reconciliation against what was answered.
 */
import type { Request } from 'autocannon';
import { formatCents, randomCents } from '../../src/lib/cents.js';
import { checkTransfers, totalBalance, TransferTracker, type SentTransfer } from '../check/transfer-check.js';
import { createWalletOverHttp, http, insertWallets, jsonHeaders, operationPath, type BenchContext, type CheckResult, type Scenario } from './scenario.js';
import { spreadWalletCount } from './spread.js';

export const transfersPath = '/api/v1/transfers';
/** Transfers of 0.01 to 100.00. */
const amountCentsMax = 10_000;
/** Each hot wallet's opening balance: far above the drift of a long run in either direction. */
const hotOpeningBalance = '10000000.00';
/** Each spread wallet's opening balance: a wallet sends about requests / 10,000 transfers of 50.00 on average. */
const spreadOpeningBalance = '100000.00';
/** Funding deposits in flight at once. */
const fundingConcurrency = 32;
const problemsShownMax = 10;

async function fund(ctx: BenchContext, walletIds: string[], amount: string): Promise<void> {
  const queue = [...walletIds];
  await Promise.all(Array.from({ length: fundingConcurrency }, async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      const { status, json } = await http(ctx.baseUrl, 'POST', operationPath(id), { operation_type: 'DEPOSIT', amount });
      if (status !== 200 || (json as { status?: unknown }).status !== 'SUCCESS') {
        throw new Error(`funding wallet ${id} answered ${status}: ${JSON.stringify(json)}`);
      }
    }
  }));
}

function transferRequest(tracker: TransferTracker, pick: () => SentTransfer): Request {
  return {
    method: 'POST',
    path: transfersPath,
    headers: jsonHeaders,
    setupRequest: (request, context) => {
      const transfer = pick();
      context.key = tracker.sent(transfer);
      return {
        ...request,
        body: JSON.stringify({ from_wallet_id: transfer.fromWalletId, to_wallet_id: transfer.toWalletId, amount: formatCents(transfer.cents) }),
      };
    },
    onResponse: (status, body, context) => { tracker.answered(context.key as number, status, body); },
  };
}

async function prepareTransfers(ctx: BenchContext, walletIds: string[], pick: () => SentTransfer) {
  const tracker = new TransferTracker();
  const openingTotal = await totalBalance(ctx.db, walletIds);
  return {
    requests: [transferRequest(tracker, pick)],
    async check(): Promise<CheckResult> {
      const { problems, summary } = await checkTransfers(ctx.db, tracker, walletIds, openingTotal, ctx.quietBoundMs);
      const shown = problems.slice(0, problemsShownMax);
      if (problems.length > problemsShownMax) shown.push(`(${problems.length - problemsShownMax} more problems)`);
      return { ok: problems.length === 0, problems: shown, summary };
    },
  };
}

export const hotTransfers: Scenario = {
  id: 'hot-transfer',
  title: 'Transfers, two hot wallets',
  reference: 'transfer-hot',
  async prepare(ctx) {
    const walletIds = [await createWalletOverHttp(ctx.baseUrl), await createWalletOverHttp(ctx.baseUrl)];
    await fund(ctx, walletIds, hotOpeningBalance);
    return prepareTransfers(ctx, walletIds, () => {
      const forward = Math.random() < 0.5;
      return { fromWalletId: walletIds[forward ? 0 : 1]!, toWalletId: walletIds[forward ? 1 : 0]!, cents: randomCents(1, amountCentsMax) };
    });
  },
};

export const spreadTransfers: Scenario = {
  id: 'spread-transfer',
  title: `Transfers between random pairs of ${spreadWalletCount.toLocaleString('en-US')} wallets`,
  reference: 'transfer-spread',
  async prepare(ctx) {
    const walletIds = await insertWallets(ctx.db, spreadWalletCount);
    await fund(ctx, walletIds, spreadOpeningBalance);
    return prepareTransfers(ctx, walletIds, () => {
      const from = Math.floor(Math.random() * walletIds.length);
      const other = Math.floor(Math.random() * (walletIds.length - 1));
      const to = other >= from ? other + 1 : other;
      return { fromWalletId: walletIds[from]!, toWalletId: walletIds[to]!, cents: randomCents(1, amountCentsMax) };
    });
  },
};
