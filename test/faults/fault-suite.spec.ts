/**
 * The fast subset of the fault suite, for CI: three faults, briefly, on a real stack (embedded
 * PostgreSQL, PgBouncer, two app processes). Named *.spec.ts so that `npm test` (which runs
 * test/**\/*.test.ts) leaves it out; it runs with `npx vitest run --config faults/vitest.config.ts`.
 * The full suite is `npm run faults`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultResult, formatResults, recoveryBoundMs, runFault } from '../../faults/suite.js';
import { faults } from '../../faults/scenarios.js';
import { FaultStack } from '../../faults/stack.js';

const quickFaults = (process.env.FAULTS_QUICK ?? 'pgbouncer-kill,terminate-backends,postgres-crash').split(',');

let stack: FaultStack;
const results: FaultResult[] = [];

beforeAll(async () => {
  stack = await FaultStack.start({ apps: 2, maxClientConn: 100 });
});

afterAll(async () => {
  if (results.length > 0) console.log(formatResults(results));
  await stack?.stop();
});

describe('fault suite (quick subset)', () => {
  for (const name of quickFaults) {
    it(`${name}: every answer agrees with the ledger, and the service recovers by itself`, async () => {
      const fault = faults.find((f) => f.name === name);
      expect(fault, `unknown fault ${name}`).toBeDefined();
      const result = await runFault(stack, fault!, true, () => undefined);
      results.push(result);
      expect(result.verdict.violations).toEqual([]);
      expect(result.recoveryMs).toBeLessThan(recoveryBoundMs);
      expect(result.verdict.requests).toBeGreaterThan(100);
      // Transfers and holds ran beside the operations, and some of each were applied.
      expect(result.moves.transfersApplied).toBeGreaterThan(0);
      expect(result.moves.heldAnswers).toBeGreaterThan(0);
      expect(result.moves.captures.rows + result.moves.voids).toBeGreaterThan(0);
    });
  }
});
