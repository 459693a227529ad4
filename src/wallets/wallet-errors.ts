/** The errors a request can meet, as typed values. The error handler maps them to HTTP in one place. */

export abstract class DomainError extends Error {
  abstract readonly statusCode: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class WalletNotFound extends DomainError {
  readonly statusCode = 404;
  constructor() { super('Wallet not found'); }
}

export class OperationNotFound extends DomainError {
  readonly statusCode = 404;
  constructor() { super('Operation not found'); }
}

export class InsufficientFunds extends DomainError {
  readonly statusCode = 400;
  constructor(balance: string, requested: string) {
    super(`Insufficient funds: balance ${balance}, requested ${requested}`);
  }
}

export class BalanceLimitExceeded extends DomainError {
  readonly statusCode = 400;
  constructor(balance: string, requested: string, limit: string) {
    super(`Balance limit exceeded: balance ${balance} plus deposit ${requested} would exceed the maximum balance ${limit}`);
  }
}

/**
 * The refusal a rejected operation stands for (fresh or stored), judged on `balance`:
 * a withdrawal above it, or a deposit past the maximum balance.
 */
export function refusalFor(type: 'DEPOSIT' | 'WITHDRAW', balance: string, amount: string, limit: string): DomainError {
  return type === 'WITHDRAW' ? new InsufficientFunds(balance, amount) : new BalanceLimitExceeded(balance, amount, limit);
}

export class IdempotencyConflict extends DomainError {
  readonly statusCode = 422;
  constructor() {
    super('Idempotency-Key was already used for a different request on this wallet; use a new key for a new operation');
  }
}

/** The database could not be reached within the request's time budget; nothing was changed. */
export class DatabaseUnavailable extends DomainError {
  readonly statusCode = 503;
  constructor() { super('Database unavailable, please retry later'); }
}
