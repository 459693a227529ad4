/**
 * The group-commit scheduler alone, with a fake executor: which operations travel together, what
 * an operation that waited past its budget is answered, and what close() waits for. No database.
 */
import { describe, expect, it } from 'vitest';
import type { BatchExecution } from '../../src/wallets/operation-executor.js';
import { OperationBatcher, type BatcherLimits } from '../../src/wallets/operation-batcher.js';
import { Overloaded } from '../../src/wallets/wallet-errors.js';
import type { OperationInput } from '../../src/wallets/wallet-repository.js';

const limits: BatcherLimits = {
  batchSizeMax: 100, batchesInFlightMax: 4, walletBatchesInFlightMax: 1, maxWaitUs: 0,
  walletQueueMax: 1000, queueTotalMax: 10000, operationBudgetMs: 10_000,
};

let nextId = 0;
const op = (walletId: string): OperationInput => ({
  id: `op-${++nextId}`, walletId, tenant: 'default', actor: null, type: 'DEPOSIT', amount: '1.00', idempotencyKey: null, requestHash: null,
});

/** An executor whose batches finish only when the test says so. */
class FakeExecutor {
  readonly batches: { ops: readonly OperationInput[]; finish(): void }[] = [];
  execute(ops: readonly OperationInput[]): Promise<BatchExecution> {
    return new Promise((resolve) => {
      this.batches.push({
        ops,
        finish: () => resolve({
          results: ops.map((o) => ({ kind: 'done', applied: { outcome: 'APPLIED', row: {
            id: o.id, wallet_id: o.walletId, operation_type: o.type, amount: o.amount, balance_after: '1.00',
            status: 'SUCCESS', created_at: new Date(0) } } })),
          attempts: 1, transactionMs: 1, lockWaitMs: 0,
        }),
      });
    });
  }
  walletsOf(batch: number): string[] {
    return [...new Set(this.batches[batch]!.ops.map((o) => o.walletId))];
  }
}

/** Lets setImmediate-scheduled drains run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('OperationBatcher', () => {
  it('gathers what arrives together into one batch, across wallets', async () => {
    const executor = new FakeExecutor();
    const batcher = new OperationBatcher(executor, limits);
    const answers = [op('a'), op('a'), op('b'), op('c')].map((o) => batcher.submit(o));
    await turn();
    expect(executor.batches).toHaveLength(1);
    expect(executor.walletsOf(0)).toEqual(['a', 'b', 'c']);
    executor.batches[0]!.finish();
    const results = await Promise.all(answers);
    expect(results.map((r) => r.batchSize)).toEqual([4, 4, 4, 4]);
  });

  it('a wallet with a batch in flight goes alone in its next batch; cold wallets are not held behind it', async () => {
    const executor = new FakeExecutor();
    const batcher = new OperationBatcher(executor, { ...limits, walletBatchesInFlightMax: 2 });
    const first = batcher.submit(op('hot'));
    await turn();
    expect(executor.walletsOf(0)).toEqual(['hot']);
    // While hot's first batch runs: more for hot, and two cold wallets.
    const second = [batcher.submit(op('hot')), batcher.submit(op('hot'))];
    const cold = [batcher.submit(op('cold-1')), batcher.submit(op('cold-2'))];
    await turn();
    expect(executor.batches).toHaveLength(3);
    expect(executor.walletsOf(1)).toEqual(['hot']);
    expect(executor.batches[1]!.ops).toHaveLength(2);
    expect(executor.walletsOf(2)).toEqual(['cold-1', 'cold-2']);
    for (const b of executor.batches) b.finish();
    await Promise.all([first, ...second, ...cold]);
  });

  it('with one batch per wallet in flight, what arrives meanwhile waits and is sent the moment the batch ends', async () => {
    const executor = new FakeExecutor();
    const batcher = new OperationBatcher(executor, limits);
    const first = batcher.submit(op('w'));
    await turn();
    const later = [batcher.submit(op('w')), batcher.submit(op('w'))];
    await turn();
    expect(executor.batches).toHaveLength(1);
    executor.batches[0]!.finish();
    await first;
    expect(executor.batches).toHaveLength(2);
    expect(executor.batches[1]!.ops).toHaveLength(2);
    executor.batches[1]!.finish();
    await Promise.all(later);
  });

  it('answers FAILED, without sending it, an operation that waited longer than its budget', async () => {
    const executor = new FakeExecutor();
    const batcher = new OperationBatcher(executor, { ...limits, operationBudgetMs: 30 });
    const first = batcher.submit(op('w'));
    await turn();
    const late = batcher.submit(op('w'));
    await new Promise((resolve) => setTimeout(resolve, 60)); // let the queued one outlive its budget
    executor.batches[0]!.finish();
    await first;
    const answer = await late;
    expect(answer.result).toEqual({ kind: 'failed', detail: expect.stringContaining('not applied') });
    expect(executor.batches).toHaveLength(1); // never sent
  });

  it('refuses beyond the per-wallet and total queue bounds (Overloaded)', async () => {
    const executor = new FakeExecutor();
    const batcher = new OperationBatcher(executor, { ...limits, walletQueueMax: 2, queueTotalMax: 3 });
    void batcher.submit(op('w'));
    void batcher.submit(op('w'));
    expect(() => batcher.submit(op('w'))).toThrow(Overloaded);
    void batcher.submit(op('x'));
    expect(() => batcher.submit(op('y'))).toThrow(Overloaded);
  });

  it('close() refuses new operations and resolves only after every taken operation is answered', async () => {
    const executor = new FakeExecutor();
    const batcher = new OperationBatcher(executor, limits);
    const first = batcher.submit(op('w'));
    await turn();
    const queued = batcher.submit(op('w'));
    let closed = false;
    const closing = batcher.close().then(() => { closed = true; });
    expect(() => batcher.submit(op('w'))).toThrow(Overloaded);
    executor.batches[0]!.finish();
    await first;
    await turn();
    expect(closed).toBe(false); // the queued operation is still in flight
    executor.batches[1]!.finish();
    await queued;
    await closing;
    expect(closed).toBe(true);
  });

  it('close() with nothing in flight resolves at once', async () => {
    await new OperationBatcher(new FakeExecutor(), limits).close();
  });
});
