/**
 * Refusals of the access-control layer, as typed values with a code; src/plugins/error-handler.ts
 * maps them to 401 (+ WWW-Authenticate), 403 and 429 (+ Retry-After). A 401 never says which
 * part of a key was wrong.
 */
export type AuthErrorCode = 'unauthenticated' | 'forbidden' | 'rate_limited';

export abstract class AuthError extends Error {
  abstract readonly code: AuthErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class Unauthenticated extends AuthError {
  readonly code = 'unauthenticated';
  /** Whether a key was presented at all (RFC 6750: error="invalid_token" only then). */
  constructor(readonly presented: boolean) {
    super(presented ? 'Invalid or expired API key' : 'Missing API key: send Authorization: Bearer <key>');
  }
}

export class Forbidden extends AuthError {
  readonly code = 'forbidden';
  constructor(readonly scope: string) {
    super(`This API key lacks the scope ${scope}`);
  }
}

/** Over the key's request rate, or (before any lookup) over the client address's failed authentications. */
export class RateLimited extends AuthError {
  readonly code = 'rate_limited';
  constructor(readonly retryAfterSeconds: number, readonly limit: 'key' | 'address' = 'key') {
    super(limit === 'key' ? 'Rate limit exceeded for this API key, retry after Retry-After seconds'
      : 'Too many failed authentications from this address, retry after Retry-After seconds');
  }
}
