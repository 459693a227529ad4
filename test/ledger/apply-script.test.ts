/** The batch script's literals: every value quoted as pg.escapeLiteral quotes it, plain ones on a fast path. */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { applyCommandsScript, type Command } from '../../src/ledger/apply-script.js';

const limits = { lockTimeoutMs: 5000, statementTimeoutMs: 3000 };
const op = (over: Partial<Command> = {}): Command => ({
  id: '00000000-0000-4000-8000-000000000001', walletId: '00000000-0000-4000-8000-000000000002', tenant: 'default', actor: null,
  type: 'DEPOSIT', amount: '10.00', idempotencyKey: null, requestHash: null, ...over,
});

describe('applyCommandsScript', () => {
  it('passes each argument as one array, in apply_operations_v5 order, NULL for absent values', () => {
    const script = applyCommandsScript([op(), op({ idempotencyKey: 'k-1', holdSeconds: 60.9 })], true, limits);
    expect(script).toBe("BEGIN; SET LOCAL lock_timeout = '5000ms'; SET LOCAL statement_timeout = '3000ms'; " +
      "SELECT * FROM apply_operations_v5(ARRAY['00000000-0000-4000-8000-000000000002','00000000-0000-4000-8000-000000000002']::uuid[], " +
      'ARRAY[NULL,NULL]::uuid[], ARRAY[NULL,NULL]::uuid[], ARRAY[NULL,NULL]::uuid[], ARRAY[NULL,60]::int[], ' +
      "ARRAY['default','default']::text[], ARRAY[NULL,NULL]::text[], " +
      "ARRAY['00000000-0000-4000-8000-000000000001','00000000-0000-4000-8000-000000000001']::uuid[], " +
      "ARRAY['DEPOSIT','DEPOSIT']::text[], ARRAY['10.00','10.00']::numeric[], ARRAY[NULL,'k-1']::text[], " +
      'ARRAY[NULL,NULL]::text[], true); SET LOCAL statement_timeout = 0; COMMIT');
  });

  it('escapes quotes and backslashes exactly as pg.escapeLiteral does', () => {
    for (const key of ["it's", 'back\\slash', "both\\'", "''", '\\']) {
      expect(applyCommandsScript([op({ idempotencyKey: key })], false, limits)).toContain(`ARRAY[${pg.escapeLiteral(key)}]::text[]`);
    }
  });
});
