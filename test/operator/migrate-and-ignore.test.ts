/**
 * Issue 15, bug 7: `npm run migrate` says what it applied (not "schema up to date" right after
 * applying changesets), and `.env`, which the README has users create with secrets, is git-ignored.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { describeMigration, migrate, projectRoot } from '../../src/db/migrations.js';
import { freePort } from '../../src/lib/free-port.js';

// These start clusters of their own and never touch the suite's database: the direct pass of CI runs
// them, the pass through PgBouncer (TEST_VIA_PGBOUNCER) would only repeat them.
const viaPgbouncer = /^(1|true)$/i.test(process.env.TEST_VIA_PGBOUNCER ?? '');
const home = mkdtempSync(join(tmpdir(), 'wallet-migrate-'));
chmodSync(home, 0o755);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.skipIf(viaPgbouncer)('npm run migrate', () => {
  it('lists the changesets it applied, then says there is nothing to apply', async () => {
    const postgres = await startEmbeddedPostgres({ dataDir: join(home, 'postgres'), port: await freePort() });
    try {
      const first: string[] = [];
      await migrate(postgres.url, { forceUnlock: true, log: (m) => first.push(m) });
      expect(first.at(-1)).toMatch(/^applied \d+ changesets \(Liquibase \d+ ms\): 001-wallets\.sql::/);
      expect(first.join('\n')).not.toMatch(/up to date/);
      const second: string[] = [];
      await migrate(postgres.url, { forceUnlock: true, log: (m) => second.push(m) });
      const count = /^applied (\d+)/.exec(first.at(-1)!)![1];
      expect(second.at(-1)).toMatch(new RegExp(`^schema up to date: nothing to apply \\(${count} changesets applied earlier; Liquibase \\d+ ms\\)$`));
    } finally {
      await postgres.stop();
    }
  }, 180_000); // two Liquibase runs (a JVM each) on 2 shared cores

  it('words one new changeset in the singular, and names a runOnChange file that ran again', () => {
    const m = (...entries: [string, string][]) => new Map(entries);
    expect(describeMigration(m(['a.sql::1', 'x']), m(['a.sql::1', 'x'], ['b.sql::2', 'y']), 5)).toBe('applied 1 changeset (Liquibase 5 ms): b.sql::2');
    expect(describeMigration(m(['a.sql::1', 'x'], ['f.sql::f', 'old']), m(['a.sql::1', 'x'], ['f.sql::f', 'new']), 5))
      .toBe('re-ran 1 changed runOnChange file (Liquibase 5 ms): f.sql::f (re-run)');
    expect(describeMigration(m(['f.sql::f', 'old']), m(['f.sql::f', 'new'], ['b.sql::2', 'y'], ['c.sql::3', 'z']), 5))
      .toBe('applied 2 changesets, re-ran 1 changed runOnChange file (Liquibase 5 ms): b.sql::2, c.sql::3, f.sql::f (re-run)');
  });
});

describe('.gitignore', () => {
  const ignored = (path: string) => {
    try {
      execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: projectRoot, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it('ignores .env (secrets) but not .env.example', () => {
    expect(ignored('.env')).toBe(true);
    expect(ignored('.env.local')).toBe(true);
    expect(ignored('.env.example')).toBe(false);
  });
});
