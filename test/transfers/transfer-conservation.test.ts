/**
 * Conservation under load: random transfers among N wallets, mixed with deposits, withdrawals and
 * reversals of earlier answers (operations and transfers), hundreds in flight through two apps
 * (test/support/conservation.ts says what is checked afterwards).
 */
import { describe, it } from 'vitest';
import { useConservation } from '../support/conservation.js';

const WALLETS = Number(process.env.CONSERVATION_WALLETS ?? 30);
const REQUESTS = Number(process.env.CONSERVATION_REQUESTS ?? 1500);
const IN_FLIGHT = Number(process.env.CONSERVATION_IN_FLIGHT ?? 300);

const conservation = useConservation();

describe('transfers conserve money under concurrency', () => {
  it(`${REQUESTS} random requests over ${WALLETS} wallets, ${IN_FLIGHT} in flight, two apps`, () => conservation.run({
    name: 'conservation', wallets: WALLETS, requests: REQUESTS, inFlight: IN_FLIGHT,
    mix: { reverse: 0.1, transfer: 0.6, DEPOSIT: 0.15, WITHDRAW: 0.15 },
  }));
});
