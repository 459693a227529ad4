/**
 * The fault suite's judge can fail: fed a client record that lies about the ledger (a SUCCESS
 * with the wrong balance, a FAILED that was applied, a 400 that was stored, an unresolved
 * PENDING, a row no request explains, a key applied twice), it reports each as a violation; fed
 * the truth, it reports none.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkAgainstLedger } from '../../faults/check.js';
import type { Attempt } from '../../faults/attempt.js';
import type { LogicalRequest } from '../../faults/load.js';
import { createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

const attempt = (kind: Attempt['kind'], extra: Partial<Attempt> = {}): Attempt =>
  ({ app: 0, kind, status: kind === 'REJECTED_400' ? 400 : 200, replayed: false, startedAt: 0, endedAt: 1, ...extra });

async function applied(walletId: string, amount: string, key?: string) {
  const res = await operate(t.app, walletId, { operation_type: 'DEPOSIT', amount }, key ? { 'idempotency-key': key } : {});
  return res.json() as { id: string; balance: string };
}

describe('checkAgainstLedger', () => {
  it('passes a truthful record', async () => {
    const w = await createWallet(t.app);
    const a = await applied(w, '0.01');
    const b = await applied(w, '0.02', 'k-1');
    const requests: LogicalRequest[] = [
      { walletId: w, type: 'DEPOSIT', amount: '0.01', key: null, attempts: [attempt('SUCCESS', { operationId: a.id, balance: a.balance })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.02', key: 'k-1', attempts: [
        attempt('NO_RESPONSE'), attempt('SUCCESS', { operationId: b.id, balance: b.balance, replayed: true })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.03', key: null, attempts: [attempt('FAILED', { operationId: randomUUID() })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.04', key: null, attempts: [attempt('PENDING', { operationId: randomUUID(), resolved: 'ABSENT' })] },
    ];
    const verdict = await checkAgainstLedger(admin, requests, [w]);
    expect(verdict.violations).toEqual([]);
    expect(verdict).toMatchObject({ requests: 4, attempts: 5, ledgerRows: 2, events: 2, keyedRetried: 1, pendingAbsent: 1 });
  });

  it('reports a change without its event, a change with two, and an event without its change', async () => {
    const w = await createWallet(t.app);
    const a = await applied(w, '0.01');
    const b = await applied(w, '0.02');
    const requests: LogicalRequest[] = [
      { walletId: w, type: 'DEPOSIT', amount: '0.01', key: null, attempts: [attempt('SUCCESS', { operationId: a.id, balance: a.balance })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.02', key: null, attempts: [attempt('SUCCESS', { operationId: b.id, balance: b.balance })] },
    ];
    // Behind the service's back, as the superuser: lose one event, repeat another, forge a third (outbox
    // rows of changeset 017 name their ledger seqs: 2..3 repeats seq 2 and names a seq 3 that never committed).
    await admin.query('DELETE FROM events WHERE wallet_id = $1 AND wallet_seq = 1', [w]);
    await admin.query(`INSERT INTO events (feed_txid, tenant, wallet_id, wallet_seq, seq_last)
      SELECT pg_current_xact_id(), tenant, id, 2, 3 FROM wallets WHERE id = $1`, [w]);
    const { violations, events } = await checkAgainstLedger(admin, requests, [w]);
    expect(events).toBe(3); // seq 2 twice, seq 3 once
    expect(violations).toEqual([
      expect.stringMatching(/^events: ledger row .* seq 1 \(DEPOSIT\) has no event$/),
      expect.stringMatching(/^events: ledger row .* seq 2 has 2 events$/),
      expect.stringMatching(/^events: event .* at .* seq 3 has no ledger row/),
    ]);
  });

  it('reports every kind of lie', async () => {
    const w = await createWallet(t.app);
    const ok = await applied(w, '0.01');
    const failedButApplied = await applied(w, '0.02');
    const rejectedButApplied = await applied(w, '0.03');
    const pendingUnresolved = await applied(w, '0.04');
    await applied(w, '0.05'); // a row no request explains
    const requests: LogicalRequest[] = [
      { walletId: w, type: 'DEPOSIT', amount: '0.01', key: null, attempts: [attempt('SUCCESS', { operationId: ok.id, balance: '9.99' })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.02', key: null, attempts: [attempt('FAILED', { operationId: failedButApplied.id })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.03', key: null, attempts: [attempt('REJECTED_400')] },
      { walletId: w, type: 'DEPOSIT', amount: '0.04', key: null, attempts: [attempt('PENDING', { operationId: pendingUnresolved.id, resolved: 'UNRESOLVED' })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.06', key: null, attempts: [attempt('SUCCESS', { operationId: randomUUID(), balance: '0.21' })] },
      { walletId: w, type: 'DEPOSIT', amount: '0.07', key: null, attempts: [attempt('UNEXPECTED', { status: 500 })] },
    ];
    const { violations } = await checkAgainstLedger(admin, requests, [w]);
    expect(violations).toEqual(expect.arrayContaining([
      expect.stringMatching(/0\.01 .*answered balance 9\.99/),
      expect.stringMatching(/0\.02 .*answered FAILED but/),
      expect.stringMatching(/0\.03 .*answered 400 but stored as SUCCESS/),
      expect.stringMatching(/0\.04 .*never resolved/),
      expect.stringMatching(/0\.05\) matches no request/),
      expect.stringMatching(/0\.06 .*answered SUCCESS .* but not stored/),
      expect.stringMatching(/0\.07 .*unexpected answer 500/),
    ]));
    expect(rejectedButApplied.id).toBeDefined();
  });

  it('reports an operation stored twice and books that do not reconcile', async () => {
    const w = await createWallet(t.app);
    const first = await applied(w, '0.01', 'twice');
    // Forge a second application of the same request behind the service's back (as the superuser).
    await admin.query(`INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status)
      VALUES ($1, $2, 2, 'DEPOSIT', 0.01, 0.02, 'SUCCESS')`, [w, randomUUID()]);
    const requests: LogicalRequest[] = [{ walletId: w, type: 'DEPOSIT', amount: '0.01', key: 'twice',
      attempts: [attempt('SUCCESS', { operationId: first.id, balance: first.balance })] }];
    try {
      const { violations } = await checkAgainstLedger(admin, requests, [w]);
      expect(violations).toEqual(expect.arrayContaining([
        expect.stringMatching(/stored 2 times/),
        expect.stringMatching(/^reconcile: /),
      ]));
    } finally {
      // Leave no broken books behind: other tests reconcile the whole shared database.
      await admin.query('DELETE FROM operations WHERE wallet_id = $1', [w]);
      await admin.query('DELETE FROM wallets WHERE id = $1', [w]);
    }
  });
});
