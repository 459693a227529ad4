/**
 * Holds under load: random transfers, deposits, withdrawals, holds (some lapsing during the run),
 * captures (whole or partial), voids and reversals (of operations, transfers and captures) over
 * 50 wallets, hundreds in flight through two apps (test/support/conservation.ts says what is
 * checked afterwards: besides the totals, each hold closed at most once and each capture's row).
 */
import { describe, it } from 'vitest';
import { useConservation } from '../support/conservation.js';

const WALLETS = Number(process.env.HOLD_CONSERVATION_WALLETS ?? 50);
const REQUESTS = Number(process.env.HOLD_CONSERVATION_REQUESTS ?? 2000);
const IN_FLIGHT = Number(process.env.HOLD_CONSERVATION_IN_FLIGHT ?? 300);

const conservation = useConservation();

describe('holds conserve money under concurrency', () => {
  it(`${REQUESTS} random requests over ${WALLETS} wallets, ${IN_FLIGHT} in flight, two apps`, () => conservation.run({
    name: 'hold conservation', wallets: WALLETS, requests: REQUESTS, inFlight: IN_FLIGHT,
    mix: { transfer: 0.25, DEPOSIT: 0.10, WITHDRAW: 0.08, hold: 0.22, capture: 0.15, void: 0.10, reverse: 0.10 },
  }));
});
