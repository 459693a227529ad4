/**
 * Wallets: create one, read one. Reads and wallet creation retry transient faults within the read
 * budget, then report 503.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Caller } from '../ledger/caller.js';
import { WalletNotFound, WalletQuotaReached } from '../ledger/errors.js';
import { formatMoney } from '../ledger/money.js';
import { readWithRetry } from '../ledger/read-retry.js';
import type { Database, WalletRow } from '../ledger/tables.js';
import { assert } from '../lib/assert.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { WalletReader, type WalletReaderLimits } from './wallet-reader.js';
import * as repo from './wallet-repository.js';
import type { Wallet as WalletView } from './wallet-schemas.js';

function walletView(row: WalletRow): WalletView {
  return {
    id: row.id,
    balance: formatMoney(row.balance),
    available_balance: formatMoney(row.available),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export class WalletService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
    readCoalescing: WalletReaderLimits,
  ) {
    if (readCoalescing.batchesInFlightMax > 0) {
      // Batches mix tenants; each waiter checks its own row's tenant (same query, no extra trip).
      const reader = new WalletReader((ids) => repo.findWallets(db, ids), readCoalescing);
      this.findWallet = async (id, tenant) => {
        const row = await reader.get(id);
        return row?.tenant === tenant ? row : undefined;
      };
    } else {
      this.findWallet = (id, tenant) => repo.findWallet(db, id, tenant);
    }
  }

  /** The wallet if it belongs to `tenant`: another tenant's wallet is not found (404, no existence leak). */
  private readonly findWallet: (id: string, tenant: string) => Promise<WalletRow | undefined>;

  async createWallet(caller: Caller): Promise<WalletView> {
    const id = randomUUID();
    // Retry-safe: the id is fixed, and a retry after an unheard commit finds the row.
    const row = await this.read(async () => (await repo.insertWallet(this.db, id, caller.tenant)) ??
      repo.findWallet(this.db, id, caller.tenant));
    if (!row) {
      const quota = await this.read(() => repo.walletQuotaOf(this.db, caller.tenant));
      assert(quota !== undefined, 'wallet insert returned nothing and the tenant has no quota');
      throw new WalletQuotaReached(quota);
    }
    return walletView(row);
  }

  async getWallet(caller: Caller, id: string): Promise<WalletView> {
    // Coalesced with concurrent reads; a failed batch fails its waiters, and each retries on its own.
    const row = await this.read(() => this.findWallet(id, caller.tenant));
    if (!row) throw new WalletNotFound();
    return walletView(row);
  }

  /** A read (or the idempotent wallet insert) with bounded retries; an outage becomes a 503. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.readPolicy, this.log, work);
  }
}
