/**
 * The ledger check that the benchmark and the fault suite share can fail: fed a client record the
 * ledger contradicts, it names each contradiction; fed the truth, it finds none. Pure (no database);
 * test/faults/check.test.ts runs it against real PostgreSQL through the fault suite's record.
 */
import { describe, expect, it } from 'vitest';
import { matchLedger, type Answer, type ClientRequest, type LedgerRow } from '../../bench/check/ledger-check.js';
import { OperationTracker } from '../../bench/check/operation-tracker.js';

const wallet = '11111111-1111-4111-8111-111111111111';
const answer = (id: string, amount: string, status = 'SUCCESS', balance = '0.00') => JSON.stringify({ id, status, amount, balance });
const row = (id: string, cents: bigint, extra: Partial<LedgerRow> = {}): LedgerRow =>
  ({ walletId: wallet, id, type: 'DEPOSIT', cents, status: 'SUCCESS', balanceAfterCents: 0n, key: null, ...extra });
const request = (cents: bigint, answers: Answer[], extra: Partial<ClientRequest> = {}): ClientRequest =>
  ({ walletId: wallet, type: 'DEPOSIT', cents, key: null, answers, ...extra });

describe('the benchmark tracker and the ledger match', () => {
  it('accepts a ledger that holds exactly the answered operations', () => {
    const tracker = new OperationTracker();
    const a = tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 150n });
    const b = tracker.sent({ walletId: wallet, type: 'WITHDRAW', cents: 50n });
    const c = tracker.sent({ walletId: wallet, type: 'WITHDRAW', cents: 9999n });
    tracker.answered(a, 200, answer('op-a', '1.50', 'SUCCESS', '1.50'));
    tracker.answered(b, 200, answer('op-b', '0.50', 'SUCCESS', '1.00'));
    tracker.answered(c, 400, JSON.stringify({ detail: 'Insufficient funds' }));
    const verdict = matchLedger([row('op-a', 150n, { balanceAfterCents: 150n }), row('op-b', 50n, { type: 'WITHDRAW', balanceAfterCents: 100n })],
      tracker.requests());
    expect(verdict.violations).toEqual([]);
    expect(verdict.deltaCentsByWallet.get(wallet)).toEqual({ acknowledged: 100n, inFlight: 0n });
    expect([tracker.succeeded, tracker.refused, tracker.oddAnswers]).toEqual([2, 1, []]);
  });

  it('reports an answered SUCCESS missing from the ledger, and a balance the ledger does not hold', () => {
    const tracker = new OperationTracker();
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 100n }), 200, answer('op-a', '1.00', 'SUCCESS', '1.00'));
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 200n }), 200, answer('op-b', '2.00'));
    const { violations } = matchLedger([row('op-a', 100n, { balanceAfterCents: 200n })], tracker.requests());
    expect(violations).toEqual([
      'DEPOSIT 1.00 on 11111111: answered balance 1.00, stored balance_after 2.00',
      'DEPOSIT 2.00 on 11111111: answered SUCCESS (op-b) but not stored',
    ]);
  });

  it('explains extra rows only by unanswered requests of the same wallet, type and amount, each once', () => {
    const tracker = new OperationTracker();
    tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 700n }); // cut by the time limit
    tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 800n });
    const once = matchLedger([row('x', 700n)], tracker.requests());
    expect(once.violations).toEqual([]);
    expect([once.inFlightApplied, once.unknownApplied, once.unknownAbsent]).toEqual([1, 1, 1]);
    expect(once.deltaCentsByWallet.get(wallet)).toEqual({ acknowledged: 0n, inFlight: 700n });

    const twice = matchLedger([row('x', 700n), row('y', 700n), row('z', 700n, { type: 'WITHDRAW' })], tracker.requests());
    expect(twice.violations).toEqual([
      'DEPOSIT 7.00 on 11111111: stored 3 times',
      'DEPOSIT 7.00 on 11111111: stored as WITHDRAW 7.00 (z)',
    ]);
  });

  it('leaves a row unexplained when several answered requests share its amount', () => {
    const requests = [request(100n, [{ kind: 'SUCCESS', operationId: 'a' }]), request(100n, [{ kind: 'SUCCESS', operationId: 'b' }])];
    expect(matchLedger([row('a', 100n), row('b', 100n), row('c', 100n)], requests).violations)
      .toEqual(['ledger row c on 11111111 (DEPOSIT 1.00) matches no request']);
  });

  it('takes PENDING answers by id, either way, and keeps 5xx answers open', () => {
    const tracker = new OperationTracker();
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 300n }), 200, answer('op-p', '3.00', 'PENDING'));
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 400n }), 200, answer('op-q', '4.00', 'PENDING'));
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 100n }), 503, '{"detail":"overloaded"}');
    const verdict = matchLedger([row('op-p', 300n), row('r', 100n)], tracker.requests());
    expect(verdict.violations).toEqual([]);
    expect(verdict.inFlightApplied).toBe(2);
  });

  it('refuses REJECTED rows for requests without a key, and odd bodies', () => {
    const tracker = new OperationTracker();
    tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 100n });
    tracker.answered(tracker.sent({ walletId: wallet, type: 'DEPOSIT', cents: 200n }), 200, 'not json');
    const verdict = matchLedger([row('r', 100n, { status: 'REJECTED' })], tracker.requests());
    expect(verdict.violations).toEqual([
      'DEPOSIT 2.00 on 11111111: unexpected answer 200 unparseable 200 body',
      'DEPOSIT 1.00 on 11111111: stored a REJECTED row r without an Idempotency-Key',
    ]);
    expect(tracker.oddAnswers).toEqual(['unparseable 200 body: not json']);
  });
});

describe('the fault suite rules', () => {
  it('passes keyed retries stored once and definite refusals stored nowhere', () => {
    const verdict = matchLedger([row('s', 200n, { key: 'k', balanceAfterCents: 200n })], [
      request(200n, [{ kind: 'NO_ANSWER' }, { kind: 'OVERLOADED' }, { kind: 'SUCCESS', operationId: 's', balanceCents: 200n }], { key: 'k' }),
      request(300n, [{ kind: 'FAILED', operationId: 'f' }]),
      request(400n, [{ kind: 'REFUSED', status: 400 }]),
      request(500n, [{ kind: 'PENDING', operationId: 'p', resolved: 'ABSENT' }]),
    ]);
    expect(verdict.violations).toEqual([]);
    expect([verdict.keyedRetried, verdict.pendingAbsent, verdict.acknowledged]).toEqual([1, 1, 1]);
  });

  it('names every answer the ledger contradicts', () => {
    const rows = [
      row('failed', 100n), row('applied', 200n), row('refused', 300n), row('overloaded', 400n),
      row('pending', 500n, { status: 'REJECTED', key: 'k5' }), row('other-key', 600n, { key: 'zz' }),
    ];
    const { violations } = matchLedger(rows, [
      request(100n, [{ kind: 'FAILED', operationId: 'failed' }]),
      request(200n, [{ kind: 'FAILED', operationId: 'elsewhere' }]),
      request(300n, [{ kind: 'REFUSED', status: 400 }]),
      request(400n, [{ kind: 'OVERLOADED' }]),
      request(500n, [{ kind: 'PENDING', operationId: 'pending', resolved: 'SUCCESS' }], { key: 'k5' }),
      request(600n, [{ kind: 'SUCCESS', operationId: 'other-key' }], { key: 'k6' }),
      request(700n, [{ kind: 'PENDING', operationId: 'never', resolved: 'UNRESOLVED' }]),
      request(800n, [{ kind: 'UNEXPECTED', detail: '500 boom' }]),
      request(900n, [{ kind: 'SUCCESS', operationId: 'wrong-id' }]),
    ]);
    expect(violations).toEqual([
      'DEPOSIT 1.00 on 11111111: answered FAILED but failed is stored',
      'DEPOSIT 2.00 on 11111111: answered FAILED but applied',
      'DEPOSIT 3.00 on 11111111: answered 400 but stored as SUCCESS refused',
      'DEPOSIT 4.00 on 11111111: answered 503 but applied',
      'DEPOSIT 5.00 on 11111111 (keyed): PENDING resolved as SUCCESS but stored REJECTED',
      'DEPOSIT 6.00 on 11111111 (keyed): stored with key zz',
      'DEPOSIT 7.00 on 11111111: PENDING never never resolved',
      'DEPOSIT 8.00 on 11111111: unexpected answer 500 boom',
      'DEPOSIT 9.00 on 11111111: answered SUCCESS (wrong-id) but not stored',
    ]);
  });
});
