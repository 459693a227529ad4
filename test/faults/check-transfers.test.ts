/**
 * The fault suite's transfer-and-hold judge can fail: fed a record that lies about the ledger or
 * the holds (a transfer with one leg, a FAILED transfer that was applied, a transfer no request
 * explains, a capture answered CAPTURED on a hold still HELD, a wallet whose held is off), it
 * reports each; fed the truth, it reports none.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkTransfersAndHolds } from '../../faults/check-transfers.js';
import type { HoldFlow, MoveAttempt, TransferRequest } from '../../faults/transfer-hold-load.js';
import { createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

const attempt = (kind: MoveAttempt['kind'], extra: Partial<MoveAttempt> = {}): MoveAttempt =>
  ({ app: 0, kind, status: kind === 'REJECTED_400' ? 400 : 200, replayed: false, startedAt: 0, endedAt: 1, ...extra });

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const transfer = (from: string, to: string, amount: string) => post('/api/v1/transfers', { from_wallet_id: from, to_wallet_id: to, amount });
const applied = (body: Record<string, unknown>) => attempt('SUCCESS', { operationId: String(body.id), body });

async function fundedPair(): Promise<[string, string]> {
  const [a, b] = [await createWallet(t.app), await createWallet(t.app)];
  expect((await operate(t.app, a, { operation_type: 'DEPOSIT', amount: '100.00' })).statusCode).toBe(200);
  return [a, b];
}

describe('checkTransfersAndHolds', () => {
  it('passes a truthful record', async () => {
    const [a, b] = await fundedPair();
    const sent = await transfer(a, b, '0.01');
    const placed = await post(`/api/v1/wallets/${a}/holds`, { amount: '0.02', expires_in_seconds: 3600 });
    const captured = await post(`/api/v1/holds/${String(placed.id)}/capture`, { amount: '0.01' });
    const placed2 = await post(`/api/v1/wallets/${a}/holds`, { amount: '0.03', expires_in_seconds: 3600 });
    const voided = await post(`/api/v1/holds/${String(placed2.id)}/void`, {});
    const placed3 = await post(`/api/v1/wallets/${b}/holds`, { amount: '0.01', expires_in_seconds: 3600 });
    const transfers: TransferRequest[] = [
      { fromWalletId: a, toWalletId: b, amount: '0.01', key: null, attempts: [applied(sent)] },
      { fromWalletId: a, toWalletId: b, amount: '0.04', key: null, attempts: [attempt('FAILED', { operationId: randomUUID() })] },
      { fromWalletId: b, toWalletId: a, amount: '0.05', key: 'k', attempts: [attempt('PENDING', { operationId: randomUUID(), resolved: 'ABSENT' })] },
    ];
    const holds: HoldFlow[] = [
      { walletId: a, amount: '0.02', key: null, place: [applied(placed)], close: { kind: 'capture', amount: '0.01', key: null, attempts: [applied(captured)] } },
      { walletId: a, amount: '0.03', key: null, place: [applied(placed2)], close: { kind: 'void', amount: undefined, key: null, attempts: [applied(voided)] } },
      { walletId: b, amount: '0.01', key: null, place: [applied(placed3)] },
    ];
    const { violations, figures } = await checkTransfersAndHolds(admin, { transfers, holds }, [a, b]);
    expect(violations).toEqual([]);
    expect(figures).toMatchObject({ transfersApplied: 1, oneLegOnly: 0, heldAnswers: 3, captures: { answered: 1, rows: 1 }, voids: 1,
      heldMatches: { ok: 2, wallets: 2 }, conserved: true });
  });

  it('reports every kind of lie', async () => {
    const [a, b] = await fundedPair();
    const oneLeg = await transfer(a, b, '0.01');
    const failedButApplied = await transfer(a, b, '0.02');
    await transfer(a, b, '0.03'); // no request explains it
    const placed = await post(`/api/v1/wallets/${a}/holds`, { amount: '0.04', expires_in_seconds: 3600 });
    await admin.query(`DELETE FROM operations WHERE wallet_id = $1 AND id = $2 AND operation_type = 'TRANSFER_IN'`, [b, oneLeg.id]);
    await admin.query('UPDATE wallets SET held = held + 0.01 WHERE id = $1', [a]);
    const transfers: TransferRequest[] = [
      { fromWalletId: a, toWalletId: b, amount: '0.01', key: null, attempts: [applied(oneLeg)] },
      { fromWalletId: a, toWalletId: b, amount: '0.02', key: null, attempts: [attempt('FAILED', { operationId: String(failedButApplied.id) })] },
    ];
    const holds: HoldFlow[] = [{ walletId: a, amount: '0.04', key: null, place: [applied(placed)],
      close: { kind: 'capture', amount: undefined, key: null, attempts: [attempt('SUCCESS', { operationId: String(placed.id), bodyStatus: 'CAPTURED' })] } }];
    const { violations, figures } = await checkTransfersAndHolds(admin, { transfers, holds }, [a, b]);
    const expected = [
      `transfer ${String(oneLeg.id)}: TRANSFER_OUT on ${a.slice(0, 8)} without its TRANSFER_IN`,
      'without both legs stored',
      'answered FAILED but',
      'every answer said not applied',
      '(0.03 SUCCESS) matches no request',
      'capture answered CAPTURED but the hold is HELD',
      `wallet ${a.slice(0, 8)}: held 0.05, its HELD holds sum to 0.04`,
      'balances sum to',
    ];
    for (const text of expected) expect(violations.some((v) => v.includes(text)), `${text}\n${violations.join('\n')}`).toBe(true);
    expect(figures).toMatchObject({ oneLegOnly: 1, conserved: false });
  });
});
