/**
 * Access control for every route, in one onRequest hook (before the body is read):
 *   no or bad key → 401, key without the route's scope → 403, key over its rate → 429,
 *   otherwise request.principal = the key's tenant, id and scopes.
 * Each route says what it needs in `config.auth` (a scope, or 'public'); a route that says nothing
 * needs `operator` (the scope only the operator tenant's keys hold), unless it is one of the documented open ones (health, readiness, docs), so a new
 * route is closed until someone opens it. The same onRoute hook adds the bearer scheme and the
 * 401/403/429 answers to the route's OpenAPI schema.
 * AUTH_REQUIRED=false: a route that OPEN_PRINCIPAL's scopes allow (the wallet contract: tenant
 * `default`, wallets:read and wallets:write) is served without a key, and any Authorization header
 * is ignored there, as before; every other route (webhooks, /metrics, /dashboard/data) still needs
 * a key with its scope, checked as above. The open mode opens the money contract, never the
 * configuration: an unauthenticated caller must not point webhooks anywhere (docs/access-control.md).
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { assert } from '../lib/assert.js';
import type { Caller } from '../ledger/caller.js';
import { Forbidden, RateLimited } from './auth-errors.js';
import type { Authenticator, Principal } from './authenticator.js';
import type { Scope } from './scopes.js';
import type { TenantQuotas } from './tenant-quotas.js';
import type { TokenBuckets } from './token-bucket.js';

export type AuthRequirement = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller needs for this route (src/auth/auth-plugin.ts); unset: operator, or open for health/docs. */
    auth?: AuthRequirement;
  }
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route; null on public ones. */
    principal: Principal | null;
  }
}

export const OPEN_TENANT = 'default';
export const OPEN_PRINCIPAL: Principal = Object.freeze({
  tenant: OPEN_TENANT, actor: null, scopes: new Set<Scope>(['wallets:read', 'wallets:write']),
});

/** Open without a key: orchestrators' probes and the API's own documentation. */
const PUBLIC_URLS = new Set(['/health', '/ready', '/openapi.json']);
const PUBLIC_PREFIXES = ['/docs'];

export const SECURITY_SCHEME = 'bearerAuth';

const detail = (description: string, example: string) =>
  Type.Object({ detail: Type.String() }, { description, examples: [{ detail: example }] });
const authResponses = {
  401: detail('Missing, malformed, unknown, expired or revoked API key (WWW-Authenticate: Bearer)', 'Invalid or expired API key'),
  403: detail('The API key lacks the scope this endpoint needs', 'This API key lacks the scope wallets:write'),
  429: detail('Rate limit of this API key, or of failed authentications from this address, exceeded (retry after Retry-After seconds)',
    'Rate limit exceeded for this API key, retry after Retry-After seconds'),
};

function requirementOf(route: RouteOptions): AuthRequirement {
  const declared = route.config?.auth;
  if (declared) return declared;
  if (PUBLIC_URLS.has(route.url) || PUBLIC_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`))) return 'public';
  return 'operator';
}

export interface AuthPluginOptions {
  authenticator: Authenticator;
  /** false: AUTH_REQUIRED=false, the open mode. */
  required: boolean;
  rateLimit: TokenBuckets;
  /** The tenants' shared request quotas (tenant_limits), checked after the key's own bucket. */
  quotas: TenantQuotas;
}

/** In the open mode, routes that need no key. */
function openWithoutKey(auth: AuthRequirement, required: boolean): boolean {
  return auth === 'public' || (!required && OPEN_PRINCIPAL.scopes.has(auth));
}

/** Register before any route (and before swagger, which reads the schemas added here). */
export function registerAuth(app: FastifyInstance, { authenticator, required, rateLimit, quotas }: AuthPluginOptions): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const auth = requirementOf(route);
    route.config = { ...route.config, auth };
    if (openWithoutKey(auth, required)) return;
    const schema = (route.schema ??= {});
    schema.security = [{ [SECURITY_SCHEME]: [] }];
    // In status order, so OpenAPI lists 200, 401, 403, 404, 422, 429, 503.
    const responses: Record<string, unknown> = { ...authResponses, ...(schema.response as object | undefined) };
    schema.response = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  });

  // Callback style, not async: with the key cached the whole check is synchronous, and an async
  // hook would cost every request a promise and a microtask turn (issue 12's profile).
  app.addHook('onRequest', (request, _reply, done) => {
    const auth = request.routeOptions.config?.auth;
    if (auth === undefined || auth === 'public') return done(); // public, or no route (404)
    if (openWithoutKey(auth, required)) {
      request.principal = OPEN_PRINCIPAL;
      return done();
    }
    let known: Principal | Promise<Principal>;
    try {
      known = authenticator.authenticateNow(request.headers.authorization, request.ip);
    } catch (error) {
      return done(error as Error);
    }
    if (known instanceof Promise) {
      known.then((principal) => admit(request, principal, auth, done), done);
    } else {
      admit(request, known, auth, done);
    }
  });

  function admit(request: FastifyRequest, principal: Principal, auth: Scope, done: (error?: Error) => void): void {
    if (!principal.scopes.has(auth)) return done(new Forbidden(auth));
    const taken = rateLimit.take(principal.actor ?? principal.tenant);
    if (!taken.ok) return done(new RateLimited(taken.retryAfterSeconds));
    request.principal = principal;
    const shared = quotas.take(principal);
    if (shared instanceof Promise) {
      shared.then((t) => done(t.ok ? undefined : new RateLimited(t.retryAfterSeconds)), done);
    } else {
      done(shared.ok ? undefined : new RateLimited(shared.retryAfterSeconds));
    }
  }

  app.addHook('onClose', async () => authenticator.close());
}

/** The caller of a route that requires a scope (the hook ran, so there is one). */
export function callerOf(request: FastifyRequest): Caller {
  assert(request.principal, `no principal on ${request.method} ${request.url}: does the route declare config.auth?`);
  return request.principal;
}
