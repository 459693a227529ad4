/** Reconciliation: a consistent ledger passes; every kind of tampering seeded in SQL is caught and listed. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { formatReport, reconcile } from '../../src/reconcile/reconcile.js';
import { adminPool, createTestApp, createWallet, operate, type TestApp } from '../support/test-app.js';
import { seedLedger } from './seed-ledger.js';

const execFileAsync = promisify(execFile);

let t: TestApp;
let admin: pg.Pool;
const tampered: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  admin = adminPool();
});

afterAll(async () => {
  // Other suites share this database: leave no inconsistent wallet behind.
  if (tampered.length > 0) {
    await admin.query('DELETE FROM operations WHERE wallet_id = ANY ($1::uuid[])', [tampered]);
    await admin.query('DELETE FROM wallets WHERE id = ANY ($1::uuid[])', [tampered]);
  }
  await admin.end();
  await t.close();
});

async function runCli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts', ...args], {
      env: { ...process.env, DATABASE_URL: inject('adminDatabaseUrl') },
      timeout: 60_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('reconcile on a consistent ledger', () => {
  it('passes for a seeded ledger with deposits, withdrawals and REJECTED rows', async () => {
    const ids = await seedLedger(admin, { wallets: 20, opsPerWallet: 120 });
    const report = await reconcile(admin, { walletIds: ids });
    expect(report.mismatches).toEqual([]);
    expect(report.wallets).toBe(20);
    expect(report.operations).toBe(2400);
    expect(formatReport(report)).toMatch(/^reconcile: 20 wallets, 2400 operations checked in \d+ ms\nOK:/);
  });

  it('passes for wallets written through the API, including idempotent refusals and empty wallets', async () => {
    const a = await createWallet(t.app);
    const empty = await createWallet(t.app);
    await Promise.all(Array.from({ length: 10 }, () => operate(t.app, a, { operation_type: 'DEPOSIT', amount: '3.33' })));
    await operate(t.app, a, { operation_type: 'WITHDRAW', amount: '1000.00' }, { 'idempotency-key': 'big-1' }); // REJECTED, stored
    await operate(t.app, a, { operation_type: 'WITHDRAW', amount: '0.33' });
    const report = await reconcile(t.db.pool, { walletIds: [a, empty] });
    expect(report).toMatchObject({ wallets: 2, operations: 12, mismatches: [] });
  });
});

describe('reconcile catches deliberate mismatches seeded in SQL', () => {
  it('lists each one and the CLI exits non-zero', async () => {
    const [balance, chain, gap, rejection, lastSeq, clean] = await seedLedger(admin, { wallets: 6, opsPerWallet: 50 });
    tampered.push(balance!, chain!, gap!, rejection!, lastSeq!, clean!);
    // A balance that disagrees with its ledger.
    await admin.query('UPDATE wallets SET balance = balance + 0.01 WHERE id = $1', [balance]);
    // A balance_after that breaks the chain (the wallet balance still matches the sum).
    await admin.query('UPDATE operations SET balance_after = balance_after + 1 WHERE wallet_id = $1 AND seq = 5', [chain]);
    // A hole in the ledger: the last row (a REJECTED one, no effect on the balance) renumbered 50 → 52.
    await admin.query('UPDATE operations SET seq = 52 WHERE wallet_id = $1 AND seq = 50', [gap]);
    await admin.query('UPDATE wallets SET last_seq = 52 WHERE id = $1', [gap]);
    // A refusal of a withdrawal the balance could pay.
    await admin.query('UPDATE operations SET amount = 0.01 WHERE wallet_id = $1 AND status = $2', [rejection, 'REJECTED']);
    // last_seq behind the ledger.
    await admin.query('UPDATE wallets SET last_seq = 40 WHERE id = $1', [lastSeq]);

    const report = await reconcile(admin, { walletIds: tampered });
    const found = report.mismatches.map((m) => [m.kind, m.walletId, m.seq ?? null]);
    expect(found).toEqual(expect.arrayContaining([
      ['balance', balance, null],
      ['chain', chain, '5'],
      ['chain', chain, '6'],
      ['seq_gap', gap, '52'],
      ['rejection', rejection, '50'],
      ['last_seq', lastSeq, null],
    ]));
    expect(report.mismatches.filter((m) => m.walletId === clean)).toEqual([]);
    expect(report.mismatches, formatReport(report)).toHaveLength(6);
    const chainLine = report.mismatches.find((m) => m.kind === 'chain' && m.seq === '5')!;
    expect(chainLine.message).toMatch(/^seq 5: balance_after \d+\.\d{2}, expected \d+\.\d{2} \(previous \d+\.\d{2} \+ DEPOSIT \d+\.\d{2}\)$/);

    const filtered = await runCli(['--wallet', balance!, '--wallet', clean!]);
    expect(filtered.code).toBe(1);
    expect(filtered.stdout).toContain('reconcile: 2 wallets, 100 operations');
    expect(filtered.stdout).toContain('MISMATCHES: 1');
    expect(filtered.stdout).toContain(`balance   wallet ${balance}: balance`);

    // The whole database: every wallet is checked, every seeded mismatch listed.
    const all = await runCli([]);
    expect(all.code).toBe(1);
    for (const id of [balance, chain, gap, rejection, lastSeq]) expect(all.stdout).toContain(id);
    expect(all.stdout).not.toContain(clean);

    const ok = await runCli(['--wallet', clean!, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ wallets: 1, operations: 50, mismatches: [] });
  });
});
