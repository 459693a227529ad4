/** Operations on one hot wallet: deposits only, or deposits and withdrawals mixed. */
import { OperationTracker } from '../check/operation-tracker.js';
import { parseCents, randomCents } from '../../src/lib/cents.js';
import { checkOperations, createWalletOverHttp, http, operationPath, operationRequest, type Scenario } from './scenario.js';

/** Deposits of 0.01 to 100.00. */
const amountCentsMax = 10_000;
/** The mixed run starts with this balance so that most withdrawals succeed. */
const mixedOpeningBalance = '1000000.00';

export const hotDeposits: Scenario = {
  id: 'hot-deposit',
  title: 'Deposits, one hot wallet',
  reference: 'hot',
  async prepare(ctx) {
    const walletId = await createWalletOverHttp(ctx.baseUrl);
    const tracker = new OperationTracker();
    return {
      requests: [operationRequest(tracker, () => ({ walletId, type: 'DEPOSIT', cents: randomCents(1, amountCentsMax) }))],
      check: () => checkOperations(ctx, tracker, [walletId]),
    };
  },
};

export const hotMixed: Scenario = {
  id: 'hot-mixed',
  title: 'Deposits + withdrawals, one hot wallet',
  reference: 'hot',
  refusalsExpected: true,
  async prepare(ctx) {
    const walletId = await createWalletOverHttp(ctx.baseUrl);
    const tracker = new OperationTracker();
    // The opening deposit goes through the tracker like any other operation.
    const key = tracker.sent({ walletId, type: 'DEPOSIT', cents: parseCents(mixedOpeningBalance) });
    const opening = await http(ctx.baseUrl, 'POST', operationPath(walletId), { operation_type: 'DEPOSIT', amount: mixedOpeningBalance });
    tracker.answered(key, opening.status, JSON.stringify(opening.json));
    return {
      requests: [operationRequest(tracker, () => ({
        walletId, type: Math.random() < 0.5 ? 'DEPOSIT' : 'WITHDRAW', cents: randomCents(1, amountCentsMax),
      }))],
      check: () => checkOperations(ctx, tracker, [walletId]),
    };
  },
};
