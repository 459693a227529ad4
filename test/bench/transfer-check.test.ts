/**
 * The transfer scenarios' check can fail: after real transfers through the service, a truthful
 * record passes; a deleted incoming leg, a FAILED answer for an applied transfer and a balance
 * changed behind the ledger's back are each reported.
 */
import { describe, expect, it } from 'vitest';
import { checkTransfers, totalBalance, TransferTracker } from '../../bench/check/transfer-check.js';
import { createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

const quietBoundMs = 5_000;

/** Two funded wallets, the total before, and n transfers a → b of 0.01 each, recorded as the harness would. */
async function run(n: number): Promise<{ wallets: string[]; opening: bigint; tracker: TransferTracker; ids: string[] }> {
  const wallets = [await createWallet(t.app), await createWallet(t.app)];
  expect((await operate(t.app, wallets[0]!, { operation_type: 'DEPOSIT', amount: '10.00' })).statusCode).toBe(200);
  const opening = await totalBalance(admin, wallets);
  const tracker = new TransferTracker();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = tracker.sent({ fromWalletId: wallets[0]!, toWalletId: wallets[1]!, cents: 1n });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/transfers',
      payload: { from_wallet_id: wallets[0], to_wallet_id: wallets[1], amount: '0.01' } });
    ids.push((res.json() as { id: string }).id);
    tracker.answered(key, res.statusCode, res.body);
  }
  return { wallets, opening, tracker, ids };
}

describe('checkTransfers', () => {
  it('passes a truthful record', async () => {
    const { wallets, opening, tracker } = await run(3);
    tracker.sent({ fromWalletId: wallets[0]!, toWalletId: wallets[1]!, cents: 1n }); // cut by the time limit: never sent
    const { problems, summary } = await checkTransfers(admin, tracker, wallets, opening, quietBoundMs);
    expect(problems).toEqual([]);
    expect(summary).toMatch(/^2 wallets, total 10\.00 unchanged: 3 transfers applied with both legs \(0\.03 moved; 3 answered SUCCESS, 0 in flight/);
  });

  it('reports a missing leg, a FAILED that was applied and a total that changed', async () => {
    const { wallets, opening, tracker, ids } = await run(2);
    await admin.query(`DELETE FROM operations WHERE id = $1 AND operation_type = 'TRANSFER_IN'`, [ids[0]]);
    const key = tracker.sent({ fromWalletId: wallets[0]!, toWalletId: wallets[1]!, cents: 1n });
    const applied = await t.app.inject({ method: 'POST', url: '/api/v1/transfers',
      payload: { from_wallet_id: wallets[0], to_wallet_id: wallets[1], amount: '0.01' } });
    const id = (applied.json() as { id: string }).id;
    tracker.answered(key, 200, JSON.stringify({ id, status: 'FAILED' }));
    await admin.query('UPDATE wallets SET balance = balance + 1 WHERE id = $1', [wallets[1]]);
    const { problems } = await checkTransfers(admin, tracker, wallets, opening, quietBoundMs);
    for (const text of [`transfer ${ids[0]}: TRANSFER_OUT on ${wallets[0]!.slice(0, 8)} without its TRANSFER_IN`, `transfer ${ids[0]} answered SUCCESS without both legs`,
      `transfer ${id} answered FAILED but is stored`, 'total balance 11.00, 10.00 before the load', 'reconcile: ']) {
      expect(problems.some((p) => p.includes(text)), `${text}\n${problems.join('\n')}`).toBe(true);
    }
  });
});
