/**
 * Holds in the group-commit engine, below HTTP: a batch mixing deposits, withdrawals, transfers,
 * holds, captures and voids gives exactly what one-by-one processing of the same requests gives
 * (fast-check, compared against the engine itself run one request per transaction), and a
 * capture retried after a lost COMMIT answer is applied once.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatCents } from '../../src/lib/cents.js';
import { reconcile, formatReport } from '../../src/reconcile/reconcile.js';
import { CommandExecutor, type ExecutionResult } from '../../src/ledger/command-executor.js';
import type { Command } from '../../src/ledger/apply-script.js';
import { createWallet, operate, useAdminPool, useTestApp, useTestDb } from '../support/test-app.js';

const log = pino({ level: 'silent' });
const limits = { lockTimeoutMs: 2000, statementTimeoutMs: 5000 };
const policy = { attemptsMax: 5, baseDelayMs: 5, maxDelayMs: 50, budgetMs: 5000 };

const admin = useAdminPool();
const db = useTestDb();
const t = useTestApp();
let executor: CommandExecutor;
beforeAll(() => { executor = new CommandExecutor(db.pool, limits, policy, log); });

type Step =
  | { kind: 'DEPOSIT' | 'WITHDRAW' | 'HOLD'; w: number; cents: number }
  | { kind: 'TRANSFER_OUT'; w: number; to: number; cents: number }
  /** Of the hold placed `back` steps earlier (a step that is no HOLD: an unknown hold). */
  | { kind: 'CAPTURE'; back: number; cents: number | null }
  | { kind: 'VOID'; back: number };

const WALLETS = 3;

/** The requests for `steps` on `wallets`; the hold ids are fixed here so captures can name them. */
function inputs(steps: Step[], wallets: string[]): Command[] {
  const holdIds = steps.map(() => randomUUID());
  const base = { tenant: t.tenant, actor: null, idempotencyKey: null, requestHash: null };
  return steps.map((s, i) => {
    if (s.kind === 'CAPTURE' || s.kind === 'VOID') {
      const k = i - s.back;
      const target = k >= 0 && steps[k]!.kind === 'HOLD' ? steps[k] as { w: number; cents: number } : undefined;
      return { ...base, id: randomUUID(), walletId: wallets[target?.w ?? 0]!, type: s.kind, holdId: target ? holdIds[k]! : randomUUID(),
        amount: s.kind === 'CAPTURE' && s.cents !== null ? formatCents(s.cents) : formatCents(target?.cents ?? 1) };
    }
    return { ...base, id: s.kind === 'HOLD' ? holdIds[i]! : randomUUID(), walletId: wallets[s.w]!, type: s.kind,
      amount: formatCents(s.cents), counterpartyWalletId: s.kind === 'TRANSFER_OUT' ? wallets[s.to]! : null,
      holdSeconds: s.kind === 'HOLD' ? 3600 : null };
  });
}

/** What a client learns from a result, without ids or times. */
function summary(result: ExecutionResult): string {
  if (result.kind !== 'done') return result.kind;
  const { outcome, row, hold, available, counterpartyBalanceAfter } = result.applied;
  if (hold) return `${outcome}:${hold.status}:${hold.amount}:${hold.captured_amount ?? '-'}:avail ${available ?? '-'}`;
  return `${outcome}:${row?.balance_after ?? '-'}${counterpartyBalanceAfter ? `>${counterpartyBalanceAfter}` : ''}${row?.held ? ` held ${row.held}` : ''}`;
}

async function fundedWallets(): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: WALLETS }, () => createWallet(t.app)));
  for (const id of ids) expect((await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '50.00' })).statusCode).toBe(200);
  return ids;
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom('DEPOSIT' as const, 'WITHDRAW' as const, 'HOLD' as const), w: fc.nat(WALLETS - 1),
    cents: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({ kind: fc.constant('HOLD' as const), w: fc.nat(WALLETS - 1), cents: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({ kind: fc.constant('TRANSFER_OUT' as const), w: fc.nat(WALLETS - 1), to: fc.nat(WALLETS - 1), cents: fc.integer({ min: 1, max: 4000 }) })
    .map((s) => ({ ...s, to: s.to === s.w ? (s.w + 1) % WALLETS : s.to })),
  fc.record({ kind: fc.constant('CAPTURE' as const), back: fc.integer({ min: 1, max: 4 }),
    cents: fc.option(fc.integer({ min: 1, max: 4000 }), { nil: null }) }),
  fc.record({ kind: fc.constant('VOID' as const), back: fc.integer({ min: 1, max: 4 }) }),
);

describe('holds in one batch', () => {
  it('give exactly the answers of one-by-one processing (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
      const batched = await fundedWallets();
      const single = await fundedWallets();
      const together = await executor.execute(inputs(steps, batched));
      const oneByOne: ExecutionResult[] = [];
      for (const input of inputs(steps, single)) oneByOne.push((await executor.execute([input])).results[0]!);
      expect(together.results.map(summary)).toEqual(oneByOne.map(summary));
      const report = await reconcile(admin, { walletIds: [...batched, ...single] });
      expect(report.mismatches, formatReport(report)).toEqual([]);
      const balances = async (ids: string[]) => (await admin.query<{ b: string; h: string }>(
        'SELECT balance::text AS b, held::text AS h FROM wallets WHERE id = ANY ($1::uuid[]) ORDER BY array_position($1::uuid[], id)', [ids])).rows;
      expect(await balances(batched)).toEqual(await balances(single));
    }), { numRuns: 40 });
  });

  it('a hold and its capture in one batch; a withdrawal after the hold is judged against available', async () => {
    const [w] = await fundedWallets();
    const steps: Step[] = [
      { kind: 'HOLD', w: 0, cents: 3000 },
      { kind: 'WITHDRAW', w: 0, cents: 2001 },
      { kind: 'CAPTURE', back: 2, cents: 1000 },
      { kind: 'WITHDRAW', w: 0, cents: 4000 },
    ];
    const results = (await executor.execute(inputs(steps, [w!]))).results.map(summary);
    expect(results).toEqual([
      'APPLIED:HELD:30.00:-:avail 20.00',
      'REJECTED_FUNDS:50.00 held 30.00',
      'APPLIED:CAPTURED:30.00:10.00:avail 40.00',
      'APPLIED:0.00',
    ]);
  });
});

describe('a capture retried after an unheard COMMIT', () => {
  it('finds its own capture (by its request id) and applies it once', async () => {
    const [w] = await fundedWallets();
    const holdInput = inputs([{ kind: 'HOLD', w: 0, cents: 1000 }], [w!])[0]!;
    expect(summary((await executor.execute([holdInput])).results[0]!)).toBe('APPLIED:HELD:10.00:-:avail 40.00');
    const captureInput: Command = { id: randomUUID(), walletId: w!, tenant: t.tenant, actor: null, type: 'CAPTURE',
      holdId: holdInput.id, amount: '4.00', idempotencyKey: null, requestHash: null };
    expect(summary((await executor.execute([captureInput])).results[0]!)).toBe('APPLIED:CAPTURED:10.00:4.00:avail 46.00');
    // The retry an ambiguous COMMIT leads to: the same request id, looking for what it committed.
    const { applyCommandsScript, readAppliedRows } = await import('../../src/ledger/apply-script.js');
    const client = await db.pool.connect();
    try {
      const results = await client.query(applyCommandsScript([captureInput], true, limits)) as unknown as pg.QueryResult[];
      const again = readAppliedRows(results, 1).applied[0]!;
      expect(again.outcome).toBe('EXISTING');
      expect(again.hold).toMatchObject({ status: 'CAPTURED', captured_amount: '4.00' });
      // Another request (a new id, no key) is told the hold is closed.
      const other = await client.query(applyCommandsScript([{ ...captureInput, id: randomUUID() }], true, limits)) as unknown as pg.QueryResult[];
      expect(readAppliedRows(other, 1).applied[0]!.outcome).toBe('HOLD_CLOSED');
    } finally {
      client.release();
    }
    const captures = await admin.query(`SELECT amount::text FROM operations WHERE wallet_id = $1 AND operation_type = 'CAPTURE'`, [w]);
    expect(captures.rows).toEqual([{ amount: '4.00' }]);
  });
});
