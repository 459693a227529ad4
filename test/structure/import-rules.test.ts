/**
 * The layer rules fail lint on a wrong arrow: probes (source text linted under a path in src/,
 * never written to disk) import upward, across features, into the tooling, and HTTP from the
 * domain; each must be an error, and the imports the layout allows must pass.
 */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { importRules } from '../../eslint.layers.js';

// The layer rules alone, without type information (the probes are not files of the TS project).
const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...importRules],
});

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('import rules (eslint.layers.js)', () => {
  it.each([
    ['src/db/probe.ts', "import { WalletService } from '../wallets/wallet-service.js';", 'db layer'],
    ['src/db/probe.ts', "import { ensureFirstRunKey } from '../auth/first-run-key.js';", 'db layer'],
    ['src/ledger/probe.ts', "import { callerOf } from '../auth/auth-plugin.js';", 'kernel layer'],
    ['src/auth/probe.ts', "import { HoldService } from '../holds/hold-service.js';", 'auth layer'],
    ['src/lib/probe.ts', "import { MONEY_MAX } from '../ledger/money.js';", 'lib layer'],
    ['src/plugins/probe.ts', "import { buildApp } from '../app.js';", 'http layer'],
    ['src/transfers/probe.ts', "import { HoldService } from '../holds/hold-service.js';", 'another feature'],
    ['src/ledger/probe.ts', "import { x } from '../../tools/stack/launcher.js';", 'tooling'],
    ['src/ledger/probe.ts', "import Fastify from 'fastify';", 'no HTTP'],
    ['src/tracing/probe.ts', "import { Overloaded } from '../ledger/errors.js';", 'tracing layer'],
    ['src/tracing/probe.ts', "import { createLedgerDatabase } from '../db/database.js';", 'tracing layer'],
    ['src/holds/hold-service.ts', "import { answer } from '../plugins/submission-reply.js';", 'no HTTP'],
  ])('%s: %s is refused (%s)', async (filePath, code) => {
    const found = await problems(filePath, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^no-restricted-imports: /);
  });

  it.each([
    ['src/holds/hold-routes.ts', "import { answer } from '../plugins/submission-reply.js';"],
    ['src/holds/hold-service.ts', "import { walletExists } from '../ledger/ledger-reads.js';"],
    ['src/ledger/apply-script.ts', "import { assert } from '../lib/assert.js';"],
    ['src/auth/probe.ts', "import { readWithRetry } from '../ledger/read-retry.js';"],
    ['src/app.ts', "import { walletRoutes } from './wallets/wallet-routes.js';"],
  ])('%s: %s is allowed', async (filePath, code) => {
    expect(await problems(filePath, code)).toEqual([]);
  });

  it('eslint.config.js applies them to src/', async () => {
    const config = await new ESLint().calculateConfigForFile('src/db/database.ts') as { rules: Record<string, unknown> };
    expect(JSON.stringify(config.rules['no-restricted-imports'])).toContain('**/wallets/*');
  });
});
