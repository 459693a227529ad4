/** Deposits spread over many wallets: no row is hot, so commits are the limit. */
import { OperationTracker } from '../check/operation-tracker.js';
import { randomCents } from '../../src/lib/cents.js';
import { checkOperations, insertWallets, operationRequest, type Scenario } from './scenario.js';

export const spreadWalletCount = 10_000;

export const spreadDeposits: Scenario = {
  id: 'spread-deposit',
  title: `Deposits over ${spreadWalletCount.toLocaleString('en-US')} wallets`,
  reference: 'spread',
  async prepare(ctx) {
    const walletIds = await insertWallets(ctx.db, spreadWalletCount);
    const tracker = new OperationTracker();
    const pickWallet = () => walletIds[Math.floor(Math.random() * walletIds.length)] ?? '';
    return {
      requests: [operationRequest(tracker, () => ({ walletId: pickWallet(), type: 'DEPOSIT', cents: randomCents(1, 10_000) }))],
      check: () => checkOperations(ctx, tracker, walletIds),
    };
  },
};
