/**
 * Found by reading the fault suite's PgBouncer paths, proved here deterministically: when
 * PgBouncer loses its server connection during a transaction it answers the client with an
 * ErrorResponse of severity ERROR (SQLSTATE 08P01, "server conn crashed?") and closes. If the
 * server died right after the COMMIT took effect, that ERROR stands for an unknown outcome, not
 * for "stopped before COMMIT": the service must never answer FAILED for it.
 */
import { describe, expect, it } from 'vitest';
import { useFaultProxy } from '../support/fault-proxy.js';
import { createWallet, operate, useAdminPool, useTestApp } from '../support/test-app.js';

describe('a pooler ERROR after the COMMIT took effect', () => {
  const proxy = useFaultProxy();
  const t = useTestApp({ retryAttemptsMax: 3, operationBudgetMs: 3000 }, { url: () => proxy.url });
  const admin = useAdminPool();

  async function stored(walletId: string): Promise<number> {
    const r = await admin.query<{ n: string }>("SELECT count(*)::text AS n FROM operations WHERE wallet_id = $1 AND status = 'SUCCESS'", [walletId]);
    return Number(r.rows[0]!.n);
  }

  it('once: the retry finds the committed operation and answers SUCCESS', async () => {
    const id = await createWallet(t.app);
    proxy.injectOnCommit('after-commit-pooler-error', 1);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '5.00' });
    expect(res.json()).toMatchObject({ status: 'SUCCESS', balance: '5.00' });
    expect(await stored(id)).toBe(1);
  });

  it('on every attempt: never FAILED for what was applied (PENDING, and the GET says applied)', async () => {
    const id = await createWallet(t.app);
    proxy.injectOnCommit('after-commit-pooler-error', 1000);
    const res = await operate(t.app, id, { operation_type: 'DEPOSIT', amount: '8.00' });
    proxy.clearFaults();
    expect(await stored(id)).toBe(1); // it was applied ...
    const body = res.json() as { id: string; status: string };
    expect(body.status).not.toBe('FAILED'); // ... so FAILED would be a lie
    expect(body.status).toBe('PENDING');
    const get = await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}/operations/${body.id}` });
    expect(get.json()).toMatchObject({ status: 'SUCCESS', balance: '8.00' });
  });
});
