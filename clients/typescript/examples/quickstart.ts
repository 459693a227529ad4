/**
 * Create two wallets, deposit, transfer, and read the history back.
 * WALLET_URL (default http://localhost:8000) and WALLET_API_KEY (a `wsk_...` key with
 * wallets:read and wallets:write; omit it for a service in the open mode).
 * Run: npm run build && npm run example (in clients/typescript).
 */
import { createWalletClient, RefusedError } from '@wallet-service/client';

const client = createWalletClient({
  baseUrl: process.env.WALLET_URL ?? 'http://localhost:8000',
  apiKey: process.env.WALLET_API_KEY || undefined,
});

const alice = await client.wallets.create();
const bob = await client.wallets.create();

// A PENDING answer (the outcome could not be confirmed) is resolved by its GET.
const deposit = await client.resolve(await client.wallets.operate(alice.id, { operation_type: 'DEPOSIT', amount: '100.00' }));
console.log(`deposit ${deposit?.amount} to alice: ${deposit?.status}`);

const transfer = await client.resolve(await client.transfers.create({ from_wallet_id: alice.id, to_wallet_id: bob.id, amount: '30.00' }));
console.log(`transfer ${transfer?.amount} alice -> bob: ${transfer?.status}`);

try {
  await client.wallets.operate(bob.id, { operation_type: 'WITHDRAW', amount: '1000.00' });
} catch (error) {
  if (!(error instanceof RefusedError)) throw error;
  console.log(`withdraw 1000.00 from bob refused: ${String(error.detail)}`);
}

for await (const entry of client.wallets.history(alice.id)) {
  console.log(`alice history: ${entry.operation_type} ${entry.amount} -> balance ${entry.balance}`);
}
const [a, b] = await Promise.all([client.wallets.get(alice.id), client.wallets.get(bob.id)]);
console.log(`balances: alice ${a.balance}, bob ${b.balance}`);
