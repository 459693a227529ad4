/**
 * The group-commit scheduler alone, with a fake executor: which operations travel together, what
 * an operation that waited past its budget is answered, and what close() waits for. No database.
 */
import { describe, expect, it } from 'vitest';
import type { BatchExecution } from '../../src/ledger/command-executor.js';
import { CommandBatcher, type BatcherLimits } from '../../src/ledger/command-batcher.js';
import { Overloaded } from '../../src/ledger/errors.js';
import type { Command } from '../../src/ledger/apply-script.js';

const limits: BatcherLimits = {
  batchSizeMax: 100, batchesInFlightMax: 4, walletBatchesInFlightMax: 1, maxWaitUs: 0,
  walletQueueMax: 1000, queueTotalMax: 10000, commandBudgetMs: 10_000,
};

let nextId = 0;
const op = (walletId: string): Command => ({
  id: `op-${++nextId}`, walletId, tenant: 'default', actor: null, type: 'DEPOSIT', amount: '1.00', idempotencyKey: null, requestHash: null,
});

const transfer = (from: string, to: string): Command => ({ ...op(from), type: 'TRANSFER_OUT', counterpartyWalletId: to });

/** An executor whose batches finish only when the test says so. */
class FakeExecutor {
  readonly batches: { ops: readonly Command[]; finish(): void }[] = [];
  execute(ops: readonly Command[]): Promise<BatchExecution> {
    return new Promise((resolve) => {
      this.batches.push({
        ops,
        finish: () => resolve({
          results: ops.map((o) => ({ kind: 'done', applied: { outcome: 'APPLIED', row: {
            id: o.id, wallet_id: o.walletId, operation_type: o.type === 'REVERSAL' ? 'REVERSAL_IN' : o.type === 'TRANSFER_OUT' ? 'TRANSFER_OUT' : 'DEPOSIT', amount: o.amount, balance_after: '1.00',
            status: 'SUCCESS', counterparty_wallet_id: o.counterpartyWalletId ?? null, created_at: new Date(0) },
            counterpartyBalanceAfter: null } })),
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

describe('CommandBatcher', () => {
  it('gathers what arrives together into one batch, across wallets', async () => {
    const executor = new FakeExecutor();
    const batcher = new CommandBatcher(executor, limits);
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
    const batcher = new CommandBatcher(executor, { ...limits, walletBatchesInFlightMax: 2 });
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
    const batcher = new CommandBatcher(executor, limits);
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

  it('the next batch reaches its connection before the finished batch is answered', async () => {
    // pg.Pool.connect hands over a connection in a nextTick, and the script is written to it in the
    // microtask that follows; an answer delivered before that would keep the row lock idle while
    // every answer of the batch is serialised and written to its socket.
    const events: string[] = [];
    const executor = new FakeExecutor();
    const execute = executor.execute.bind(executor);
    executor.execute = (ops) => {
      process.nextTick(() => queueMicrotask(() => events.push(`sent ${ops.length}`)));
      return execute(ops);
    };
    const batcher = new CommandBatcher(executor, limits);
    const first = batcher.submit(op('w')).then(() => events.push('answered 1'));
    await turn();
    const later = [batcher.submit(op('w')), batcher.submit(op('w'))];
    await turn();
    executor.batches[0]!.finish();
    await first;
    expect(events).toEqual(['sent 1', 'sent 2', 'answered 1']);
    executor.batches[1]!.finish();
    await Promise.all(later);
  });

  it('lingers (maxWaitUs) only right after a batch was answered; an idle engine sends at the next turn', async () => {
    const executor = new FakeExecutor();
    const batcher = new CommandBatcher(executor, { ...limits, maxWaitUs: 50_000 });
    const first = batcher.submit(op('w'));
    await turn();
    expect(executor.batches).toHaveLength(1); // nothing answered yet: no linger
    executor.batches[0]!.finish();
    await first;
    const startedAt = performance.now();
    const next = batcher.submit(op('w'));
    await turn();
    expect(executor.batches).toHaveLength(1); // a batch was just answered: waits for company
    const company = batcher.submit(op('w'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(executor.batches).toHaveLength(2);
    expect(executor.batches[1]!.ops).toHaveLength(2);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(45);
    executor.batches[1]!.finish();
    await Promise.all([next, company]);
  });

  it('answers FAILED, without sending it, an operation that waited longer than its budget', async () => {
    const executor = new FakeExecutor();
    const batcher = new CommandBatcher(executor, { ...limits, commandBudgetMs: 30 });
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
    const batcher = new CommandBatcher(executor, { ...limits, walletQueueMax: 2, queueTotalMax: 3 });
    void batcher.submit(op('w'));
    void batcher.submit(op('w'));
    expect(() => batcher.submit(op('w'))).toThrow(Overloaded);
    void batcher.submit(op('x'));
    expect(() => batcher.submit(op('y'))).toThrow(Overloaded);
  });

  it('close() refuses new operations and resolves only after every taken operation is answered', async () => {
    const executor = new FakeExecutor();
    const batcher = new CommandBatcher(executor, limits);
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
    await new CommandBatcher(new FakeExecutor(), limits).close();
  });

  describe('transfers (queued in both wallets)', () => {
    const ids = (batch: { ops: readonly Command[] }) => batch.ops.map((o) => o.id);

    it('travel with the operations of both wallets, in arrival order', async () => {
      const executor = new FakeExecutor();
      const batcher = new CommandBatcher(executor, limits);
      const ops = [op('a'), op('b'), transfer('a', 'b'), op('c'), op('b'), op('a')];
      const answers = ops.map((o) => batcher.submit(o));
      await turn();
      expect(executor.batches).toHaveLength(1);
      // the group {a, b} first, in arrival order, then c
      expect(ids(executor.batches[0]!)).toEqual([ops[0], ops[1], ops[2], ops[4], ops[5], ops[3]].map((o) => o!.id));
      executor.batches[0]!.finish();
      expect((await Promise.all(answers)).map((r) => r.batchSize)).toEqual([6, 6, 6, 6, 6, 6]);
    });

    it('wait for a batch in flight on either wallet, and nothing on that wallet overtakes them', async () => {
      const executor = new FakeExecutor();
      const batcher = new CommandBatcher(executor, limits);
      const first = batcher.submit(op('target'));
      await turn();
      expect(executor.walletsOf(0)).toEqual(['target']);
      // target is in flight: the transfer (and everything after it on source) must wait for it
      const t1 = transfer('source', 'target');
      const after = op('source');
      const cold = op('cold');
      const answers = [t1, after, cold].map((o) => batcher.submit(o));
      await turn();
      expect(executor.batches).toHaveLength(2);
      expect(ids(executor.batches[1]!)).toEqual([cold.id]);
      executor.batches[0]!.finish();
      await first;
      expect(executor.batches).toHaveLength(3);
      expect(ids(executor.batches[2]!)).toEqual([t1.id, after.id]);
      for (const b of executor.batches.slice(1)) b.finish();
      await Promise.all(answers);
    });

    it('link wallets transitively, and a full batch takes the earliest of the group (a prefix of each queue)', async () => {
      const executor = new FakeExecutor();
      const batcher = new CommandBatcher(executor, { ...limits, batchSizeMax: 3 });
      const ops = [op('x'), transfer('x', 'y'), transfer('y', 'z'), op('z'), op('x')];
      const answers = ops.map((o) => batcher.submit(o));
      await turn();
      expect(ids(executor.batches[0]!)).toEqual([ops[0], ops[1], ops[2]].map((o) => o!.id));
      expect(executor.batches).toHaveLength(1); // x, y and z are all in flight
      executor.batches[0]!.finish();
      await turn();
      // no transfer links x and z any more: two groups, in any order
      expect(new Set(ids(executor.batches[1]!))).toEqual(new Set([ops[3]!.id, ops[4]!.id]));
      executor.batches[1]!.finish();
      await Promise.all(answers);
    });

    it('count against both wallets\' queue bounds, and once against the total', async () => {
      const executor = new FakeExecutor();
      const batcher = new CommandBatcher(executor, { ...limits, walletQueueMax: 1, queueTotalMax: 2 });
      void batcher.submit(op('p'));
      expect(() => batcher.submit(transfer('q', 'p'))).toThrow(Overloaded);
      void batcher.submit(transfer('q', 'r'));
      expect(batcher.queued).toBe(2);
    });
  });
});
