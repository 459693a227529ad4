/** Wallets and assets: request and answer schemas (validation, types and OpenAPI from one source). */
import { Type, type Static } from 'typebox';
import { CURRENCY_CODE_PATTERN } from '../ledger/currencies.js';
import { isoExample, Money, walletIdExample } from '../ledger/ledger-schemas.js';
import { SCALE_MAX } from '../ledger/money.js';
import { WALLET_STATUSES, type WalletStatus as WalletStatusName } from '../ledger/names.js';

/** Metadata bounds (Stripe's). */
export const METADATA_KEYS_MAX = 50;
export const METADATA_KEY_LENGTH_MAX = 40;
export const METADATA_VALUE_LENGTH_MAX = 500;

export const CurrencyCode = Type.String({
  pattern: CURRENCY_CODE_PATTERN,
  description: 'An ISO 4217 code (its minor unit is the scale: JPY 0, USD 2, KWD 3) or an asset of the tenant (POST /api/v1/assets)',
  examples: ['USD'],
});

/** A bound of the balance: a signed decimal of the wallet's scale (checked against it by the service). */
const Bound = (description: string, example: string) => Type.String({
  pattern: `^-?\\d{1,16}(\\.\\d{1,${SCALE_MAX}})?$`,
  description,
  examples: [example],
});

const metadataDescription = `String keys (1-${METADATA_KEY_LENGTH_MAX} characters) to string values (at most ` +
  `${METADATA_VALUE_LENGTH_MAX} characters), at most ${METADATA_KEYS_MAX} keys`;

export const Metadata = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: METADATA_KEYS_MAX,
  propertyNames: { minLength: 1, maxLength: METADATA_KEY_LENGTH_MAX },
  additionalProperties: { type: 'string', maxLength: METADATA_VALUE_LENGTH_MAX },
  description: metadataDescription,
  examples: [{ user_id: '42', plan: 'gold' }],
});

export const ExternalId = Type.String({
  minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$',
  description: 'Your id for the wallet (1-255 printable ASCII characters), unique per tenant: a second wallet with it is 409, ' +
    'whose detail names the existing wallet',
  examples: ['user-42'],
});

export const WalletStatus = Type.Unsafe<WalletStatusName>({
  type: 'string', enum: [...WALLET_STATUSES],
  description: 'ACTIVE: every movement. FROZEN: credits and voids only (debits, new holds and captures: 400 "Wallet is frozen"). ' +
    'CLOSED: no movement (400 "Wallet is closed"); only with balance 0 and no active hold; stays readable and listed',
  examples: ['ACTIVE'],
});

export const CreateWalletBody = Type.Object({
  currency: Type.Optional(CurrencyCode),
  metadata: Type.Optional(Metadata),
  min_balance: Type.Optional(Bound('The lowest the available balance (balance minus active holds) may go: 0 by default; ' +
    'negative for an overdraft or credit line. At most the wallet\'s scale in decimals', '-100.00')),
  max_balance: Type.Optional(Bound('The highest the balance may go; default (and ceiling): the largest balance of the scale, ' +
    '9999999999999999 followed by `scale` nines after the point', '1000000.00')),
  external_id: Type.Optional(ExternalId),
}, {
  additionalProperties: false,
  examples: [{}, { currency: 'EUR', metadata: { user_id: '42' }, min_balance: '-100.00', external_id: 'user-42' }],
});
export type CreateWalletBody = Static<typeof CreateWalletBody>;

export const Wallet = Type.Object({
  id: Type.String({ format: 'uuid' }),
  balance: Money,
  available_balance: Type.String({ ...Money, description: 'balance minus the amounts of active (HELD, unexpired) holds: what ' +
    'withdrawals, transfers and new holds may take (down to min_balance)' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  currency: Type.String({ description: 'ISO 4217 code or tenant asset; fixed at creation', examples: ['USD'] }),
  scale: Type.Integer({ minimum: 0, maximum: SCALE_MAX, description: 'Decimals of every amount of the wallet', examples: [2] }),
  metadata: Type.Record(Type.String(), Type.String(), { description: `${metadataDescription}; {} when none` }),
  min_balance: Type.String({ ...Money, description: 'The lowest the available balance may go (negative: an overdraft)' }),
  max_balance: Type.String({ ...Money, description: 'The highest the balance may go' }),
  status: WalletStatus,
  external_id: Type.Union([Type.String(), Type.Null()], { description: 'Your id for the wallet, or null' }),
}, {
  examples: [{ id: walletIdExample, balance: '100.00', available_balance: '70.00', created_at: isoExample, updated_at: isoExample,
    currency: 'USD', scale: 2, metadata: { user_id: '42' }, min_balance: '0.00', max_balance: '9999999999999999.99', status: 'ACTIVE',
    external_id: 'user-42' }],
});
export type Wallet = Static<typeof Wallet>;

export const PatchWalletBody = Type.Object({
  metadata: Type.Optional(Type.Unsafe<Record<string, string | null>>({
    type: 'object',
    maxProperties: METADATA_KEYS_MAX,
    propertyNames: { minLength: 1, maxLength: METADATA_KEY_LENGTH_MAX },
    additionalProperties: { type: ['string', 'null'], maxLength: METADATA_VALUE_LENGTH_MAX },
    description: 'Merged into the wallet\'s metadata: a key set to "" or null is removed; the result keeps the limits ' +
      `(${METADATA_KEYS_MAX} keys)`,
    examples: [{ plan: 'platinum', trial: null }],
  })),
  min_balance: Type.Optional(Bound('The new min_balance, for movements after this change (history is never rewritten). ' +
    'Raising it above the available balance is allowed and blocks further debits until credits bring it back', '-50.00')),
  max_balance: Type.Optional(Bound('The new max_balance, for movements after this change', '5000.00')),
  status: Type.Optional(WalletStatus),
}, {
  additionalProperties: false,
  examples: [{ status: 'FROZEN' }, { metadata: { plan: 'platinum' }, min_balance: '-50.00' }],
});
export type PatchWalletBody = Static<typeof PatchWalletBody>;

export const AssetBody = Type.Object({
  code: Type.String({ pattern: CURRENCY_CODE_PATTERN, description: 'Not an ISO 4217 code', examples: ['POINTS'] }),
  scale: Type.Integer({ minimum: 0, maximum: SCALE_MAX, description: `Decimals (0-${SCALE_MAX}); never changes`, examples: [0] }),
}, { additionalProperties: false, examples: [{ code: 'POINTS', scale: 0 }] });
export type AssetBody = Static<typeof AssetBody>;

export const Asset = Type.Object({
  code: Type.String({ examples: ['POINTS'] }),
  scale: Type.Integer({ examples: [0] }),
  created_at: Type.String({ format: 'date-time' }),
}, { examples: [{ code: 'POINTS', scale: 0, created_at: isoExample }] });
export type Asset = Static<typeof Asset>;

export const AssetList = Type.Object({ items: Type.Array(Asset) }, { examples: [{ items: [{ code: 'POINTS', scale: 0, created_at: isoExample }] }] });
export type AssetList = Static<typeof AssetList>;

export const WALLETS_LIMIT_MAX = 100;
export const WALLETS_LIMIT_DEFAULT = 50;
/** `metadata[key]=value` query parameters: the key in brackets. */
export const METADATA_QUERY_KEY = new RegExp(`^metadata\\[([^\\]]{1,${METADATA_KEY_LENGTH_MAX}})\\]$`);

export const WalletsQuerystring = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: WALLETS_LIMIT_MAX, default: WALLETS_LIMIT_DEFAULT,
    description: `Page size, 1-${WALLETS_LIMIT_MAX}`, examples: [WALLETS_LIMIT_DEFAULT] }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Opaque: the next_cursor of the previous page',
    examples: ['eyJjIjoxNzY0NjAwMDAwMDAwMDAwLCJpIjoiMDE5YjAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAwIn0'] })),
  currency: Type.Optional(CurrencyCode),
  status: Type.Optional(WalletStatus),
  external_id: Type.Optional(ExternalId),
  created_after: Type.Optional(Type.String({ format: 'date-time', description: 'Only wallets created after this instant (exclusive)',
    examples: ['2026-11-25T00:00:00Z'] })),
  created_before: Type.Optional(Type.String({ format: 'date-time', description: 'Only wallets created before this instant (exclusive)',
    examples: ['2026-11-26T00:00:00Z'] })),
}, {
  // metadata[key]=value, exact match; several are ANDed
  patternProperties: { [`^metadata\\[[^\\]]{1,${METADATA_KEY_LENGTH_MAX}}\\]$`]: { type: 'string', maxLength: METADATA_VALUE_LENGTH_MAX } },
  description: `Filters; also metadata[key]=value (exact match, several ANDed; key 1-${METADATA_KEY_LENGTH_MAX} characters)`,
});
export type WalletsQuerystring = Static<typeof WalletsQuerystring> & Record<string, unknown>;

export const WalletPage = Type.Object({
  items: Type.Array(Wallet),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' }),
}, { examples: [{ items: [{ id: walletIdExample, balance: '100.00', available_balance: '100.00', created_at: isoExample,
  updated_at: isoExample, currency: 'USD', scale: 2, metadata: { user_id: '42' }, min_balance: '0.00',
  max_balance: '9999999999999999.99', status: 'ACTIVE', external_id: 'user-42' }], next_cursor: null }] });
export type WalletPage = Static<typeof WalletPage>;
