/** Holds: request and answer schemas. */
import { Type, type Static } from 'typebox';
import { HOLD_ANSWER_STATUSES, HOLD_STATUSES, type HoldAnswerStatus, type HoldStatus } from '../ledger/names.js';
import { Amount, idempotencyKeyHeaders, isoExample, Money, Uuid, walletIdExample } from '../ledger/ledger-schemas.js';

const holdIdExample = '2c7e9f4a-6b1d-4e3c-8a5f-9d0b1c2e3f4a';

export const HoldIdParams = Type.Object({ hold_id: Uuid('Hold id (UUID)', holdIdExample) });
export type HoldIdParams = Static<typeof HoldIdParams>;

/** The body of POST /wallets/{id}/holds; the expiry bound comes from the configuration (HOLD_EXPIRES_IN_SECONDS_MAX). */
export const HoldBody = (expiresInSecondsDefault: number, expiresInSecondsMax: number) => Type.Object({
  amount: Amount,
  expires_in_seconds: Type.Optional(Type.Integer({
    minimum: 1, maximum: expiresInSecondsMax,
    description: `Seconds until the hold lapses and its amount is released (1-${expiresInSecondsMax}; default ` +
      `${expiresInSecondsDefault})`,
    examples: [3600],
  })),
}, { examples: [{ amount: '30.00', expires_in_seconds: 3600 }] });
export type HoldBody = Static<ReturnType<typeof HoldBody>>;

export const CaptureBody = Type.Object({
  amount: Type.Optional(Type.String({ ...Amount, description: 'At most the held amount (the rest is released); default: all of it' })),
}, { examples: [{ amount: '25.00' }, {}] });
export type CaptureBody = Static<typeof CaptureBody>;

export const HoldHeaders = idempotencyKeyHeaders('placing a hold: scoped to the wallet\'s holds. Capture / ' +
  'void: scoped to the hold; a retry with the key that closed the hold replays that answer (Idempotency-Replayed: true), ' +
  'any other capture or void of a closed hold is 409. The same key with a different body is 422.',
  'order-42-authorization');
export type HoldHeaders = Static<typeof HoldHeaders>;

const dateTimeOrNull = (description: string) => Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });

export const Hold = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The hold id; a capture\'s ledger row (CAPTURE) carries it as its id' }),
  wallet_id: Type.String({ format: 'uuid' }),
  amount: Type.String({ ...Money, description: 'The amount reserved' }),
  status: Type.Unsafe<HoldAnswerStatus>({
    type: 'string',
    enum: [...HOLD_ANSWER_STATUSES],
    description: 'HELD: reserved (counted out of available_balance). CAPTURED: captured_amount taken (a CAPTURE ledger row), ' +
      'the rest released. VOIDED: released. EXPIRED: released at expires_at. REJECTED: only on GET / replay of a refused ' +
      'hold that carried an Idempotency-Key. FAILED: certainly not applied. PENDING: the outcome could not be confirmed; ' +
      'GET the hold to learn it.',
  }),
  captured_amount: Type.Optional(Type.String({ ...Money, description: 'CAPTURED only: the amount taken' })),
  expires_at: dateTimeOrNull('When an uncaptured hold lapses; null only for FAILED / PENDING answers to a new hold'),
  created_at: Type.String({ format: 'date-time' }),
  closed_at: Type.Optional(Type.String({ format: 'date-time', description: 'When it was captured, voided or expired (for EXPIRED: expires_at)' })),
  available_balance: Type.Union([Money, Type.Null()], {
    description: 'The wallet\'s available balance (balance minus active holds) right after the hold\'s last change: its ' +
      'creation while HELD, its capture or void once closed; null when EXPIRED, FAILED or PENDING (GET the wallet for the current one)',
  }),
  detail: Type.Optional(Type.String()),
}, {
  examples: [
    { id: holdIdExample, wallet_id: walletIdExample, amount: '30.00', status: 'HELD', expires_at: '2026-11-25T13:00:00.000Z',
      created_at: isoExample, available_balance: '70.00' },
    { id: holdIdExample, wallet_id: walletIdExample, amount: '30.00', status: 'CAPTURED', captured_amount: '25.00',
      expires_at: '2026-11-25T13:00:00.000Z', created_at: isoExample, closed_at: '2026-11-25T12:10:00.000Z', available_balance: '75.00' },
  ],
});

export const HOLDS_LIMIT_MAX = 500;
export const HOLDS_LIMIT_DEFAULT = 50;

export const HoldsQuerystring = Type.Object({
  status: Type.Optional(Type.Unsafe<HoldStatus>({ type: 'string', enum: [...HOLD_STATUSES],
    description: 'Only holds in this state, as GET /holds/{id} shows it (a HELD hold past its expiry is EXPIRED)', examples: ['HELD'] })),
  limit: Type.Integer({ minimum: 1, maximum: HOLDS_LIMIT_MAX, default: HOLDS_LIMIT_DEFAULT, description: `Page size, 1-${HOLDS_LIMIT_MAX}`,
    examples: [HOLDS_LIMIT_DEFAULT] }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'Opaque: the next_cursor of the previous page',
    examples: ['eyJjIjoiMjAyNi0xMS0yNVQxMjowMDowMC4wMDBaIiwiaSI6IjJjN2U5ZjRhIn0'] })),
});
export type HoldsQuerystring = Static<typeof HoldsQuerystring>;

export const HoldPage = Type.Object({
  items: Type.Array(Hold),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' }),
}, { examples: [{ items: [{ id: holdIdExample, wallet_id: walletIdExample, amount: '30.00', status: 'HELD',
  expires_at: '2026-11-25T13:00:00.000Z', created_at: isoExample, available_balance: '70.00' }], next_cursor: null }] });
export type HoldPage = Static<typeof HoldPage>;
export type Hold = Static<typeof Hold>;
