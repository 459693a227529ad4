/**
 * The client as a user gets it: `npm run build` gives ESM and .d.ts, `npm pack` ships them, the
 * example typechecks against the built package and runs against a real service.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/migrations.js';
import { useTestApp } from '../support/test-app.js';

const run = promisify(execFile);
const clientDir = join(projectRoot, 'clients', 'typescript');
const t = useTestApp();
// The package does not depend on how the service reaches PostgreSQL: built and packed in the direct
// and open suites, not a third time through PgBouncer.
const viaPgBouncer = Boolean(process.env.TEST_VIA_PGBOUNCER);

beforeAll(async () => {
  if (!viaPgBouncer) await run('npm', ['run', '--silent', 'build'], { cwd: clientDir });
}, 120_000);

describe.skipIf(viaPgBouncer)('@wallet-service/client', () => {
  it('builds ESM with type declarations', async () => {
    const built = readFileSync(join(clientDir, 'dist', 'index.js'), 'utf8');
    expect(built).toMatch(/^import createClient from 'openapi-fetch';/m);
    expect(readFileSync(join(clientDir, 'dist', 'index.d.ts'), 'utf8')).toContain('export declare function createWalletClient');
    const { createWalletClient } = await import(join(clientDir, 'dist', 'index.js')) as typeof import('../../clients/typescript/src/index.js');
    expect(typeof createWalletClient).toBe('function');
  });

  it('packs the built files and its README', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: clientDir });
    const [pack] = JSON.parse(stdout) as { name: string; files: { path: string }[] }[];
    expect(pack!.name).toBe('@wallet-service/client');
    const files = pack!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/schema.d.ts', 'README.md', 'package.json']));
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('examples/'))).toEqual([]);
  });

  it('runs the example against the service: create, deposit, transfer, history', async () => {
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: clientDir }); // the example typechecks against dist/
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { stdout } = await run('npm', ['run', '--silent', 'example'], {
      cwd: clientDir, env: { ...process.env, WALLET_URL: url, WALLET_API_KEY: t.key?.key ?? '' },
    });
    expect(stdout).toContain('deposit 100.00 to alice: SUCCESS');
    expect(stdout).toContain('transfer 30.00 alice -> bob: SUCCESS');
    expect(stdout).toContain('withdraw 1000.00 from bob refused: Insufficient funds');
    expect(stdout).toContain('alice history: TRANSFER_OUT 30.00 -> balance 70.00');
    expect(stdout).toContain('balances: alice 70.00, bob 30.00');
  }, 120_000);
});
