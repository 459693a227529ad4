/** Transfers: request and answer schemas. */
import { Type, type Static } from 'typebox';
import { OPERATION_STATUSES, type OperationStatus } from '../ledger/names.js';
import { Amount, idempotencyKeyHeaders, isoExample, Money, Uuid, walletIdExample } from '../ledger/ledger-schemas.js';

const transferIdExample = '5d0c2a8f-3b7e-4d1a-9f6c-2e8b7a4d3c1f';
const targetWalletIdExample = '7a9d3e2b-4c1f-4b8a-8e6d-5f0a1b2c3d4e';

export const TransferBody = Type.Object({
  from_wallet_id: Uuid('Source wallet id (UUID)', walletIdExample),
  to_wallet_id: Uuid('Target wallet id (UUID); must differ from from_wallet_id', targetWalletIdExample),
  amount: Amount,
}, {
  examples: [{ from_wallet_id: walletIdExample, to_wallet_id: targetWalletIdExample, amount: '25.00' }],
});
export type TransferBody = Static<typeof TransferBody>;

export const TransferHeaders = idempotencyKeyHeaders('scoped to the source wallet (shared with its deposits ' +
  'and withdrawals). The same key with the same body returns the first outcome again (header Idempotency-Replayed: ' +
  'true) and is never applied twice; the same key with a different body is refused with 422.',
  'invoice-1001-settlement');
export type TransferHeaders = Static<typeof TransferHeaders>;

export const TransferIdParams = Type.Object({ transfer_id: Uuid('Transfer id (UUID)', transferIdExample) });

export type TransferIdParams = Static<typeof TransferIdParams>;

export const Transfer = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The transfer id, also the id of both ledger legs' }),
  from_wallet_id: Type.String({ format: 'uuid' }),
  to_wallet_id: Type.String({ format: 'uuid' }),
  amount: Money,
  status: Type.Unsafe<OperationStatus>({
    type: 'string',
    enum: [...OPERATION_STATUSES],
    description: 'SUCCESS: both legs applied in one transaction. FAILED: certainly not applied. PENDING: the outcome ' +
      'could not be confirmed; GET the transfer to learn it. REJECTED appears only on GET of a refused transfer that ' +
      'carried an Idempotency-Key.',
  }),
  reverses_id: Type.Optional(Type.String({ format: 'uuid',
    description: 'For the reversal of a transfer: the transfer it reverses (money then flows from its target back to its source)' })),
  from_balance: Type.Union([Money, Type.Null()], { description: 'Source balance right after the transfer; null when FAILED or PENDING' }),
  to_balance: Type.Union([Money, Type.Null()], { description: 'Target balance right after the transfer; null unless SUCCESS' }),
  created_at: Type.String({ format: 'date-time' }),
  detail: Type.Optional(Type.String()),
}, {
  examples: [
    { id: transferIdExample, from_wallet_id: walletIdExample, to_wallet_id: targetWalletIdExample, amount: '25.00',
      status: 'SUCCESS', from_balance: '75.00', to_balance: '25.00', created_at: isoExample },
    { id: transferIdExample, from_wallet_id: walletIdExample, to_wallet_id: targetWalletIdExample, amount: '25.00',
      status: 'PENDING', from_balance: null, to_balance: null, created_at: isoExample,
      detail: 'The database connection was lost while committing and the outcome could not be confirmed in time; ' +
        'GET the operation (or retry with the same Idempotency-Key) to learn the final outcome' },
  ],
});
export type Transfer = Static<typeof Transfer>;

