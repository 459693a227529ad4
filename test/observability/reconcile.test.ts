/** Reconciliation: a consistent ledger passes; every kind of tampering seeded in SQL is caught and listed. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { formatReport, reconcile } from '../../src/reconcile/reconcile.js';
import { createWallet, operate, type TestApp, useAdminPool, useTestApp } from '../support/test-app.js';

async function transfer(app: TestApp['app'], from: string, to: string, amount: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/transfers', payload: { from_wallet_id: from, to_wallet_id: to, amount } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { id: string };
}
import { seedLedger } from './seed-ledger.js';

const execFileAsync = promisify(execFile);

const t = useTestApp();
const admin = useAdminPool();
const tampered: string[] = [];

afterAll(async () => {
  // Other suites share this database: leave no inconsistent wallet behind.
  if (tampered.length > 0) {
    await admin.query('DELETE FROM holds WHERE wallet_id = ANY ($1::uuid[])', [tampered]);
    await admin.query('DELETE FROM operations WHERE wallet_id = ANY ($1::uuid[])', [tampered]);
    await admin.query('DELETE FROM wallets WHERE id = ANY ($1::uuid[])', [tampered]);
  }
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

describe('reconcile and transfers', () => {
  it('passes for transfers (their legs cancel out) and totals the closed set exactly', async () => {
    const [a, b, c] = [await createWallet(t.app), await createWallet(t.app), await createWallet(t.app)];
    await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '100.00' });
    await Promise.all([transfer(t.app, a, b, '30.00'), transfer(t.app, a, c, '0.01'), transfer(t.app, a, b, '9.99')]);
    await transfer(t.app, b, c, '39.00');
    await operate(t.app, c, { operation_type: 'WITHDRAW', amount: '0.01' });
    const report = await reconcile(admin, { walletIds: [a, b, c] });
    expect(report.mismatches, formatReport(report)).toEqual([]);
    expect(report.totals).toEqual({ balances: '99.99', deposits: '100.00', withdrawals: '0.01', transfersOut: '79.00', transfersIn: '79.00',
      reversalsOut: '0.00', reversalsIn: '0.00', captures: '0.00', held: '0.00' });
  });

  it('catches a missing, altered or misdirected leg (negative controls)', async () => {
    const ids = [await createWallet(t.app), await createWallet(t.app), await createWallet(t.app), await createWallet(t.app)];
    const [a, b, c, d] = ids as [string, string, string, string];
    tampered.push(...ids);
    await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '100.00' });
    const lost = await transfer(t.app, a, b, '10.00');
    const altered = await transfer(t.app, a, c, '5.00');
    const misdirected = await transfer(t.app, a, d, '1.00');
    // the incoming leg of `lost` deleted (balances and chains fixed up so that only the pairing shows)
    await admin.query('DELETE FROM operations WHERE wallet_id = $1 AND id = $2', [b, lost.id]);
    await admin.query('UPDATE wallets SET balance = 0.00, last_seq = 0 WHERE id = $1', [b]);
    // the incoming leg of `altered` credits 6.00 instead of 5.00 (chain and balance consistent with it)
    await admin.query('UPDATE operations SET amount = 6, balance_after = 6 WHERE wallet_id = $1 AND id = $2', [c, altered.id]);
    await admin.query('UPDATE wallets SET balance = 6.00 WHERE id = $1', [c]);
    // the incoming leg of `misdirected` names another source
    await admin.query('UPDATE operations SET counterparty_wallet_id = $3 WHERE wallet_id = $1 AND id = $2', [d, misdirected.id, b]);
    const report = await reconcile(admin, { walletIds: ids });
    const found = report.mismatches.map((m) => [m.kind, m.walletId]);
    expect(found, formatReport(report)).toEqual(expect.arrayContaining([
      ['transfer_leg', a], ['transfer_leg', c], ['transfer_leg', d],
    ]));
    expect(report.mismatches.filter((m) => m.walletId === a)).toHaveLength(3); // all three outgoing legs lack a partner
    expect(report.mismatches, formatReport(report)).toHaveLength(5);
    expect(formatReport(report)).toContain(`has no matching TRANSFER_IN on wallet ${b}`);
    // over the whole database the books no longer add up
    const all = await reconcile(admin);
    expect(all.mismatches.some((m) => m.kind === 'conservation')).toBe(true);
  });
});

async function hold(app: TestApp['app'], walletId: string, amount: string, seconds = 3600) {
  const res = await app.inject({ method: 'POST', url: `/api/v1/wallets/${walletId}/holds`, payload: { amount, expires_in_seconds: seconds } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { id: string };
}

async function close(app: TestApp['app'], holdId: string, action: 'capture' | 'void', body: unknown = {}) {
  const res = await app.inject({ method: 'POST', url: `/api/v1/holds/${holdId}/${action}`,
    ...(action === 'capture' ? { payload: body as Record<string, string> } : {}) });
  expect(res.statusCode, res.body).toBe(200);
}

/** A hold that lapsed an hour ago (the app never writes such times; the test moves them). */
async function lapse(holdId: string) {
  await admin.query(`UPDATE holds SET created_at = created_at - interval '2 hours', expires_at = created_at - interval '1 hour'
    WHERE id = $1`, [holdId]);
}

describe('reconcile and holds', () => {
  it('passes for holds placed, captured, voided, expired and a capture reversed; captures count as money out', async () => {
    const a = await createWallet(t.app);
    await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '100.00' });
    const captured = await hold(t.app, a, '30.00');
    await close(t.app, captured.id, 'capture', { amount: '20.00' });
    await close(t.app, (await hold(t.app, a, '10.00')).id, 'void');
    const lapsed = await hold(t.app, a, '40.00');
    await lapse(lapsed.id);
    await hold(t.app, a, '25.00'); // the next batch releases the lapsed one first
    // a withdrawal refused because of the hold (kept with its key): justified although the balance could pay it
    const refused = await operate(t.app, a, { operation_type: 'WITHDRAW', amount: '60.00' }, { 'idempotency-key': 'held-refusal' });
    expect(refused.statusCode).toBe(400);
    await close(t.app, (await hold(t.app, a, '5.00')).id, 'capture');
    const reversal = await t.app.inject({ method: 'POST', url: `/api/v1/wallets/${a}/operations/${captured.id}/reverse` });
    expect(reversal.statusCode, reversal.body).toBe(200);
    const report = await reconcile(admin, { walletIds: [a] });
    expect(report.mismatches, formatReport(report)).toEqual([]);
    expect(report.totals).toEqual({ balances: '95.00', deposits: '100.00', withdrawals: '0.00', transfersOut: '0.00', transfersIn: '0.00',
      reversalsOut: '0.00', reversalsIn: '20.00', captures: '25.00', held: '25.00' });
    expect(formatReport(report)).toContain('captures 25.00, held 25.00');
  });

  it('catches a wrong held amount, a capture without its ledger row or hold, and a lapsed hold left HELD (negative controls)', async () => {
    const ids = [await createWallet(t.app), await createWallet(t.app), await createWallet(t.app), await createWallet(t.app),
      await createWallet(t.app)];
    const [wrongHeld, alteredCapture, orphanCapture, lapsedHeld, clean] = ids as [string, string, string, string, string];
    tampered.push(...ids);
    for (const id of ids) await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '50.00' });
    await hold(t.app, wrongHeld, '10.00');
    await hold(t.app, clean, '10.00');
    const c1 = await hold(t.app, alteredCapture, '10.00');
    await close(t.app, c1.id, 'capture', { amount: '7.00' });
    const c2 = await hold(t.app, orphanCapture, '10.00');
    await close(t.app, c2.id, 'capture');
    const stale = await hold(t.app, lapsedHeld, '10.00');

    // held no longer the sum of the HELD holds
    await admin.query('UPDATE wallets SET held = held + 0.01 WHERE id = $1', [wrongHeld]);
    // the hold says it captured 8.00, the ledger row took 7.00
    await admin.query('UPDATE holds SET captured_amount = 8.00 WHERE id = $1', [c1.id]);
    // a CAPTURE row whose hold is gone
    await admin.query('DELETE FROM holds WHERE id = $1', [c2.id]);
    // a hold past expiry still HELD on a wallet written after the expiry (a writer that skipped the release)
    await lapse(stale.id);
    await admin.query('UPDATE wallets SET updated_at = now() WHERE id = $1', [lapsedHeld]);

    const report = await reconcile(admin, { walletIds: ids });
    const found = report.mismatches.map((m) => [m.kind, m.walletId]);
    expect(found, formatReport(report)).toEqual(expect.arrayContaining([
      ['held', wrongHeld], ['hold', alteredCapture], ['hold', orphanCapture], ['hold', lapsedHeld],
    ]));
    expect(report.mismatches, formatReport(report)).toHaveLength(4);
    const text = formatReport(report);
    expect(text).toContain(`held 10.01, but its HELD holds sum to 10.00`);
    expect(text).toContain(`hold ${c1.id} is CAPTURED (amount 10.00, captured 8.00) but its CAPTURE ledger row is 7.00 SUCCESS`);
    expect(text).toContain(`CAPTURE ${c2.id} (seq 2, amount 10.00) has no hold`);
    expect(text).toContain(`hold ${stale.id} is still HELD although it expired at`);
    expect(report.mismatches.filter((m) => m.walletId === clean)).toEqual([]);
  });
});
