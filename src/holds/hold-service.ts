/**
 * The story of a hold (two-phase: authorize, then capture or void), every step through the
 * group-commit engine with the other operations on the wallet (apply_operations_v4, which locks
 * the wallet, first releases its holds past expiry, then judges against balance - held):
 * - place: validate → (judge against the available balance → write the hold → raise held) → answer;
 * - capture: read the hold (its wallet, its amount) → (a CAPTURE ledger row whose id is the hold
 *   id, the hold released, in one transaction) → answer;
 * - void: read the hold → (release it) → answer.
 * The outcome rules are the operations' rules (docs/architecture.md): FAILED only when certainly
 * not applied, PENDING when unknown (GET the hold to learn it).
 */
import type { Kysely } from 'kysely';
import { assert } from '../lib/assert.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import type { Caller } from '../ledger/caller.js';
import { amountKey, atScale, decimalsOf, engineAmount, formatMoney, normalizeAmount, scaleOf, toUnits } from '../ledger/money.js';
import type { CommandBatcher } from '../ledger/command-batcher.js';
import type { HoldRequestType, HoldStatus } from '../ledger/names.js';
import { readWithRetry } from '../ledger/read-retry.js';
import { closeRequestHash, holdRequestHash } from '../ledger/request-hash.js';
import { enqueue, logSubmission, refused, type Submission } from '../ledger/submission.js';
import {
  amountScaleProblem, CaptureExceedsHold, HoldClosed, HoldNotFound, IdempotencyConflict, InsufficientAvailable, Overloaded,
  WalletNotFound, walletRefusal,
} from '../ledger/errors.js';
import type { AppliedCommand, Command } from '../ledger/apply-script.js';
import { walletExists } from '../ledger/ledger-reads.js';
import type { Database, HoldRow, HoldState } from '../ledger/tables.js';
import * as repo from './hold-repository.js';
import type { HoldPage, Hold as HoldView } from './hold-schemas.js';
import { decodeHoldsCursor, encodeHoldsCursor } from './hold-cursor.js';

export interface HoldLimits {
  expiresInSecondsDefault: number;
  expiresInSecondsMax: number;
}

export interface PlaceHoldRequest {
  caller: Caller;
  walletId: string;
  /** Decimal text that passed the money format. */
  amount: string;
  /** Validated by the route's schema (1 to the maximum); the default when absent. */
  expiresInSeconds: number | undefined;
  idempotencyKey: string | undefined;
}

export interface CloseHoldRequest {
  caller: Caller;
  holdId: string;
  /** CAPTURE only: the amount to take (default: all of it). */
  amount?: string | undefined;
  idempotencyKey: string | undefined;
}

export type HoldSubmission = Submission<HoldView>;

export interface ListHoldsRequest {
  caller: Caller;
  walletId: string;
  status: HoldStatus | undefined;
  limit: number;
  cursor: string | undefined;
}

/**
 * The answer for a hold as stored (or as the engine reports it). A HELD hold past its expiry is
 * shown as EXPIRED, closed at its expiry: it no longer reserves anything (the wallet's
 * available_balance does not count it), and the next batch on the wallet writes that state.
 */
export function holdView(hold: HoldState, available: string | null, now = new Date()): HoldView {
  const lapsed = hold.status === 'HELD' && hold.expires_at.getTime() <= now.getTime();
  const status: HoldStatus = lapsed ? 'EXPIRED' : hold.status;
  const closedAt = lapsed ? hold.expires_at : hold.closed_at;
  return {
    id: hold.id,
    wallet_id: hold.wallet_id,
    amount: formatMoney(hold.amount),
    status,
    ...(hold.captured_amount !== null ? { captured_amount: formatMoney(hold.captured_amount) } : {}),
    expires_at: hold.expires_at.toISOString(),
    created_at: hold.created_at.toISOString(),
    ...(closedAt && status !== 'REJECTED' ? { closed_at: closedAt.toISOString() } : {}),
    available_balance: status === 'EXPIRED' || available === null ? null : formatMoney(available),
  };
}

/** The answer to placing a hold, as it was when placed (status HELD, the available balance right after it). */
function placedView(hold: HoldState, available: string | null): HoldView {
  return {
    id: hold.id,
    wallet_id: hold.wallet_id,
    amount: formatMoney(hold.amount),
    status: 'HELD',
    expires_at: hold.expires_at.toISOString(),
    created_at: hold.created_at.toISOString(),
    available_balance: available === null ? null : formatMoney(available),
  };
}

/** What a stored hold's answer shows as available: after its creation while open, after its closing once closed. */
function storedAvailable(hold: HoldRow): string | null {
  return hold.status === 'HELD' || hold.status === 'REJECTED' ? hold.available_after : hold.closed_available_after;
}

export class HoldService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly batcher: Pick<CommandBatcher, 'submit'>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
    private readonly limits: HoldLimits,
  ) {}

  async placeHold(request: PlaceHoldRequest): Promise<HoldSubmission> {
    const amount = engineAmount(request.amount);
    const seconds = request.expiresInSeconds ?? this.limits.expiresInSecondsDefault;
    assert(Number.isInteger(seconds) && seconds >= 1 && seconds <= this.limits.expiresInSecondsMax, `expiry ${seconds} s out of bounds`);
    const input: Command = {
      id: uuidv7(), // the hold id, fixed before the first attempt: a retry finds it
      walletId: request.walletId.toLowerCase(),
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type: 'HOLD',
      amount,
      holdSeconds: seconds,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null : holdRequestHash(amountKey(request.amount), request.expiresInSeconds),
    };
    return this.submit(input, null);
  }

  async captureHold(request: CloseHoldRequest): Promise<HoldSubmission> {
    return this.close('CAPTURE', request);
  }

  async voidHold(request: CloseHoldRequest): Promise<HoldSubmission> {
    return this.close('VOID', request);
  }

  /** A wallet's holds, newest first, one keyset page at a time (404 for a wallet of another tenant). */
  async listHolds(request: ListHoldsRequest): Promise<HoldPage> {
    const before = request.cursor === undefined ? undefined : decodeHoldsCursor(request.cursor, request.walletId);
    const read = <T>(work: () => Promise<T>) => readWithRetry(this.readPolicy, this.log, work);
    const rows = await read(() => repo.findHoldsPage(this.db, { walletId: request.walletId, tenant: request.caller.tenant,
      status: request.status, before, rows: request.limit + 1 }));
    if (rows.length === 0 && !(await read(() => walletExists(this.db, request.walletId, request.caller.tenant)))) throw new WalletNotFound();
    const page = rows.slice(0, request.limit);
    const now = new Date();
    const last = page.at(-1);
    return {
      items: page.map((hold) => this.storedView(hold, now)),
      next_cursor: rows.length > request.limit && last ? encodeHoldsCursor(request.walletId, { createdUs: last.created_us, id: last.id }) : null,
    };
  }

  async getHold(caller: Caller, id: string): Promise<HoldView> {
    const hold = await readWithRetry(this.readPolicy, this.log, () => repo.findHold(this.db, id, caller.tenant));
    if (!hold) throw new HoldNotFound();
    return this.storedView(hold);
  }

  /** A stored hold as GET /holds/{id} shows it; a refusal says why. */
  private storedView(hold: HoldRow, now = new Date()): HoldView {
    const view = holdView(hold, storedAvailable(hold), now);
    if (hold.status === 'REJECTED') view.detail = new InsufficientAvailable(formatMoney(hold.available_after), view.amount).message;
    return view;
  }

  /**
   * Capture or void. The hold is read first for its wallet (the engine's queue and lock are per
   * wallet) and its amount (which never changes); its state is judged by the engine under the
   * wallet's lock, after the wallet's lapsed holds are released.
   */
  private async close(type: 'CAPTURE' | 'VOID', request: CloseHoldRequest): Promise<HoldSubmission> {
    const hold = await readWithRetry(this.readPolicy, this.log, () => repo.findHold(this.db, request.holdId, request.caller.tenant));
    if (!hold) return refused(new HoldNotFound());
    // The hold's amount has its wallet's scale: a capture amount is checked against it and written with it.
    const scale = scaleOf(hold.amount);
    if (type === 'CAPTURE' && request.amount !== undefined && decimalsOf(request.amount) > scale) return refused(amountScaleProblem(scale));
    const amount = type === 'CAPTURE' && request.amount !== undefined ? atScale(request.amount, scale) : formatMoney(hold.amount);
    if (toUnits(amount, scale) > toUnits(hold.amount, scale)) return refused(new CaptureExceedsHold(amount, formatMoney(hold.amount)));
    // Without a key nothing can replay: a hold closed for good is answered here, without a batch.
    if (request.idempotencyKey === undefined && hold.status !== 'HELD') {
      return refused(new HoldClosed(hold.status, hold.closed_at?.toISOString() ?? null));
    }
    const input: Command = {
      id: uuidv7(), // this request's id, stored as the hold's close_id: a retry finds its own capture
      walletId: hold.wallet_id,
      tenant: request.caller.tenant,
      actor: request.caller.actor,
      type,
      holdId: hold.id,
      amount,
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash: request.idempotencyKey === undefined ? null
        : closeRequestHash(type, hold.id, type === 'CAPTURE' ? amount : null),
    };
    return this.submit(input, hold);
  }

  private async submit(input: Command, known: HoldRow | null): Promise<HoldSubmission> {
    const submitted = await enqueue(this.batcher, input);
    if (submitted instanceof Overloaded) return refused(submitted);
    const { result } = submitted;
    let submission: HoldSubmission;
    if (result.kind !== 'done') {
      const status = result.kind === 'failed' ? 'FAILED' : 'PENDING';
      submission = { kind: 'answered', replayed: false, outcome: status, view: {
        id: known?.id ?? input.id, wallet_id: input.walletId, amount: known ? formatMoney(known.amount) : normalizeAmount(input.amount), status,
        expires_at: known?.expires_at.toISOString() ?? null, created_at: (known?.created_at ?? new Date()).toISOString(),
        available_balance: null, detail: result.detail,
      } };
    } else {
      submission = this.submissionOf(input, result.applied);
    }
    logSubmission(this.log, 'hold', submission, submitted, {
      holdId: known?.id ?? input.id, walletId: input.walletId, actor: input.actor, type: input.type, amount: input.amount,
      outcome: submission.kind === 'answered' ? submission.view.status : submission.error.name,
    });
    return submission;
  }

  private submissionOf(input: Command, applied: AppliedCommand): HoldSubmission {
    const type = input.type as HoldRequestType;
    const { outcome, hold } = applied;
    const replayed = outcome === 'REPLAY';
    const notTaken = walletRefusal(applied, input.amount);
    if (notTaken) return refused(notTaken);
    switch (outcome) {
      case 'NOT_FOUND': return refused(type === 'HOLD' ? new WalletNotFound() : new HoldNotFound());
      case 'HOLD_NOT_FOUND': return refused(new HoldNotFound());
      case 'KEY_CONFLICT': return refused(new IdempotencyConflict());
      default: break;
    }
    assert(hold, `outcome ${outcome} of a ${type} without its hold`);
    const available = applied.available ?? null;
    switch (outcome) {
      case 'HOLD_CLOSED': return refused(new HoldClosed(hold.status, hold.closed_at?.toISOString() ?? null));
      case 'CAPTURE_EXCEEDS': return refused(new CaptureExceedsHold(input.amount, formatMoney(hold.amount)));
      default: break;
    }
    if (hold.status === 'REJECTED') {
      return refused(new InsufficientAvailable(formatMoney(available ?? '0'), formatMoney(hold.amount),
        outcome === 'REJECTED_FUNDS' ? applied.limit ?? null : null), replayed);
    }
    // Placing: a replay (or a retry finding its own hold) repeats the first answer, as operations
    // do, whatever became of the hold since; GET /holds/{id} tells its state now.
    if (type === 'HOLD') return { kind: 'answered', view: placedView(hold, available), replayed, outcome: 'SUCCESS' };
    return { kind: 'answered', view: holdView(hold, available), replayed, outcome: 'SUCCESS' };
  }
}
