/** A wallet's answer: validation, type and OpenAPI from one schema. */
import { Type, type Static } from 'typebox';
import { isoExample, Money, walletIdExample } from '../ledger/ledger-schemas.js';

export const Wallet = Type.Object({
  id: Type.String({ format: 'uuid' }),
  balance: Money,
  available_balance: Type.String({ ...Money, description: 'balance minus the amounts of active (HELD, unexpired) holds: what ' +
    'withdrawals, transfers and new holds may take' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}, {
  examples: [{ id: walletIdExample, balance: '100.00', available_balance: '70.00', created_at: isoExample, updated_at: isoExample }],
});
export type Wallet = Static<typeof Wallet>;

