/**
 * The errors a request can meet, as typed values: one module, no HTTP. Each carries a code; the
 * error handler (src/plugins/error-handler.ts) is the only place that maps codes to status codes.
 * The detail texts clients see live here, with the errors they describe.
 */
import { DEFAULT_SCALE, fromUnits, scaleOf, toUnits } from './money.js';
import type { LedgerType, RequestOutcome } from './names.js';

export const DOMAIN_ERROR_CODES = [
  'wallet_not_found', 'operation_not_found', 'transfer_not_found', 'insufficient_funds', 'balance_limit_exceeded',
  'idempotency_conflict', 'invalid_input', 'database_unavailable', 'overloaded', 'already_reversed', 'not_reversible',
  'hold_not_found', 'hold_closed', 'capture_exceeds_hold',
  'webhook_not_found', 'wallet_quota_reached', 'wallet_not_active', 'currency_mismatch', 'external_id_taken', 'wallet_status_conflict',
  'asset_conflict',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  /** How a deposit/withdraw request that ends with this error is counted. */
  abstract readonly outcome: RequestOutcome;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class WalletNotFound extends DomainError {
  readonly code = 'wallet_not_found';
  readonly outcome = 'NOT_FOUND';
  constructor() { super('Wallet not found'); }
}

export class OperationNotFound extends DomainError {
  readonly code = 'operation_not_found';
  readonly outcome = 'NOT_FOUND';
  constructor() { super('Operation not found'); }
}

export class TransferNotFound extends DomainError {
  readonly code = 'transfer_not_found';
  readonly outcome = 'NOT_FOUND';
  constructor() { super('Transfer not found'); }
}

export class WebhookNotFound extends DomainError {
  readonly code = 'webhook_not_found';
  readonly outcome = 'NOT_FOUND';
  constructor() { super('Webhook subscription not found'); }
}

export class InsufficientFunds extends DomainError {
  readonly code = 'insufficient_funds';
  readonly outcome = 'REJECTED';
  /**
   * `held`: what the wallet had on hold when refused (null or 0: nothing, and the text stays as before holds).
   * `minBalance`: the wallet's min_balance when it is not 0 (an overdraft or a reserve), named in the text.
   */
  constructor(balance: string, requested: string, held: string | null = null, minBalance: string | null = null) {
    const scale = scaleOf(balance);
    const limit = minBalance === null || toUnits(minBalance, scaleOf(minBalance)) === 0n ? '' : `, min_balance ${minBalance}`;
    super(held === null || toUnits(held, scaleOf(held)) === 0n
      ? `Insufficient funds: balance ${balance}, requested ${requested}${limit}`
      : `Insufficient funds: available ${fromUnits(toUnits(balance, scale) - toUnits(held, scale), scale)} (balance ${balance}, held ${held}), requested ${requested}${limit}`);
  }
}

/** A hold the available balance cannot cover (the balance and held amount are not restated). */
export class InsufficientAvailable extends DomainError {
  readonly code = 'insufficient_funds';
  readonly outcome = 'REJECTED';
  constructor(available: string, requested: string, minBalance: string | null = null) {
    const limit = minBalance === null || toUnits(minBalance, scaleOf(minBalance)) === 0n ? '' : `, min_balance ${minBalance}`;
    super(`Insufficient funds: available ${available}, requested ${requested}${limit}`);
  }
}

export class HoldNotFound extends DomainError {
  readonly code = 'hold_not_found';
  readonly outcome = 'NOT_FOUND';
  constructor() { super('Hold not found'); }
}

/** Capture or void of a hold that is no longer HELD (and not a replay of the request that closed it). */
export class HoldClosed extends DomainError {
  readonly code = 'hold_closed';
  readonly outcome = 'REJECTED';
  constructor(status: string, closedAt: string | null) {
    const when = closedAt === null ? '' : ` at ${closedAt}`;
    const what = status === 'EXPIRED' ? `The hold expired${when}` : status === 'REJECTED' ? 'The hold was refused (never held)'
      : `The hold is already ${status}${when}`;
    super(`${what}; only a HELD hold can be captured or voided (status ${status}). Send the same Idempotency-Key to replay ` +
      'the request that closed it');
  }
}

export class CaptureExceedsHold extends DomainError {
  readonly code = 'capture_exceeds_hold';
  readonly outcome = 'REJECTED';
  constructor(requested: string, held: string) {
    super(`Capture amount ${requested} exceeds the held amount ${held}`);
  }
}

export class BalanceLimitExceeded extends DomainError {
  readonly code = 'balance_limit_exceeded';
  readonly outcome = 'REJECTED';
  constructor(balance: string, requested: string, limit: string) {
    super(`Balance limit exceeded: balance ${balance} plus deposit ${requested} would exceed the maximum balance ${limit}`);
  }
}

/** A transfer that would take its target past the maximum balance (the target's balance is not shown). */
export class TargetBalanceLimitExceeded extends DomainError {
  readonly code = 'balance_limit_exceeded';
  readonly outcome = 'REJECTED';
  constructor(requested: string, limit: string) {
    super(`Balance limit exceeded: a transfer of ${requested} would take the target wallet past the maximum balance ${limit}`);
  }
}

/** The reversal of a transfer its target cannot pay back (the target's balance is not shown). */
export class TargetInsufficientFunds extends DomainError {
  readonly code = 'insufficient_funds';
  readonly outcome = 'REJECTED';
  constructor(requested: string) {
    super(`Insufficient funds: the target wallet cannot pay back ${requested}`);
  }
}

/** An operation or transfer already reversed (at most one reversal per original). */
export class AlreadyReversed extends DomainError {
  readonly code = 'already_reversed';
  readonly outcome = 'REJECTED';
  constructor(what: 'operation' | 'transfer', reversalId: string) {
    super(`The ${what} was already reversed by ${reversalId}; send the same Idempotency-Key to replay a reversal`);
  }
}

/** Not something a reversal can undo: a refusal, a reversal, or a transfer leg reversed as an operation. */
export class NotReversible extends DomainError {
  readonly code = 'not_reversible';
  readonly outcome = 'REJECTED';
}

/**
 * The refusal a rejected operation stands for (fresh or stored), judged on `balance` (the
 * source's, for a transfer): a withdrawal or transfer above it, a deposit past the maximum
 * balance, or a transfer the source could pay but its target could not take (the only other
 * reason apply_operations_v4 refuses one). Debits are judged against balance - held: `held`
 * (stored on the refused row) is what was on hold then. A refused reversal: taking a deposit back needs the
 * funds, giving a withdrawal back must fit under the limit, and a transfer's target must be able
 * to pay it back (`twoWallets`; the source passing the maximum balance is not told apart).
 */
export function refusalFor(type: LedgerType, balance: string, amount: string, limit: string, twoWallets = false,
  held: string | null = null, minBalance: string | null = null): DomainError {
  switch (type) {
    case 'DEPOSIT': return new BalanceLimitExceeded(balance, amount, limit);
    case 'TRANSFER_OUT':
      // `held` is stored only on refusals for funds, so an amount the source could pay is the target's limit
      return minBalance !== null || units(amount) > units(balance) - units(held ?? '0') - units(minBalance ?? '0')
        ? new InsufficientFunds(balance, amount, held, minBalance) : new TargetBalanceLimitExceeded(amount, limit);
    case 'REVERSAL_IN':
      return twoWallets ? new TargetInsufficientFunds(amount) : new BalanceLimitExceeded(balance, amount, limit);
    default: return new InsufficientFunds(balance, amount, held, minBalance);
  }
}

/**
 * The refusals apply_operations_v5 makes for a wallet's scale, currency or status (nothing stored),
 * or undefined for any other outcome.
 */
export function walletRefusal(applied: { outcome: string; scale?: number | null }, amount?: string): DomainError | undefined {
  switch (applied.outcome) {
    // An unknown wallet's amount is judged at the default scale, as the edge did before currencies:
    // "1.001" stays a 422 before it is a 404.
    case 'NOT_FOUND': return amount !== undefined && scaleOf(amount) > DEFAULT_SCALE ? amountScaleProblem(DEFAULT_SCALE) : undefined;
    case 'AMOUNT_SCALE': return amountScaleProblem(applied.scale ?? DEFAULT_SCALE);
    case 'CURRENCY_MISMATCH': return new CurrencyMismatch();
    case 'WALLET_FROZEN': return new WalletNotActive('FROZEN');
    case 'WALLET_CLOSED': return new WalletNotActive('CLOSED');
    default: return undefined;
  }
}

/** Compares amounts of one wallet: every stored value has its scale, so the widest of them is safe. */
const units = (value: string) => toUnits(value, 18);

/** A movement a FROZEN or CLOSED wallet does not take (nothing stored). */
export class WalletNotActive extends DomainError {
  readonly code = 'wallet_not_active';
  readonly outcome = 'REJECTED';
  constructor(status: 'FROZEN' | 'CLOSED') { super(status === 'FROZEN' ? 'Wallet is frozen' : 'Wallet is closed'); }
}

/** A transfer (or the reversal or capture of one) between wallets of different currencies. */
export class CurrencyMismatch extends DomainError {
  readonly code = 'currency_mismatch';
  readonly outcome = 'INVALID';
  constructor() {
    super('The wallets hold different currencies; a transfer moves one currency between wallets of that currency');
  }
}

/** More decimals than the wallet's scale: pydantic's 422, as the edge answers it for two decimals. */
export function amountScaleProblem(scale: number): InvalidInput {
  return new InvalidInput([{ loc: ['body', 'amount'], msg: `Decimal input should have no more than ${scale} decimal places`,
    type: 'decimal_max_places' }]);
}

/** A second wallet with the tenant's external_id: the detail names the existing wallet. */
export class ExternalIdTaken extends DomainError {
  readonly code = 'external_id_taken';
  readonly outcome = 'INVALID';
  constructor(readonly walletId: string) {
    super(`A wallet with this external_id already exists: ${walletId}`);
  }
}

/** A status change the wallet's state does not allow: CLOSED with money or holds left, or leaving CLOSED. */
export class WalletStatusConflict extends DomainError {
  readonly code = 'wallet_status_conflict';
  readonly outcome = 'REJECTED';
}

/** An asset code taken by another scale, or by an ISO 4217 currency. */
export class AssetConflict extends DomainError {
  readonly code = 'asset_conflict';
  readonly outcome = 'INVALID';
}

export class IdempotencyConflict extends DomainError {
  readonly code = 'idempotency_conflict';
  readonly outcome = 'KEY_CONFLICT';
  constructor() {
    super('Idempotency-Key was already used for a different request on this wallet; use a new key for a new operation');
  }
}

/** One problem with a request, in FastAPI's terms: where (loc), what (msg), which kind (type). */
export interface InputProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A request the domain cannot act on (a bad cursor, an inverted time range): every problem listed. */
export class InvalidInput extends DomainError {
  readonly code = 'invalid_input';
  readonly outcome = 'INVALID';
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((p) => `${p.loc.join('.')}: ${p.msg}`).join('; '));
  }
}

/** The database could not be reached within the request's time budget; nothing was changed. */
export class DatabaseUnavailable extends DomainError {
  readonly code = 'database_unavailable';
  readonly outcome = 'UNAVAILABLE';
  constructor() { super('Database unavailable, please retry later'); }
}

/** The tenant holds as many wallets as its quota allows (tenant_limits.wallets_max). */
export class WalletQuotaReached extends DomainError {
  readonly code = 'wallet_quota_reached';
  readonly outcome = 'REJECTED';
  constructor(walletsMax: string) {
    super(`Wallet quota reached: this tenant may create at most ${walletsMax} wallets; ask the operator to raise it`);
  }
}

/** A queue bound was reached; the operation was not queued, so certainly not applied. */
export class Overloaded extends DomainError {
  readonly code = 'overloaded';
  readonly outcome = 'UNAVAILABLE';
  constructor(what: string) { super(`Service overloaded (${what}), please retry later`); }
}

/** Answer texts for operations that were not (or may not have been) applied. */
export const FAILED_DETAIL_UNAVAILABLE = 'Database unavailable; the operation was not applied, please retry';
export const FAILED_DETAIL_INTERNAL = 'Internal error; the operation was not applied';
export const PENDING_DETAIL = 'The database connection was lost while committing and the outcome could not be confirmed in time; ' +
  'GET the operation (or retry with the same Idempotency-Key) to learn the final outcome';
