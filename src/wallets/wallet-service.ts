/**
 * The story of each request: validate → (lock → check → write → commit, in one batch call) → answer.
 * Reads and wallet creation retry transient faults within the read budget, then report 503.
 */
import { createHash, randomUUID } from 'node:crypto';
import { assert } from '../lib/assert.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { MONEY_MAX, formatMoney, normalizeAmount } from './money.js';
import type { ExecutionResult } from './operation-executor.js';
import type { OperationBatcher } from './operation-batcher.js';
import type { Caller } from './caller.js';
import type { OperationType, RequestOutcome } from './operation-names.js';
import {
  type DomainError, IdempotencyConflict, OperationNotFound, Overloaded, refusalFor, WalletNotFound,
} from './wallet-errors.js';
import { readWithRetry } from './read-retry.js';
import { WalletReader, type WalletReaderLimits } from './wallet-reader.js';
import * as repo from './wallet-repository.js';
import type { OperationRow } from './wallet-repository.js';
import type { Operation as OperationView, Wallet as WalletView } from './wallet-schemas.js';

export interface OperationRequest {
  caller: Caller;
  walletId: string;
  type: OperationType;
  /** Decimal text that passed the money format ("1.5" is fine: normalised here). */
  amount: string;
  idempotencyKey: string | undefined;
}

/** What became of one submitted operation, decided here once: the answer and how it is counted. */
export type OperationOutcome =
  | { kind: 'answered'; view: OperationView; replayed: boolean; outcome: RequestOutcome }
  | { kind: 'refused'; error: DomainError; replayed: boolean; outcome: RequestOutcome };

function walletView(row: repo.WalletRow): WalletView {
  return {
    id: row.id,
    balance: formatMoney(row.balance),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function operationView(row: OperationRow): OperationView {
  return {
    id: row.id,
    wallet_id: row.wallet_id,
    operation_type: row.operation_type,
    amount: formatMoney(row.amount),
    status: row.status,
    balance: formatMoney(row.balance_after),
    ...(row.counterparty_wallet_id ? { counterparty_wallet_id: row.counterparty_wallet_id } : {}),
    created_at: row.created_at.toISOString(),
  };
}

/** The refusal a stored or fresh rejection stands for; its balance is the one it was judged on. */
function refusal(row: OperationRow): DomainError {
  return refusalFor(row.operation_type, formatMoney(row.balance_after), formatMoney(row.amount), MONEY_MAX);
}

export function requestHash(type: OperationType, amount: string): string {
  return createHash('sha256').update(`${type}\n${amount}`).digest('hex');
}

export class WalletService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly batcher: Pick<OperationBatcher, 'submit'>,
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
  private readonly findWallet: (id: string, tenant: string) => Promise<repo.WalletRow | undefined>;

  async createWallet(caller: Caller): Promise<WalletView> {
    const id = randomUUID();
    // Retry-safe: the id is fixed, and a retry after an unheard commit finds the row.
    const row = await this.read(async () => (await repo.insertWallet(this.db, id, caller.tenant)) ??
      repo.findWallet(this.db, id, caller.tenant));
    assert(row, 'wallet insert returned nothing');
    return walletView(row);
  }

  async getWallet(caller: Caller, id: string): Promise<WalletView> {
    // Coalesced with concurrent reads; a failed batch fails its waiters, and each retries on its own.
    const row = await this.read(() => this.findWallet(id, caller.tenant));
    if (!row) throw new WalletNotFound();
    return walletView(row);
  }

  async getOperation(caller: Caller, walletId: string, operationId: string): Promise<OperationView> {
    const row = await this.read(() => repo.findOperation(this.db, walletId, operationId, caller.tenant));
    if (row) {
      const view = operationView(row);
      if (row.status === 'REJECTED') view.detail = refusal(row).message;
      return view;
    }
    // Tell an unknown wallet from an unknown operation, as the other endpoints do.
    if (!(await this.read(() => repo.walletExists(this.db, walletId, caller.tenant)))) throw new WalletNotFound();
    throw new OperationNotFound();
  }

  async submitOperation(request: OperationRequest): Promise<OperationOutcome> {
    const amount = normalizeAmount(request.amount);
    const input: repo.OperationInput = {
      id: randomUUID(), // fixed before the first attempt: retries look for it
      walletId: request.walletId,
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type: request.type,
      amount,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : requestHash(request.type, amount),
    };
    let submitted;
    try {
      submitted = await this.batcher.submit(input);
    } catch (error) {
      // Not queued, so certainly not applied.
      if (error instanceof Overloaded) return { kind: 'refused', error, replayed: false, outcome: error.outcome };
      throw error;
    }
    const { result, attempts, transactionMs, batchSize, queuedMs } = submitted;
    const outcome = this.outcome(input, result);
    this.log.info({
      walletId: input.walletId, operationId: outcome.kind === 'answered' ? outcome.view.id : input.id, actor: input.actor,
      type: input.type, amount: input.amount,
      outcome: outcome.kind === 'answered' ? outcome.view.status : outcome.error.name,
      replayed: outcome.replayed, attempts, transactionMs: Math.round(transactionMs * 100) / 100,
      batchSize, queuedMs: Math.round(queuedMs * 100) / 100,
    }, 'operation');
    return outcome;
  }

  private outcome(input: repo.OperationInput, result: ExecutionResult): OperationOutcome {
    if (result.kind !== 'done') {
      const status = result.kind === 'failed' ? 'FAILED' : 'PENDING';
      return {
        kind: 'answered',
        replayed: false,
        outcome: status,
        view: {
          id: input.id, wallet_id: input.walletId, operation_type: input.type, amount: input.amount,
          status, balance: null,
          created_at: new Date().toISOString(), detail: result.detail,
        },
      };
    }
    const { outcome, row } = result.applied;
    const replayed = outcome === 'REPLAY';
    const refused = (error: DomainError, isReplay = false): OperationOutcome =>
      ({ kind: 'refused', error, replayed: isReplay, outcome: error.outcome });
    switch (outcome) {
      case 'NOT_FOUND':
        return refused(new WalletNotFound());
      case 'KEY_CONFLICT':
        return refused(new IdempotencyConflict());
      default:
        assert(row, `outcome ${outcome} without a row`);
        if (row.status === 'REJECTED') return refused(refusal(row), replayed);
        return { kind: 'answered', view: operationView(row), replayed, outcome: row.status };
    }
  }

  /** A read (or the idempotent wallet insert) with bounded retries; an outage becomes a 503. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.readPolicy, this.log, work);
  }
}
