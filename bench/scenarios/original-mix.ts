/**
 * The original project's load: each user creates a wallet, then deposits twice (random amounts)
 * and reads three times, on its own wallet (3 reads : 1 create : 2 deposits). Since only this
 * connection writes its wallet, every read must show exactly the deposits answered so far.
 */
import type { Request } from 'autocannon';
import { OperationTracker } from '../check/operation-tracker.js';
import { formatCents, parseCents, randomCents } from '../../src/lib/cents.js';
import { checkOperations, jsonHeaders, operationPath, walletsPath, type CheckResult, type Scenario } from './scenario.js';

interface UserContext {
  walletId?: string;
  /** Balance this user must see, unless an answer was lost (then it is unknown). */
  expectedCents?: bigint;
  key?: number;
  answeredKey?: number;
}

export const originalMix: Scenario = {
  id: 'original-mix',
  title: 'Original mix (3 reads : 1 create : 2 deposits per user)',
  async prepare(ctx) {
    const tracker = new OperationTracker();
    const walletIds: string[] = [];
    let wrongReads = 0;
    let firstWrong = '';
    const create: Request = {
      method: 'POST',
      path: walletsPath,
      onResponse: (status, body, raw) => {
        const context = raw as UserContext;
        if (status !== 200) return;
        context.walletId = (JSON.parse(body) as { id: string }).id;
        context.expectedCents = 0n;
        walletIds.push(context.walletId);
      },
    };
    const deposit: Request = {
      method: 'POST',
      headers: jsonHeaders,
      setupRequest: (request, raw) => {
        const context = raw as UserContext;
        if (!context.walletId) return undefined; // creation failed: start the user over
        if (context.key !== undefined && context.answeredKey !== context.key) context.expectedCents = undefined;
        const cents = randomCents(1, 100_000);
        context.key = tracker.sent({ walletId: context.walletId, type: 'DEPOSIT', cents });
        return { ...request, path: operationPath(context.walletId), body: JSON.stringify({ operation_type: 'DEPOSIT', amount: formatCents(cents) }) };
      },
      onResponse: (status, body, raw) => {
        const context = raw as UserContext;
        const key = context.key as number;
        context.answeredKey = key;
        const answer = tracker.answered(key, status, body);
        if (answer.status === 'SUCCESS' && context.expectedCents !== undefined) {
          const sent = JSON.parse(body) as { amount: string };
          context.expectedCents += parseCents(sent.amount);
        } else if (answer.status !== 'FAILED' && answer.status !== 'REFUSED') {
          context.expectedCents = undefined;
        }
      },
    };
    const read: Request = {
      method: 'GET',
      setupRequest: (request, raw) => {
        const context = raw as UserContext;
        if (!context.walletId) return undefined;
        if (context.key !== undefined && context.answeredKey !== context.key) context.expectedCents = undefined;
        return { ...request, path: `${walletsPath}/${context.walletId}` };
      },
      onResponse: (status, body, raw) => {
        const context = raw as UserContext;
        if (status !== 200 || context.expectedCents === undefined) return;
        const wallet = JSON.parse(body) as { balance: string };
        if (parseCents(wallet.balance) !== context.expectedCents) {
          wrongReads++;
          firstWrong ||= `read ${wallet.balance}, expected ${formatCents(context.expectedCents)} on ${context.walletId}`;
        }
      },
    };
    return {
      requests: [create, deposit, read, deposit, read, read],
      async check(): Promise<CheckResult> {
        const result = await checkOperations(ctx, tracker, walletIds);
        if (wrongReads > 0) result.problems.push(`${wrongReads} reads did not show the user's own answered deposits, e.g. ${firstWrong}`);
        return {
          ok: result.problems.length === 0,
          problems: result.problems,
          summary: `${walletIds.length} users; ${result.summary}; every read showed its own deposits (${wrongReads} wrong)`,
        };
      },
    };
  },
};
