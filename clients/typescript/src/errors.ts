/**
 * Typed errors for the service's non-2xx answers. Every answer carries FastAPI's `{"detail": ...}`:
 * a string, or for 422 validation errors a list of `{loc, msg, type}`.
 */

/** One FastAPI validation problem: where (`["body", "amount"]`), what, and its kind. */
export interface ValidationProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type Detail = string | ValidationProblem[];

/** Any non-2xx answer. `detail` is the service's explanation; `requestId` names it in the service's log. */
export class WalletApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: Detail,
    readonly requestId: string | null,
  ) {
    super(`${status}: ${typeof detail === 'string' ? detail : detail.map((p) => `${p.loc.join('.')}: ${p.msg}`).join('; ')}`);
    this.name = new.target.name;
  }
}

/** 400: refused by a money rule (insufficient funds, balance limit); nothing changed. */
export class RefusedError extends WalletApiError {}
/** 401: no key, or an unknown, expired or revoked one. */
export class UnauthorizedError extends WalletApiError {}
/** 403: the key lacks the scope the endpoint needs. */
export class ForbiddenError extends WalletApiError {}
/** 404: no such resource in the caller's tenant. */
export class NotFoundError extends WalletApiError {}
/** 409: the resource is in a state that forbids it (a hold already closed, an operation already reversed). */
export class ConflictError extends WalletApiError {}
/** 422: invalid input (`problems` lists FastAPI's details), or an Idempotency-Key reused with another body. */
export class ValidationError extends WalletApiError {
  get problems(): ValidationProblem[] { return typeof this.detail === 'string' ? [] : this.detail; }
}
/** 429: the key's rate limit; try again after `retryAfterSeconds`. */
export class RateLimitedError extends WalletApiError {
  constructor(status: number, detail: Detail, requestId: string | null, readonly retryAfterSeconds: number | null) {
    super(status, detail, requestId);
  }
}
/** 503 (after the client's own retries): the service or its database is unavailable; nothing applied. */
export class UnavailableError extends WalletApiError {
  constructor(status: number, detail: Detail, requestId: string | null, readonly retryAfterSeconds: number | null) {
    super(status, detail, requestId);
  }
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The typed error for a non-2xx `response` whose parsed body is `body`. */
export function errorFor(response: Response, body: unknown): WalletApiError {
  const raw = (body as { detail?: unknown } | undefined)?.detail;
  const detail: Detail = typeof raw === 'string' || Array.isArray(raw) ? raw as Detail
    : typeof body === 'string' && body !== '' ? body : response.statusText || `HTTP ${response.status}`;
  const requestId = response.headers.get('x-request-id');
  const status = response.status;
  switch (status) {
    case 400: return new RefusedError(status, detail, requestId);
    case 401: return new UnauthorizedError(status, detail, requestId);
    case 403: return new ForbiddenError(status, detail, requestId);
    case 404: return new NotFoundError(status, detail, requestId);
    case 409: return new ConflictError(status, detail, requestId);
    case 422: return new ValidationError(status, detail, requestId);
    case 429: return new RateLimitedError(status, detail, requestId, retryAfterSeconds(response.headers));
    case 503: return new UnavailableError(status, detail, requestId, retryAfterSeconds(response.headers));
    default: return new WalletApiError(status, detail, requestId);
  }
}
