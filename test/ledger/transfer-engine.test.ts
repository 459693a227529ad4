/**
 * Transfers in the group-commit engine, below HTTP: a batch mixing deposits, withdrawals and
 * transfers gives exactly the results of a one-by-one model (fast-check), and a batch retried
 * after a cut connection applies every transfer's two legs exactly once.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { formatCents, parseCents } from '../../src/lib/cents.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { CommandExecutor, type ExecutionResult } from '../../src/ledger/command-executor.js';
import type { CommandType } from '../../src/ledger/names.js';
import type { Command } from '../../src/ledger/apply-script.js';
import { operationRequestHash as requestHash } from '../../src/ledger/request-hash.js';
import { transferRequestHash } from '../../src/ledger/request-hash.js';
import { useFaultProxy } from '../support/fault-proxy.js';
import { balanceOf, createWallet, useAdminPool, useTestApp, useTestDb } from '../support/test-app.js';

const log = pino({ level: 'silent' });
const limits = { lockTimeoutMs: 2000, statementTimeoutMs: 5000 };
const policy = { attemptsMax: 5, baseDelayMs: 5, maxDelayMs: 50, budgetMs: 5000 };
const MAX_CENTS = parseCents('9999999999999999.99');

const admin = useAdminPool();
const db = useTestDb();
const t = useTestApp();

function op(walletId: string, type: Exclude<CommandType, 'REVERSAL' | 'HOLD' | 'CAPTURE' | 'VOID'>, amount: string, to?: string, key?: string): Command {
  return {
    id: randomUUID(), walletId, counterpartyWalletId: to ?? null, tenant: t.tenant, actor: t.key?.key_id ?? null, type, amount,
    idempotencyKey: key ?? null,
    requestHash: key === undefined ? null : type === 'TRANSFER_OUT' ? transferRequestHash(to!, amount) : requestHash(type, amount),
  };
}

/** What a client sees: outcome, source balance, target balance. */
function summary(result: ExecutionResult): string {
  if (result.kind !== 'done') return result.kind;
  const { outcome, row, counterpartyBalanceAfter } = result.applied;
  return `${outcome}:${row?.balance_after ?? '-'}${counterpartyBalanceAfter ? `>${counterpartyBalanceAfter}` : ''}`;
}

type Step =
  | { kind: 'DEPOSIT' | 'WITHDRAW'; w: number; cents: number }
  | { kind: 'TRANSFER_OUT'; w: number; to: number; cents: number }
  /** The reversal of an earlier step, `back` steps before it (wrapped), sent as its original asks. */
  | { kind: 'REVERSE'; back: number };

interface Modeled { applied: boolean; reversal: boolean; reversedBy: number | null; after: string }

/** The one-by-one model: each step judged against the running balances, in order. */
function model(steps: Step[], wallets: number): string[] {
  const bal = Array.from({ length: wallets }, () => 0n);
  const done: Modeled[] = [];
  const money = (w: number) => formatCents(bal[w]!);
  return steps.map((s, i) => {
    const record = (answer: string, applied: boolean, reversal = false) => {
      done.push({ applied, reversal, reversedBy: null, after: answer.split(':')[1]!.split('>')[0]! });
      return answer;
    };
    if (s.kind === 'REVERSE') {
      const k = originalOf(i, s.back);
      if (k === undefined) return record('ORIGINAL_NOT_FOUND:-', false);
      const original = steps[k]! as Exclude<Step, { kind: 'REVERSE' }>;
      if (!done[k]!.applied) return record('ORIGINAL_NOT_FOUND:-', false);
      if (done[k]!.reversal) return record('NOT_REVERSIBLE:-', false);
      const by = done[k]!.reversedBy;
      if (by !== null) return record(`ALREADY_REVERSED:${done[by]!.after}`, false);
      const amount = BigInt(original.cents);
      const w = original.w;
      let answer: string;
      if (original.kind === 'DEPOSIT') {
        if (amount > bal[w]!) return record(`REJECTED_FUNDS:${money(w)}`, false);
        bal[w]! -= amount;
        answer = `APPLIED:${money(w)}`;
      } else if (original.kind === 'WITHDRAW') {
        bal[w]! += amount;
        answer = `APPLIED:${money(w)}`;
      } else if (original.kind === 'TRANSFER_OUT') {
        if (amount > bal[original.to]!) return record(`REJECTED_FUNDS:${money(w)}`, false);
        bal[w]! += amount;
        bal[original.to]! -= amount;
        answer = `APPLIED:${money(w)}>${money(original.to)}`;
      } else {
        return record('NOT_REVERSIBLE:-', false);
      }
      done[k]!.reversedBy = i;
      return record(answer, true, true);
    }
    const amount = BigInt(s.cents);
    if (s.kind === 'DEPOSIT') {
      if (bal[s.w]! + amount > MAX_CENTS) return record(`REJECTED_LIMIT:${money(s.w)}`, false);
      bal[s.w]! += amount;
      return record(`APPLIED:${money(s.w)}`, true);
    }
    if (amount > bal[s.w]!) return record(`REJECTED_FUNDS:${money(s.w)}`, false);
    bal[s.w]! -= amount;
    if (s.kind !== 'TRANSFER_OUT') return record(`APPLIED:${money(s.w)}`, true);
    bal[s.to]! += amount;
    return record(`APPLIED:${money(s.w)}>${money(s.to)}`, true);
  });
}

/** The step a REVERSE at index i undoes (undefined for the first step). */
function originalOf(i: number, back: number): number | undefined {
  return i === 0 ? undefined : i - 1 - (back % i);
}

const WALLETS = 4;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom('DEPOSIT' as const, 'WITHDRAW' as const), w: fc.nat(WALLETS - 1), cents: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ w: fc.nat(WALLETS - 1), d: fc.integer({ min: 1, max: WALLETS - 1 }), cents: fc.integer({ min: 1, max: 5000 }) })
    .map(({ w, d, cents }) => ({ kind: 'TRANSFER_OUT' as const, w, to: (w + d) % WALLETS, cents })),
  fc.record({ kind: fc.constant('REVERSE' as const), back: fc.nat(6) }),
);

/** The batch a plan stands for: a reversal names its original's id, wallet(s) and amount. */
function toBatch(steps: Step[], ids: string[]): Command[] {
  const batch: Command[] = [];
  const resolve = (i: number): Exclude<Step, { kind: 'REVERSE' }> | undefined => {
    const s = steps[i]!;
    if (s.kind !== 'REVERSE') return s;
    const k = originalOf(i, s.back);
    return k === undefined ? undefined : resolve(k);
  };
  steps.forEach((s, i) => {
    if (s.kind === 'TRANSFER_OUT') batch.push(op(ids[s.w]!, s.kind, formatCents(s.cents), ids[s.to]!));
    else if (s.kind !== 'REVERSE') batch.push(op(ids[s.w]!, s.kind, formatCents(s.cents)));
    else {
      const k = originalOf(i, s.back);
      // the wallet and amount of the first non-reversal step in the chain (for the first step: any wallet)
      const root = k === undefined ? undefined : resolve(k);
      const original = k === undefined ? undefined : steps[k]!;
      batch.push({
        ...op(ids[root?.w ?? 0]!, 'DEPOSIT', formatCents(root?.cents ?? 1)), type: 'REVERSAL',
        reversesId: k === undefined ? randomUUID() : batch[k]!.id,
        counterpartyWalletId: original?.kind === 'TRANSFER_OUT' ? ids[original.to]! : null,
      });
    }
  });
  return batch;
}

describe('one batch with transfers', () => {
  it('judges every operation (deposits, withdrawals, transfers, reversals) against the running balances in arrival order, as one-by-one processing would (property)', async () => {
    const executor = new CommandExecutor(db.pool, limits, policy, log);
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
      const ids = await Promise.all(Array.from({ length: WALLETS }, () => createWallet(t.app)));
      const batch = toBatch(steps, ids);
      const { results } = await executor.execute(batch);
      expect(results.map(summary)).toEqual(model(steps, WALLETS));
      const report = await reconcile(admin, { walletIds: ids });
      expect(report.mismatches).toEqual([]);
      expect(report.totals.transfersIn).toBe(report.totals.transfersOut);
      expect(parseCents(report.totals.balances)).toBe(parseCents(report.totals.deposits) - parseCents(report.totals.withdrawals) -
        parseCents(report.totals.reversalsOut) + parseCents(report.totals.reversalsIn));
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 30) });
  });

  it('replays a keyed transfer inside the batch and from an earlier one, with both balances', async () => {
    const [a, b] = [await createWallet(t.app), await createWallet(t.app)];
    const executor = new CommandExecutor(db.pool, limits, policy, log);
    await executor.execute([op(a, 'DEPOSIT', '10.00'), op(a, 'TRANSFER_OUT', '1.00', b, 'earlier')]);
    const { results } = await executor.execute([
      op(a, 'TRANSFER_OUT', '2.00', b, 'k'),
      op(a, 'TRANSFER_OUT', '2.00', b, 'k'),
      op(a, 'TRANSFER_OUT', '3.00', b, 'k'),
      op(a, 'DEPOSIT', '2.00', undefined, 'k'),
      op(a, 'TRANSFER_OUT', '1.00', b, 'earlier'),
      op(b, 'TRANSFER_OUT', '100.00', a, 'refused'),
      op(b, 'TRANSFER_OUT', '100.00', a, 'refused'),
    ]);
    expect(results.map(summary)).toEqual([
      'APPLIED:7.00>3.00', 'REPLAY:7.00>3.00', 'KEY_CONFLICT:7.00>3.00', 'KEY_CONFLICT:7.00>3.00', 'REPLAY:9.00>1.00',
      'REJECTED_FUNDS:3.00', 'REPLAY:3.00',
    ]);
    expect(await balanceOf(t.app, a)).toBe('7.00');
    expect(await balanceOf(t.app, b)).toBe('3.00');
  });
});

describe('reversals in a batch', () => {
  it('are judged in arrival order with everything else; a second reversal of one original in the same batch is refused', async () => {
    const [a, b] = [await createWallet(t.app), await createWallet(t.app)];
    const executor = new CommandExecutor(db.pool, limits, policy, log);
    const deposit = op(a, 'DEPOSIT', '10.00');
    const move = op(a, 'TRANSFER_OUT', '4.00', b);
    await executor.execute([deposit, move]);
    const reverse = (of: Command, amount: string, to?: string): Command =>
      ({ ...op(a, 'DEPOSIT', amount), type: 'REVERSAL', reversesId: of.id, counterpartyWalletId: to ?? null });
    const { results } = await executor.execute([
      reverse(deposit, '10.00'), // a has 6.00: refused
      op(a, 'DEPOSIT', '4.00'),
      reverse(deposit, '10.00'), // now a has 10.00
      reverse(deposit, '10.00'), // already reversed in this batch
      reverse(move, '4.00', b), // b pays 4.00 back to a
      reverse(move, '4.00', b),
      reverse(move, '5.00', b), // the wrong amount
    ]);
    expect(results.map(summary)).toEqual([
      'REJECTED_FUNDS:6.00', 'APPLIED:10.00', 'APPLIED:0.00', 'ALREADY_REVERSED:0.00', 'APPLIED:4.00>0.00',
      'ALREADY_REVERSED:4.00', 'NOT_REVERSIBLE:-',
    ]);
    const report = await reconcile(admin, { walletIds: [a, b] });
    expect(report.mismatches).toEqual([]);
    expect(report.totals).toMatchObject({ balances: '4.00', reversalsOut: '14.00', reversalsIn: '4.00' });
  });
});

describe('a fault in the middle of a batch of transfers', () => {
  const proxy = useFaultProxy();
  const faulty = useTestDb(() => proxy.url);

  it.each(['after-commit', 'before-commit'] as const)('connection cut %s: retried, each transfer has its two legs exactly once', async (fault) => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => createWallet(t.app)));
    const executor = new CommandExecutor(faulty.pool, limits, policy, log);
    await executor.execute(ids.map((id) => op(id, 'DEPOSIT', '100.00')));
    const batch = Array.from({ length: 40 }, (_, i) =>
      op(ids[i % 5]!, 'TRANSFER_OUT', '1.00', ids[(i + 1 + (i % 3)) % 5]!, i % 2 === 0 ? `tkey-${i}` : undefined));
    proxy.injectOnCommit(fault, 1);
    const execution = await executor.execute(batch);
    proxy.clearFaults();
    expect(execution.attempts).toBe(2);
    expect(execution.results.every((r) => r.kind === 'done' && r.applied.row?.status === 'SUCCESS')).toBe(true);
    const expectedOutcome = fault === 'after-commit' ? 'EXISTING' : 'APPLIED';
    expect(new Set(execution.results.map((r) => (r.kind === 'done' ? r.applied.outcome : r.kind)))).toEqual(new Set([expectedOutcome]));
    const legs = await admin.query(`SELECT operation_type, count(*)::int AS n FROM operations WHERE id = ANY ($1::uuid[])
      GROUP BY operation_type ORDER BY operation_type`, [batch.map((o) => o.id)]);
    expect(legs.rows).toEqual([{ operation_type: 'TRANSFER_IN', n: 40 }, { operation_type: 'TRANSFER_OUT', n: 40 }]);
    const report = await reconcile(admin, { walletIds: ids });
    expect(report.mismatches).toEqual([]);
    expect(report.totals).toMatchObject({ balances: '500.00', transfersOut: '40.00', transfersIn: '40.00' });
    // every answer, also the ones found again after the cut, carries both balances as stored
    for (const [i, r] of execution.results.entries()) {
      const stored = await admin.query(`SELECT balance_after::text FROM operations WHERE wallet_id = $1 AND id = $2`,
        [batch[i]!.counterpartyWalletId, batch[i]!.id]);
      expect(r.kind === 'done' && r.applied.counterpartyBalanceAfter).toBe(stored.rows[0].balance_after);
    }
  });
});
