import { describe, expect, it } from 'vitest';
import { formatCents, parseCents } from '../../bench/lib-cents.js';
import { matchLedger, type LedgerRow } from '../../bench/check/ledger-match.js';
import { OperationTracker } from '../../bench/check/operation-tracker.js';

const wallet = '11111111-1111-4111-8111-111111111111';
const answer = (id: string, amount: string, status = 'SUCCESS') => JSON.stringify({ id, status, amount, balance: '0.00' });
const row = (id: string, cents: bigint, type: 'DEPOSIT' | 'WITHDRAW' = 'DEPOSIT'): LedgerRow =>
  ({ walletId: wallet, id, type, cents, status: 'SUCCESS' });

describe('bench cents', () => {
  it('parses and formats exact amounts', () => {
    expect(parseCents('0.1')).toBe(10n);
    expect(parseCents('12.34')).toBe(1234n);
    expect(parseCents('9999999999999999.99')).toBe(999999999999999999n);
    expect(formatCents(5n)).toBe('0.05');
    expect(formatCents(-1234n)).toBe('-12.34');
    expect(() => parseCents('1e3')).toThrow();
    expect(() => parseCents('1.234')).toThrow();
  });
});

describe('operation tracker and ledger match', () => {
  it('accepts a ledger that holds exactly the answered operations', () => {
    const tracker = new OperationTracker();
    const a = tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 150n });
    const b = tracker.sent({ walletId: wallet, type: 'WITHDRAW', cents: 50n });
    const c = tracker.sent({ walletId: wallet, type: 'WITHDRAW', cents: 9999n });
    tracker.answered(a, 200, answer('op-a', '1.50'));
    tracker.answered(b, 200, answer('op-b', '0.50'));
    tracker.answered(c, 400, JSON.stringify({ detail: 'Insufficient funds' }));
    const match = matchLedger({
      rows: [row('op-a', 150n), row('op-b', 50n, 'WITHDRAW')],
      succeeded: tracker.succeeded, pending: tracker.pending, unanswered: tracker.unanswered(),
    });
    expect(match.problems).toEqual([]);
    expect(match.deltaCentsByWallet.get(wallet)).toEqual({ acknowledged: 100n, inFlight: 0n });
    expect(tracker.refused).toBe(1);
  });

  it('reports an answered SUCCESS missing from the ledger as a lost update', () => {
    const tracker = new OperationTracker();
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 100n }), 200, answer('op-a', '1.00'));
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 200n }), 200, answer('op-b', '2.00'));
    const match = matchLedger({ rows: [row('op-a', 100n)], succeeded: tracker.succeeded, pending: tracker.pending, unanswered: [] });
    expect(match.problems).toHaveLength(1);
    expect(match.problems[0]).toMatch(/LOST UPDATE: operation op-b/);
  });

  it('explains extra rows only by unanswered requests of the same wallet, type and amount, each once', () => {
    const tracker = new OperationTracker();
    tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 700n }); // cut by the time limit
    const ok = matchLedger({ rows: [row('x', 700n)], succeeded: tracker.succeeded, pending: tracker.pending, unanswered: tracker.unanswered() });
    expect(ok.problems).toEqual([]);
    expect(ok.inFlightApplied).toBe(1);
    expect(ok.deltaCentsByWallet.get(wallet)).toEqual({ acknowledged: 0n, inFlight: 700n });

    const twice = matchLedger({ rows: [row('x', 700n), row('y', 700n)], succeeded: tracker.succeeded, pending: tracker.pending, unanswered: tracker.unanswered() });
    expect(twice.problems).toHaveLength(1);
    expect(twice.problems[0]).toMatch(/row y .* matches no request/);
  });

  it('treats PENDING answers by id and flags answers that disagree with the ledger', () => {
    const tracker = new OperationTracker();
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 300n }), 200, answer('op-p', '3.00', 'PENDING'));
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 100n }), 200, answer('op-s', '1.00'));
    const match = matchLedger({
      rows: [row('op-p', 300n), row('op-s', 101n)],
      succeeded: tracker.succeeded, pending: tracker.pending, unanswered: tracker.unanswered(),
    });
    expect(match.inFlightApplied).toBe(1);
    expect(match.problems).toEqual([expect.stringMatching(/operation op-s: ledger has DEPOSIT 1.01/)]);
  });

  it('keeps 5xx answers open and rejects REJECTED rows (the harness sends no keys)', () => {
    const tracker = new OperationTracker();
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 100n }), 503, '{"detail":"overloaded"}');
    expect(tracker.unanswered()).toHaveLength(1);
    const match = matchLedger({
      rows: [{ ...row('r', 100n), status: 'REJECTED' }], succeeded: tracker.succeeded, pending: tracker.pending, unanswered: tracker.unanswered(),
    });
    expect(match.problems[0]).toMatch(/status REJECTED/);
  });
});
