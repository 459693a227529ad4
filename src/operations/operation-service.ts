/**
 * Deposits, withdrawals and their reversals, and one stored ledger row. The story of each request:
 * validate → (lock → check → write → commit, in one batch call) → answer.
 */
import type { Kysely } from 'kysely';
import type { Command } from '../ledger/apply-script.js';
import type { Caller } from '../ledger/caller.js';
import {
  AlreadyReversed, IdempotencyConflict, NotReversible, OperationNotFound, Overloaded, WalletNotFound, walletRefusal,
} from '../ledger/errors.js';
import { findOperation, walletExists } from '../ledger/ledger-reads.js';
import type { Operation as OperationView } from '../ledger/ledger-schemas.js';
import { amountKey, engineAmount, formatMoney, normalizeAmount } from '../ledger/money.js';
import type { LedgerType, OperationType } from '../ledger/names.js';
import type { ExecutionResult } from '../ledger/command-executor.js';
import type { CommandBatcher } from '../ledger/command-batcher.js';
import { operationView, refusal } from '../ledger/operation-view.js';
import { readWithRetry } from '../ledger/read-retry.js';
import { operationRequestHash, reversalRequestHash } from '../ledger/request-hash.js';
import { enqueue, logSubmission, refused, type Submission } from '../ledger/submission.js';
import type { Database } from '../ledger/tables.js';
import { assert } from '../lib/assert.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import { uuidv7 } from '../lib/uuid7.js';

export interface OperationRequest {
  caller: Caller;
  walletId: string;
  type: OperationType;
  /** Decimal text that passed the money format ("1.5" is fine: normalised here). */
  amount: string;
  idempotencyKey: string | undefined;
}

/** What became of one deposit, withdrawal or reversal request, decided here once: the answer and how it is counted. */
export type OperationSubmission = Submission<OperationView>;

export interface ReversalRequest {
  caller: Caller;
  walletId: string;
  operationId: string;
  idempotencyKey: string | undefined;
}

export class OperationService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly batcher: Pick<CommandBatcher, 'submit'>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async getOperation(caller: Caller, walletId: string, operationId: string): Promise<OperationView> {
    const row = await this.read(() => findOperation(this.db, walletId, operationId, caller.tenant));
    if (row) {
      const view = operationView(row);
      if (row.status === 'REJECTED') view.detail = refusal(row).message;
      return view;
    }
    // Tell an unknown wallet from an unknown operation, as the other endpoints do.
    if (!(await this.read(() => walletExists(this.db, walletId, caller.tenant)))) throw new WalletNotFound();
    throw new OperationNotFound();
  }

  async submitOperation(request: OperationRequest): Promise<OperationSubmission> {
    return this.submit({
      id: uuidv7(), // fixed before the first attempt: retries look for it
      walletId: request.walletId,
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type: request.type,
      amount: engineAmount(request.amount),
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : operationRequestHash(request.type, amountKey(request.amount)),
    }, request.type);
  }

  /**
   * Reverses an applied deposit, withdrawal or capture with a compensating row linked to it (at most once:
   * the database's unique index and apply_operations_v4 both say so), through the engine.
   */
  async reverseOperation(request: ReversalRequest): Promise<OperationSubmission> {
    const { caller, walletId, operationId } = request;
    const original = await this.read(() => findOperation(this.db, walletId, operationId, caller.tenant));
    if (!original) {
      if (!(await this.read(() => walletExists(this.db, walletId, caller.tenant)))) return refused(new WalletNotFound());
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

  private async submit(input: Command, viewType: LedgerType): Promise<OperationSubmission> {
    const submitted = await enqueue(this.batcher, input);
    if (submitted instanceof Overloaded) return refused(submitted);
    const submission = this.submissionOf(input, submitted.result, viewType);
    logSubmission(this.log, 'operation', submission, submitted, {
      walletId: input.walletId, operationId: submission.kind === 'answered' ? submission.view.id : input.id, actor: input.actor,
      type: input.type, amount: input.amount, reverses: input.reversesId,
      outcome: submission.kind === 'answered' ? submission.view.status : submission.error.name,
    });
    return submission;
  }

  private submissionOf(input: Command, result: ExecutionResult, viewType: LedgerType): OperationSubmission {
    if (result.kind !== 'done') {
      const status = result.kind === 'failed' ? 'FAILED' : 'PENDING';
      return {
        kind: 'answered',
        replayed: false,
        outcome: status,
        view: {
          id: input.id, wallet_id: input.walletId, operation_type: viewType, amount: normalizeAmount(input.amount),
          status, balance: null, ...(input.reversesId ? { reverses_id: input.reversesId } : {}),
          created_at: new Date().toISOString(), detail: result.detail,
        },
      };
    }
    const { outcome, row } = result.applied;
    const replayed = outcome === 'REPLAY';
    const notTaken = walletRefusal(result.applied, input.amount);
    if (notTaken) return refused(notTaken);
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
        if (row.status === 'REJECTED') return refused(refusal(row, result.applied), replayed);
        return { kind: 'answered', view: operationView(row), replayed, outcome: row.status };
    }
  }

  /** A read with bounded retries; an outage becomes a 503. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.readPolicy, this.log, work);
  }
}
