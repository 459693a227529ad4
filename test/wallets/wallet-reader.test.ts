/** Coalesced balance reads: many concurrent GETs, few queries, each answer its own wallet's. */
import { describe, expect, it } from 'vitest';
import { Overloaded } from '../../src/ledger/errors.js';
import { WalletReader } from '../../src/wallets/wallet-reader.js';
import { findWallets } from '../../src/wallets/wallet-repository.js';
import { createWallet, operate, useTestApp } from '../support/test-app.js';

const t = useTestApp();

describe('WalletReader', () => {
  it('answers 200 concurrent reads of 20 wallets with a few queries', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => createWallet(t.app)));
    await Promise.all(ids.map((id, i) => operate(t.app, id, { operation_type: 'DEPOSIT', amount: `${i + 1}.00` })));
    const queries: number[] = [];
    const reader = new WalletReader(async (batch) => {
      queries.push(batch.length);
      return findWallets(t.db.kysely, batch);
    }, { batchSizeMax: 500, batchesInFlightMax: 2, waitersMax: 1000 });
    const unknown = '00000000-0000-4000-8000-00000000000f';
    const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => reader.get(i % 21 === 20 ? unknown : ids[i % 21]!)));
    reads.forEach((row, i) => {
      if (i % 21 === 20) expect(row).toBeUndefined();
      else expect(row?.balance).toBe(`${(i % 21) + 1}.00`);
    });
    // All 200 reads arrive in one turn of the event loop: each of the 21 ids is fetched exactly once.
    expect(queries).toEqual([21]);
  });

  it('a failed query fails every read waiting on it', async () => {
    const reader = new WalletReader(async () => { throw Object.assign(new Error('boom'), { code: 'ECONNRESET' }); },
      { batchSizeMax: 10, batchesInFlightMax: 1, waitersMax: 1000 });
    const results = await Promise.allSettled([reader.get('a'), reader.get('b'), reader.get('a')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('respects the batch size bound', async () => {
    const sizes: number[] = [];
    const reader = new WalletReader(async (batch) => { sizes.push(batch.length); return []; }, { batchSizeMax: 3, batchesInFlightMax: 1, waitersMax: 1000 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => reader.get(`id-${i}`)));
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('refuses reads beyond waitersMax instead of growing memory, and takes them again once drained', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const reader = new WalletReader(async () => { await gate; return []; }, { batchSizeMax: 10, batchesInFlightMax: 1, waitersMax: 3 });
    const first = Array.from({ length: 3 }, (_, i) => reader.get(`id-${i}`));
    await expect(reader.get('one-too-many')).rejects.toBeInstanceOf(Overloaded);
    release();
    await Promise.all(first);
    await expect(reader.get('later')).resolves.toBeUndefined();
  });
});
