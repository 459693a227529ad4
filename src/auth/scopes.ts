/** The scopes a key may hold, defined once; changesets 009 and 020 check the same list in the database. */
export const SCOPES = ['wallets:read', 'wallets:write', 'admin', 'operator'] as const;
export type Scope = (typeof SCOPES)[number];

/** What any tenant's key may hold; `operator` is for keys of the operator tenant only (changeset 020). */
export const TENANT_SCOPES = ['wallets:read', 'wallets:write', 'admin'] as const satisfies readonly Scope[];

/** The scope of the service's own operational endpoints. */
export const OPERATOR_SCOPE: Scope = 'operator';

/** What each scope allows, for `npm run keys`, OpenAPI and docs/access-control.md. */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'wallets:read': 'get wallets, operations and history',
  'wallets:write': 'create wallets and post operations',
  admin: "administer the key's own tenant (its webhooks)",
  operator: 'read the operational endpoints (/metrics, /dashboard/data); keys of the operator tenant only',
};

const known = new Set<string>(SCOPES);

export function isScope(value: string): value is Scope {
  return known.has(value);
}

/** "wallets:read,wallets:write" → the scopes, or the unknown names. */
export function parseScopes(text: string): { scopes: Scope[] } | { unknown: string[] } {
  const names = [...new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  const unknown = names.filter((n) => !isScope(n));
  if (unknown.length > 0 || names.length === 0) return { unknown: unknown.length > 0 ? unknown : ['(none)'] };
  return { scopes: names as Scope[] };
}
