/**
 * npm run keys -- <command>: API keys and tenants, as the schema owner (MIGRATION_DATABASE_URL, or
 * DATABASE_URL, or the embedded PostgreSQL under .data/ — the one a running `npm start` uses, or
 * started for the purpose). Every change is written to the api_key_audit table with who asked.
 *
 *   create --tenant <name> --scopes wallets:read,wallets:write[,admin] [--expires-in 90d] [--description text] [--json]
 *   create --operator [--tenant <name>] [--scopes operator,...] [--expires-in 90d] [--description text] [--json]
 *   list [--tenant <name>] [--json]
 *   revoke <key id> [--json]
 *   rotate <key id> [--overlap 24h] [--expires-in 90d] [--json]
 *   limits --tenant <name> [--rps N|none] [--key-rps N|none] [--wallets N|none] [--json]
 *
 * A key is printed once, at create/rotate; only its SHA-256 is stored. Revocation and expiry reach
 * every app process within KEY_CACHE_TTL_MS (default 5 s).
 */
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { isKeyId } from '../src/auth/api-key.js';
import { createKey, KeyNotFound, listKeys, OperatorScopeRefused, operatorTenant, revokeKey, rotateKey } from '../src/auth/key-store.js';
import { listTenantLimits, setTenantLimits, type TenantLimitsListing, UnknownTenant } from '../src/auth/tenant-limits-store.js';
import { OPERATOR_SCOPE, parseScopes, SCOPE_DESCRIPTIONS, SCOPES } from '../src/auth/scopes.js';
import { ownerPool, scriptConfig } from './owner-database.js';

const usage = `usage: npm run keys -- <command>
  create --tenant <name> --scopes <scope,...> [--expires-in 90d] [--description <text>] [--json]
  create --operator [--tenant <name>] [--scopes operator,...] [...]
         a key of the operator tenant with the operator scope (/metrics, /dashboard/data). The operator
         tenant is the one tenant whose keys may hold it: the first --operator makes --tenant (default
         "operator") it, unless the first npm start already made "default" it
  list   [--tenant <name>] [--json]
  revoke <key id> [--json]
  rotate <key id> [--overlap 24h] [--expires-in 90d] [--json]
  limits --tenant <name> [--rps N|none] [--key-rps N|none] [--wallets N|none] [--json]
         the tenant's quotas, held across every app process: requests per second over all its keys
         (--rps) and per key (--key-rps), and wallets it may hold (--wallets); beyond them 429
         (rates) or 403 (wallets). "none" removes one; without any, shows them. \`list\` shows them too
scopes: ${SCOPES.map((s) => `${s} (${SCOPE_DESCRIPTIONS[s]})`).join('; ')}
durations: <n>s, <n>m, <n>h or <n>d. Database: MIGRATION_DATABASE_URL or DATABASE_URL (schema owner), else .data/.`;

class UsageError extends Error {}

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDurationMs(text: string, what: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match) throw new UsageError(`${what} must look like 30s, 15m, 24h or 90d (got ${JSON.stringify(text)})`);
  return Number(match[1]) * units[match[2]!]!;
}

const tenantPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Who asked, for the audit: KEYS_ACTOR if set (a CI job, an operator's name), else user@host. */
function actor(): string {
  return process.env.KEYS_ACTOR || `${userInfo().username}@${hostname()}`;
}

function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

/** --rps 100, --wallets 0, or none (remove); undefined when not given. */
function limitArg(text: string | undefined, what: string, min: number): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > 2_147_483_647) {
    throw new UsageError(`${what} must be a whole number from ${min} (or none), got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function describeLimits(l: TenantLimitsListing): string {
  return `${l.requests_per_second ?? 'unlimited'} requests/s, ${l.key_requests_per_second ?? 'unlimited'} per key, ` +
    `wallets ${l.wallets_max === null ? 'unlimited' : `${l.wallets_used} of ${l.wallets_max}`}`;
}

async function run(pool: pg.Pool, argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' }, scopes: { type: 'string' }, 'expires-in': { type: 'string' },
      description: { type: 'string' }, overlap: { type: 'string' }, json: { type: 'boolean', default: false },
      operator: { type: 'boolean', default: false },
      rps: { type: 'string' }, 'key-rps': { type: 'string' }, wallets: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  const json = values.json ?? false;
  const expiresAt = values['expires-in'] === undefined ? null : new Date(Date.now() + parseDurationMs(values['expires-in'], '--expires-in'));
  const keyIdArg = (): string => {
    const id = rest[0];
    if (id === undefined || !isKeyId(id)) throw new UsageError(`${command} needs a key id (16 hex digits, as \`list\` shows)`);
    return id;
  };
  switch (command) {
    case 'create': {
      const operator = values.operator ?? false;
      const tenant = values.tenant ?? (operator ? (await operatorTenant(pool)) ?? 'operator' : undefined);
      if (!tenant || !tenantPattern.test(tenant)) throw new UsageError('--tenant <name> is required: lowercase letters, digits, - and _ (max 63)');
      const parsed = parseScopes(values.scopes ?? (operator ? OPERATOR_SCOPE : ''));
      if ('unknown' in parsed) throw new UsageError(`--scopes: unknown or missing scope(s) ${parsed.unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
      const scopes = operator && !parsed.scopes.includes(OPERATOR_SCOPE) ? [...parsed.scopes, OPERATOR_SCOPE] : parsed.scopes;
      const created = await createKey(pool, { tenant, scopes, expiresAt, description: values.description ?? null, actor: actor(),
        designateOperator: operator });
      print(json, created, `key ${created.key_id} for tenant ${created.tenant} (${created.scopes.join(', ')}), ` +
        `expires ${created.expires_at ?? 'never'}. Shown once, store it now:\n${created.key}`);
      return;
    }
    case 'list': {
      const keys = await listKeys(pool, values.tenant);
      const limits = new Map((await listTenantLimits(pool, values.tenant)).map((l) => [l.tenant, l]));
      const listed = keys.map((k) => ({ ...k, tenant_limits: limits.get(k.tenant) ?? null }));
      print(json, listed, (keys.length === 0 ? 'no keys' : keys.map((k) =>
        `${k.key_id}  ${k.tenant.padEnd(16)} ${k.state.padEnd(8)} ${k.scopes.join(',').padEnd(34)} ` +
        `created ${k.created_at}  expires ${k.expires_at ?? 'never'}  last used ${k.last_used_at ?? 'never'}` +
        (k.description ? `  "${k.description}"` : '')).join('\n')) +
        [...limits.values()].map((l) => `\nlimits of ${l.tenant}: ${describeLimits(l)}`).join(''));
      return;
    }
    case 'limits': {
      const tenant = values.tenant;
      if (!tenant || !tenantPattern.test(tenant)) throw new UsageError('limits needs --tenant <name>');
      const change = {
        requestsPerSecond: limitArg(values.rps, '--rps', 1),
        keyRequestsPerSecond: limitArg(values['key-rps'], '--key-rps', 1),
        walletsMax: limitArg(values.wallets, '--wallets', 0),
      };
      const unchanged = Object.values(change).every((v) => v === undefined);
      const limits = unchanged ? (await listTenantLimits(pool, tenant))[0] : await setTenantLimits(pool, tenant, change, actor());
      print(json, limits ?? null, limits ? `limits of ${tenant}: ${describeLimits(limits)}` : `no limits for ${tenant}`);
      return;
    }
    case 'revoke': {
      const revoked = await revokeKey(pool, keyIdArg(), actor());
      print(json, revoked, `revoked ${revoked.key_id} at ${revoked.revoked_at} (refused by every app process within KEY_CACHE_TTL_MS, default 5 s)`);
      return;
    }
    case 'rotate': {
      const overlapMs = parseDurationMs(values.overlap ?? '24h', '--overlap');
      const rotated = await rotateKey(pool, keyIdArg(), overlapMs, actor(), expiresAt);
      print(json, rotated, `new key ${rotated.key_id} replaces ${rotated.old_key_id}, which now expires at ${rotated.old_expires_at}. ` +
        `Shown once, store it now:\n${rotated.key}`);
      return;
    }
    default:
      throw new UsageError(command === undefined || values.help ? usage : `unknown command ${command}\n${usage}`);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return argv.length === 0 ? 2 : 0;
  }
  const config = scriptConfig();
  if (!config) return 2;
  const say = (message: string) => console.error(`[keys] ${message}`);
  const { pool, close } = await ownerPool(config, 2);
  try {
    await run(pool, argv);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof KeyNotFound || error instanceof OperatorScopeRefused || error instanceof UnknownTenant) {
      say(error.message);
      return error instanceof UsageError ? 2 : 1;
    }
    const code = (error as { code?: string }).code;
    if (code === '42P01') say('the database has no api_keys table yet: run `npm run migrate` (or `npm start`) first');
    else if (code === '42501') say('permission denied: keys are managed as the schema owner (MIGRATION_DATABASE_URL), not the app role');
    else say((error as Error).message);
    return 1;
  } finally {
    await close();
  }
}

process.exitCode = await main();
