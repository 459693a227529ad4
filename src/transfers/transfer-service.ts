/**
 * The story of a transfer: validate → (lock both wallets in id order → judge → write both legs →
 * commit, in one group-commit batch with the other commands on either wallet) → answer.
 * A transfer is submitted to the engine as its outgoing leg (TRANSFER_OUT, with the target as
 * counterparty); apply_operations_v4 writes the incoming leg with it or refuses both.
 * The outcome rules are the operations' rules (docs/architecture.md): SUCCESS, FAILED, PENDING.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import { assert } from '../lib/assert.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import type { Caller } from '../ledger/caller.js';
import { amountKey, engineAmount, formatMoney, normalizeAmount } from '../ledger/money.js';
import { refusal } from '../ledger/operation-view.js';
import type { CommandBatcher } from '../ledger/command-batcher.js';
import type { ExecutionResult } from '../ledger/command-executor.js';
import { readWithRetry } from '../ledger/read-retry.js';
import {
  AlreadyReversed, IdempotencyConflict, InvalidInput, NotReversible, Overloaded, TransferNotFound, WalletNotFound, walletRefusal,
} from '../ledger/errors.js';
import { reversalRequestHash, transferRequestHash } from '../ledger/request-hash.js';
import { enqueue, logSubmission, refused, type Submission } from '../ledger/submission.js';
import type { Command } from '../ledger/apply-script.js';
import type { OperationRow } from '../ledger/tables.js';
import * as repo from './transfer-repository.js';
import type { Transfer as TransferView } from './transfer-schemas.js';

export interface TransferRequest {
  caller: Caller;
  fromWalletId: string;
  toWalletId: string;
  /** Decimal text that passed the money format. */
  amount: string;
  idempotencyKey: string | undefined;
}

export type TransferSubmission = Submission<TransferView>;

export interface TransferReversalRequest {
  caller: Caller;
  transferId: string;
  idempotencyKey: string | undefined;
}

export class TransferService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly batcher: Pick<CommandBatcher, 'submit'>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async submitTransfer(request: TransferRequest): Promise<TransferSubmission> {
    const fromWalletId = request.fromWalletId.toLowerCase();
    const toWalletId = request.toWalletId.toLowerCase();
    if (fromWalletId === toWalletId) {
      const error = new InvalidInput([{ loc: ['body', 'to_wallet_id'], msg: 'to_wallet_id must differ from from_wallet_id',
        type: 'value_error' }]);
      return refused(error);
    }
    const amount = engineAmount(request.amount);
    const input: Command = {
      id: uuidv7(), // the transfer id, fixed before the first attempt: retries look for it
      walletId: fromWalletId,
      counterpartyWalletId: toWalletId,
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type: 'TRANSFER_OUT',
      amount,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : transferRequestHash(toWalletId, amountKey(request.amount)),
    };
    const submitted = await enqueue(this.batcher, input);
    if (submitted instanceof Overloaded) return refused(submitted);
    const submission = this.submissionOf(input, submitted.result);
    logSubmission(this.log, 'transfer', submission, submitted, {
      transferId: submission.kind === 'answered' ? submission.view.id : input.id, fromWalletId, toWalletId, actor: input.actor,
      amount, outcome: submission.kind === 'answered' ? submission.view.status : submission.error.name,
    });
    return submission;
  }

  /**
   * Reverses an applied transfer: a transfer back from its target to its source, in one
   * transaction through the engine (REVERSAL_OUT on the target, REVERSAL_IN on the source, both
   * linked to the transfer's legs), at most once. The answer is that transfer back: from = the
   * original target, to = the original source.
   */
  async reverseTransfer(request: TransferReversalRequest): Promise<TransferSubmission> {
    const legs = await readWithRetry(this.readPolicy, this.log,
      () => repo.findTransferLegs(this.db, request.transferId, request.caller.tenant));
    const out = legs.find((l) => l.operation_type === 'TRANSFER_OUT');
    if (!out) return refused(new TransferNotFound());
    if (out.status !== 'SUCCESS') return refused(new NotReversible('The transfer was refused: there is nothing to reverse'));
    const input: Command = {
      id: uuidv7(),
      walletId: out.wallet_id,
      counterpartyWalletId: out.counterparty_wallet_id,
      reversesId: out.id,
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type: 'REVERSAL',
      amount: formatMoney(out.amount),
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : reversalRequestHash(out.id),
    };
    const submitted = await enqueue(this.batcher, input);
    if (submitted instanceof Overloaded) return refused(submitted);
    const { result } = submitted;
    const back = (view: TransferView): TransferView => ({ ...view, reverses_id: out.id });
    if (result.kind !== 'done') {
      const status = result.kind === 'failed' ? 'FAILED' : 'PENDING';
      return { kind: 'answered', replayed: false, outcome: status, view: back({
        id: input.id, from_wallet_id: out.counterparty_wallet_id!, to_wallet_id: out.wallet_id, amount: normalizeAmount(input.amount), status,
        from_balance: null, to_balance: null, created_at: new Date().toISOString(), detail: result.detail,
      }) };
    }
    const { outcome, row, counterpartyBalanceAfter } = result.applied;
    const replayed = outcome === 'REPLAY';
    const notTaken = walletRefusal(result.applied, input.amount);
    if (notTaken) return refused(notTaken);
    switch (outcome) {
      case 'NOT_FOUND': return refused(new WalletNotFound());
      case 'KEY_CONFLICT': return refused(new IdempotencyConflict());
      case 'ORIGINAL_NOT_FOUND': return refused(new TransferNotFound());
      case 'NOT_REVERSIBLE': return refused(new NotReversible('The transfer cannot be reversed'));
      case 'ALREADY_REVERSED': return refused(new AlreadyReversed('transfer', row?.id ?? 'another reversal'));
      default: {
        assert(row, `outcome ${outcome} without a row`);
        if (row.operation_type !== 'REVERSAL_IN' || row.reverses_id !== out.id) return refused(new IdempotencyConflict());
        if (row.status === 'REJECTED') return refused(refusal(row, result.applied), replayed);
        return { kind: 'answered', replayed, outcome: row.status, view: back({
          id: row.id, from_wallet_id: out.counterparty_wallet_id!, to_wallet_id: out.wallet_id, amount: formatMoney(row.amount),
          status: row.status, from_balance: counterpartyBalanceAfter === null ? null : formatMoney(counterpartyBalanceAfter),
          to_balance: formatMoney(row.balance_after), created_at: row.created_at.toISOString(),
        }) };
      }
    }
  }

  async getTransfer(caller: Caller, id: string): Promise<TransferView> {
    const legs = await readWithRetry(this.readPolicy, this.log, () => repo.findTransferLegs(this.db, id, caller.tenant));
    const out = legs.find((l) => l.operation_type === 'TRANSFER_OUT');
    if (!out) throw new TransferNotFound();
    const incoming = legs.find((l) => l.operation_type === 'TRANSFER_IN');
    assert(out.status !== 'SUCCESS' || incoming, `transfer ${id} applied without its TRANSFER_IN leg`);
    const view = this.view(out, incoming?.balance_after ?? null);
    if (out.status === 'REJECTED') view.detail = refusal(out).message;
    return view;
  }

  private view(out: OperationRow, toBalance: string | null): TransferView {
    assert(out.operation_type === 'TRANSFER_OUT' && out.counterparty_wallet_id, `not a transfer's outgoing leg: ${out.operation_type}`);
    return {
      id: out.id,
      from_wallet_id: out.wallet_id,
      to_wallet_id: out.counterparty_wallet_id,
      amount: formatMoney(out.amount),
      status: out.status,
      from_balance: formatMoney(out.balance_after),
      to_balance: out.status === 'SUCCESS' && toBalance !== null ? formatMoney(toBalance) : null,
      created_at: out.created_at.toISOString(),
    };
  }

  private submissionOf(input: Command, result: ExecutionResult): TransferSubmission {
    if (result.kind !== 'done') {
      const status = result.kind === 'failed' ? 'FAILED' : 'PENDING';
      return {
        kind: 'answered', replayed: false, outcome: status,
        view: {
          id: input.id, from_wallet_id: input.walletId, to_wallet_id: input.counterpartyWalletId!, amount: normalizeAmount(input.amount),
          status, from_balance: null, to_balance: null, created_at: new Date().toISOString(), detail: result.detail,
        },
      };
    }
    const { outcome, row, counterpartyBalanceAfter } = result.applied;
    const replayed = outcome === 'REPLAY';
    const notTaken = walletRefusal(result.applied, input.amount);
    if (notTaken) return refused(notTaken);
    switch (outcome) {
      case 'NOT_FOUND':
        return refused(new WalletNotFound());
      case 'KEY_CONFLICT':
        return refused(new IdempotencyConflict());
      default:
        assert(row, `outcome ${outcome} without a row`);
        // The key was first used on this wallet by a deposit or withdrawal with the same hash:
        // cannot happen (the type is hashed), so anything else is a conflict.
        if (row.operation_type !== 'TRANSFER_OUT') return refused(new IdempotencyConflict());
        if (row.status === 'REJECTED') return refused(refusal(row, result.applied), replayed);
        return { kind: 'answered', view: this.view(row, counterpartyBalanceAfter), replayed, outcome: row.status };
    }
  }
}
