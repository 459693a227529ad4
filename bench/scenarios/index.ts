/** The scenarios in the order they run. */
import { hotDeposits, hotMixed } from './hot-wallet.js';
import { originalMix } from './original-mix.js';
import { balanceReads, walletCreation } from './reads-and-creation.js';
import type { Scenario } from './scenario.js';
import { spreadDeposits } from './spread.js';
import { hotTransfers, spreadTransfers } from './transfers.js';

export const scenarios: Scenario[] = [hotDeposits, hotMixed, spreadDeposits, balanceReads, walletCreation, originalMix, hotTransfers, spreadTransfers];
