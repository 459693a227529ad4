/**
 * Wallets: create one, read one; the tenant's assets. Reads and wallet creation retry transient
 * faults within the read budget, then report 503.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Caller } from '../ledger/caller.js';
import { ISO_4217_MINOR_UNITS } from '../ledger/currencies.js';
import {
  AssetConflict, ExternalIdTaken, InvalidInput, type InputProblem, WalletNotFound, WalletQuotaReached, WalletStatusConflict,
} from '../ledger/errors.js';
import { atScale, decimalsOf, formatMoney, moneyMax, toUnits } from '../ledger/money.js';
import { readWithRetry } from '../ledger/read-retry.js';
import type { Database, WalletRow } from '../ledger/tables.js';
import { assert } from '../lib/assert.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { WalletReader, type WalletReaderLimits } from './wallet-reader.js';
import * as repo from './wallet-repository.js';
import {
  type Asset, type AssetBody, type AssetList, type CreateWalletBody, METADATA_KEYS_MAX, METADATA_QUERY_KEY, type PatchWalletBody,
  type Wallet as WalletView, type WalletPage, type WalletsQuerystring,
} from './wallet-schemas.js';
import { decodeWalletsCursor, encodeWalletsCursor } from './wallet-cursor.js';

export function walletView(row: WalletRow): WalletView {
  return {
    id: row.id,
    balance: formatMoney(row.balance),
    available_balance: formatMoney(row.available),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    currency: row.currency,
    scale: row.scale,
    metadata: row.metadata,
    min_balance: formatMoney(row.min_balance),
    max_balance: formatMoney(row.max_balance),
    status: row.status,
    external_id: row.external_id,
  };
}

/**
 * A balance bound as given, checked against the scale and written with it; a problem when it has
 * more decimals than the scale or lies beyond the scale's largest balance.
 */
export function boundAtScale(field: string, text: string, scale: number, problems: InputProblem[]): string | undefined {
  if (decimalsOf(text.replace(/^-/, '')) > scale) {
    problems.push({ loc: ['body', field], msg: `Decimal input should have no more than ${scale} decimal places`, type: 'decimal_max_places' });
    return undefined;
  }
  const negative = text.startsWith('-');
  const value = atScale(negative ? text.slice(1) : text, scale);
  return negative && toUnits(value, scale) !== 0n ? `-${value}` : value;
}

/** min_balance <= max_balance, both of the scale (already checked by boundAtScale). */
export function boundsProblem(min: string, max: string, scale: number): InputProblem | undefined {
  return toUnits(min, scale) > toUnits(max, scale)
    ? { loc: ['body', 'min_balance'], msg: `min_balance ${min} is above max_balance ${max}`, type: 'value_error' } : undefined;
}

export class WalletService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
    readCoalescing: WalletReaderLimits,
    private readonly defaultCurrency = 'USD',
  ) {
    assert(ISO_4217_MINOR_UNITS.has(defaultCurrency), `DEFAULT_CURRENCY ${defaultCurrency} is not an ISO 4217 code`);
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

  /** ISO 4217's minor unit, or the tenant's asset's scale; a 422 for an unknown code. */
  private async scaleOf(tenant: string, currency: string): Promise<number> {
    const iso = ISO_4217_MINOR_UNITS.get(currency);
    if (iso !== undefined) return iso;
    const asset = await this.read(() => repo.findAssetScale(this.db, tenant, currency));
    if (asset === undefined) {
      throw new InvalidInput([{ loc: ['body', 'currency'], type: 'value_error',
        msg: `Unknown currency ${currency}: an ISO 4217 code, or an asset of the tenant (POST /api/v1/assets)` }]);
    }
    return asset;
  }

  async createWallet(caller: Caller, body: CreateWalletBody = {}): Promise<WalletView> {
    const currency = body.currency ?? this.defaultCurrency;
    const scale = await this.scaleOf(caller.tenant, currency);
    const problems: InputProblem[] = [];
    const minBalance = body.min_balance === undefined ? atScale('0', scale) : boundAtScale('min_balance', body.min_balance, scale, problems);
    const maxBalance = body.max_balance === undefined ? moneyMax(scale) : boundAtScale('max_balance', body.max_balance, scale, problems);
    const order = minBalance !== undefined && maxBalance !== undefined ? boundsProblem(minBalance, maxBalance, scale) : undefined;
    if (order) problems.push(order);
    if (problems.length > 0 || minBalance === undefined || maxBalance === undefined) throw new InvalidInput(problems);
    const id = randomUUID();
    const externalId = body.external_id ?? null;
    // Retry-safe: the id is fixed, and a retry after an unheard commit finds the row.
    const row = await this.read(async () => (await repo.insertWallet(this.db, {
      id, tenant: caller.tenant, currency, scale, minBalance, maxBalance, metadata: body.metadata ?? {}, externalId,
    }, caller.actor)) ?? repo.findWallet(this.db, id, caller.tenant));
    if (!row) {
      // Not ours: the external id is another wallet's (wallets are never deleted), or the quota is spent.
      const existing = externalId === null ? undefined
        : await this.read(() => repo.findWalletIdByExternalId(this.db, caller.tenant, externalId));
      if (existing) throw new ExternalIdTaken(existing);
      const quota = await this.read(() => repo.walletQuotaOf(this.db, caller.tenant));
      assert(quota !== undefined, 'wallet insert returned nothing: no such external id and no quota');
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

  /**
   * Changes metadata (merged), limits and status under the wallet's row lock, and records the
   * change with its actor (wallet.updated). Nothing changed: nothing recorded, so a retry after an
   * unheard commit writes no second event.
   */
  async patchWallet(caller: Caller, id: string, body: PatchWalletBody): Promise<WalletView> {
    return this.read(() => this.db.transaction().execute(async (trx) => {
      const row = await repo.lockWallet(trx, id, caller.tenant);
      if (!row) throw new WalletNotFound();
      const change: repo.WalletChange = {};
      const recorded: Record<string, { from: unknown; to: unknown }> = {};
      const problems: InputProblem[] = [];
      if (body.metadata !== undefined) {
        const merged: Record<string, string> = { ...row.metadata };
        for (const [key, value] of Object.entries(body.metadata)) {
          if (value === null || value === '') delete merged[key];
          else merged[key] = value;
        }
        if (Object.keys(merged).length > METADATA_KEYS_MAX) {
          problems.push({ loc: ['body', 'metadata'], msg: `Metadata may have at most ${METADATA_KEYS_MAX} keys`, type: 'too_long' });
        } else if (JSON.stringify(merged) !== JSON.stringify(row.metadata)) {
          change.metadata = merged;
          recorded.metadata = { from: row.metadata, to: merged };
        }
      }
      const min = body.min_balance === undefined ? row.min_balance : boundAtScale('min_balance', body.min_balance, row.scale, problems);
      const max = body.max_balance === undefined ? row.max_balance : boundAtScale('max_balance', body.max_balance, row.scale, problems);
      if (min !== undefined && max !== undefined) {
        const order = boundsProblem(min, max, row.scale);
        if (order) problems.push(order);
        if (min !== row.min_balance) [change.minBalance, recorded.min_balance] = [min, { from: row.min_balance, to: min }];
        if (max !== row.max_balance) [change.maxBalance, recorded.max_balance] = [max, { from: row.max_balance, to: max }];
      }
      if (problems.length > 0) throw new InvalidInput(problems);
      if (body.status !== undefined && body.status !== row.status) {
        if (row.status === 'CLOSED') throw new WalletStatusConflict('A closed wallet stays closed');
        if (body.status === 'CLOSED') {
          const held = await repo.releaseLapsedHolds(trx, id);
          if (toUnits(row.balance, row.scale) !== 0n || toUnits(held, row.scale) !== 0n) {
            throw new WalletStatusConflict(`A wallet is closed only with balance 0 and no active hold (balance ${row.balance}, ` +
              `held ${held})`);
          }
        }
        change.status = body.status;
        recorded.status = { from: row.status, to: body.status };
      }
      if (Object.keys(recorded).length === 0) return walletView(row);
      return walletView(await repo.updateWallet(trx, id, change, caller.actor, recorded));
    }));
  }

  /** The tenant's wallets, newest first, one keyset page at a time, filtered. */
  async listWallets(caller: Caller, query: WalletsQuerystring): Promise<WalletPage> {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(query)) {
      const key = METADATA_QUERY_KEY.exec(name)?.[1];
      if (key !== undefined && typeof value === 'string') metadata[key] = value;
    }
    const rows = await this.read(() => repo.findWalletsPage(this.db, {
      tenant: caller.tenant, currency: query.currency, status: query.status, externalId: query.external_id,
      createdAfter: query.created_after, createdBefore: query.created_before, metadata,
      before: query.cursor === undefined ? undefined : decodeWalletsCursor(query.cursor), rows: query.limit + 1,
    }));
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(walletView),
      next_cursor: rows.length > query.limit && last ? encodeWalletsCursor({ createdUs: last.created_us, id: last.id }) : null,
    };
  }

  /** Defines an asset; the same code with the same scale again is answered as stored (a retry). */
  async createAsset(caller: Caller, body: AssetBody): Promise<Asset> {
    if (ISO_4217_MINOR_UNITS.has(body.code)) throw new AssetConflict(`${body.code} is an ISO 4217 currency`);
    const row = await this.read(() => repo.insertAsset(this.db, caller.tenant, body.code, body.scale, caller.actor));
    if (row.scale !== body.scale) throw new AssetConflict(`Asset ${body.code} exists with scale ${row.scale}; an asset's scale never changes`);
    return { code: row.code, scale: row.scale, created_at: row.created_at.toISOString() };
  }

  async listAssets(caller: Caller): Promise<AssetList> {
    const rows = await this.read(() => repo.listAssets(this.db, caller.tenant));
    return { items: rows.map((r) => ({ code: r.code, scale: r.scale, created_at: r.created_at.toISOString() })) };
  }

  /** A read (or the idempotent wallet insert) with bounded retries; an outage becomes a 503. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.readPolicy, this.log, work);
  }
}
