/**
 * The story of each request: validate → (lock → check → write → commit, in one batch call) → answer.
 * Reads and wallet creation retry transient faults within the read budget, then report 503.
 */
import { createHash, randomUUID } from 'node:crypto';
import { assert } from '../lib/assert.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { MONEY_MAX, formatMoney, normalizeAmount } from './money.js';
import type { ExecutionResult } from './operation-executor.js';
import type { OperationBatcher } from './operation-batcher.js';
import type { Caller } from './caller.js';
import type { LedgerType, OperationType } from './operation-names.js';
import {
  AlreadyReversed, type DomainError, IdempotencyConflict, NotReversible, OperationNotFound, Overloaded, refusalFor, WalletNotFound,
} from './wallet-errors.js';
import { readWithRetry } from './read-retry.js';
import { WalletReader, type WalletReaderLimits } from './wallet-reader.js';
import { enqueue, logSubmission, refused, type Submission } from './submission.js';
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
export type OperationOutcome = Submission<OperationView>;

function walletView(row: repo.WalletRow): WalletView {
  return {
    id: row.id,
    balance: formatMoney(row.balance),
    available_balance: formatMoney(row.available),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The API's view of a ledger row (GET /wallets/{w}/operations/{id}); the event feed builds its payloads with it too. */
export function operationView(row: OperationRow): OperationView {
  const view: OperationView = {
    id: row.id,
    wallet_id: row.wallet_id,
    operation_type: row.operation_type,
    amount: formatMoney(row.amount),
    status: row.status,
    balance: formatMoney(row.balance_after),
    created_at: row.created_at.toISOString(),
  };
  // Assigned, not spread from temporary objects: this runs for every answered operation.
  if (row.counterparty_wallet_id) view.counterparty_wallet_id = row.counterparty_wallet_id;
  if (row.reverses_id) view.reverses_id = row.reverses_id;
  if (row.reversed_by) view.reversed_by = row.reversed_by;
  if (row.operation_type === 'CAPTURE') view.hold_id = row.id;
  return view;
}

/** The refusal a stored or fresh rejection stands for; its balance is the one it was judged on. */
export function refusal(row: OperationRow): DomainError {
  return refusalFor(row.operation_type, formatMoney(row.balance_after), formatMoney(row.amount), MONEY_MAX,
    row.counterparty_wallet_id !== null, row.held ? formatMoney(row.held) : null);
}

/** A reversal's hash names its original: the same key for another original is a conflict. */
export function reversalRequestHash(originalId: string): string {
  return createHash('sha256').update(`REVERSAL\n${originalId.toLowerCase()}`).digest('hex');
}

export interface ReversalRequest {
  caller: Caller;
  walletId: string;
  operationId: string;
  idempotencyKey: string | undefined;
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
    return this.submit({
      id: uuidv7(), // fixed before the first attempt: retries look for it
      walletId: request.walletId,
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type: request.type,
      amount,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : requestHash(request.type, amount),
    }, request.type);
  }

  /**
   * Reverses an applied deposit, withdrawal or capture with a compensating row linked to it (at most once:
   * the database's unique index and apply_operations_v3 both say so), through the engine.
   */
  async reverseOperation(request: ReversalRequest): Promise<OperationOutcome> {
    const { caller, walletId, operationId } = request;
    const original = await this.read(() => repo.findOperation(this.db, walletId, operationId, caller.tenant));
    if (!original) {
      if (!(await this.read(() => repo.walletExists(this.db, walletId, caller.tenant)))) return refused(new WalletNotFound());
      return refused(new OperationNotFound());
    }
    if (original.operation_type !== 'DEPOSIT' && original.operation_type !== 'WITHDRAW' && original.operation_type !== 'CAPTURE') {
      return refused(new NotReversible(original.operation_type.startsWith('TRANSFER')
        ? 'A transfer leg is reversed as a transfer: POST /api/v1/transfers/{id}/reverse'
        : 'A reversal cannot itself be reversed'));
    }
    // A keyed retry replays even after the original's reversal (the engine's key lookup comes
    // first); without a key, an original already reversed is answered here without a batch.
    if (request.idempotencyKey === undefined && original.reversed_by) {
      return refused(new AlreadyReversed('operation', original.reversed_by));
    }
    if (original.status !== 'SUCCESS') return refused(new NotReversible('The operation was refused: there is nothing to reverse'));
    return this.submit({
      id: uuidv7(),
      walletId: original.wallet_id,
      tenant: caller.tenant,
      actor: caller.actor,
      type: 'REVERSAL',
      reversesId: original.id,
      amount: formatMoney(original.amount),
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : reversalRequestHash(original.id),
    }, original.operation_type === 'DEPOSIT' ? 'REVERSAL_OUT' : 'REVERSAL_IN'); // a capture is given back like a withdrawal
  }

  private async submit(input: repo.OperationInput, viewType: LedgerType): Promise<OperationOutcome> {
    const submitted = await enqueue(this.batcher, input);
    if (submitted instanceof Overloaded) return refused(submitted);
    const outcome = this.outcome(input, submitted.result, viewType);
    logSubmission(this.log, 'operation', outcome, submitted, {
      walletId: input.walletId, operationId: outcome.kind === 'answered' ? outcome.view.id : input.id, actor: input.actor,
      type: input.type, amount: input.amount, reverses: input.reversesId,
      outcome: outcome.kind === 'answered' ? outcome.view.status : outcome.error.name,
    });
    return outcome;
  }

  private outcome(input: repo.OperationInput, result: ExecutionResult, viewType: LedgerType): OperationOutcome {
    if (result.kind !== 'done') {
      const status = result.kind === 'failed' ? 'FAILED' : 'PENDING';
      return {
        kind: 'answered',
        replayed: false,
        outcome: status,
        view: {
          id: input.id, wallet_id: input.walletId, operation_type: viewType, amount: input.amount,
          status, balance: null, ...(input.reversesId ? { reverses_id: input.reversesId } : {}),
          created_at: new Date().toISOString(), detail: result.detail,
        },
      };
    }
    const { outcome, row } = result.applied;
    const replayed = outcome === 'REPLAY';
    switch (outcome) {
      case 'NOT_FOUND':
        return refused(new WalletNotFound());
      case 'KEY_CONFLICT':
        return refused(new IdempotencyConflict());
      case 'ORIGINAL_NOT_FOUND':
        return refused(new OperationNotFound());
      case 'NOT_REVERSIBLE':
        return refused(new NotReversible('The operation cannot be reversed'));
      case 'ALREADY_REVERSED':
        return refused(new AlreadyReversed('operation', row?.id ?? 'another reversal'));
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
