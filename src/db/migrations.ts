/**
 * Runs the Liquibase changelog with the launcher bundled in the `liquibase` npm package.
 * The connection goes in LIQUIBASE_COMMAND_* variables, never through a shell command line,
 * and the changelog is always passed the same way (search path = db/, file = changelog/...)
 * so DATABASECHANGELOG recognises what it already applied.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const changelogSearchPath = join(projectRoot, 'db');
export const changelogFile = 'changelog/db.changelog-master.yaml';
/** A changelog lock older than this is taken to be left by a killed run. */
const staleLockAfterMs = 5 * 60_000;

function liquibaseLauncher(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('liquibase/package.json'));
  return join(pkg, 'dist', 'liquibase', 'liquibase');
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }));
      else resolvePromise({ stdout, stderr });
    });
  });
}

export async function assertJavaAvailable(): Promise<void> {
  try {
    await exec('java', ['-version'], process.env, 30_000);
  } catch {
    throw new Error('Java 17+ is needed to run the Liquibase migrations, and `java` was not found on PATH. ' +
      'Install it (Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) ' +
      'or set MIGRATE_ON_START=false and apply db/changelog with your own Liquibase.');
  }
}

function jdbc(url: string): { jdbcUrl: string; user: string; password: string } {
  const u = new URL(url);
  const database = u.pathname.replace(/^\//, '') || 'postgres';
  const params = new URLSearchParams(u.searchParams);
  const query = params.toString();
  return {
    jdbcUrl: `jdbc:postgresql://${u.hostname}:${u.port || '5432'}/${database}${query ? `?${query}` : ''}`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/**
 * Frees the changelog lock when it was left by a killed run. `force` (we just started this
 * PostgreSQL ourselves, so no other migration can be running) frees it whatever its age.
 */
async function releaseStaleLock(url: string, force: boolean, log: (m: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>(
      `SELECT to_regclass('databasechangeloglock') IS NOT NULL AS exists`);
    if (!table.rows[0]?.exists) return;
    const result = await client.query(
      `UPDATE databasechangeloglock SET locked = false, lockgranted = NULL, lockedby = NULL
        WHERE locked AND ($1 OR lockgranted < now() - make_interval(secs => $2))`,
      [force, staleLockAfterMs / 1000]);
    if ((result.rowCount ?? 0) > 0) log('released a Liquibase lock left by an earlier run that was killed');
  } finally {
    await client.end();
  }
}

/** Changesets DATABASECHANGELOG records as applied, as `file::id` (empty before the first run). */
/** The applied changesets ("file::id") in the order they ran, each with its checksum. */
async function appliedChangesets(url: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>(`SELECT to_regclass('databasechangelog') IS NOT NULL AS exists`);
    if (!table.rows[0]?.exists) return new Map();
    const rows = await client.query<{ filename: string; id: string; md5sum: string | null }>(
      'SELECT filename, id, md5sum FROM databasechangelog ORDER BY orderexecuted');
    return new Map(rows.rows.map((r) => [`${r.filename.replace(/^.*\//, '')}::${r.id}`, r.md5sum ?? '']));
  } finally {
    await client.end();
  }
}

/**
 * What a run did, in one line: the changesets it applied and the runOnChange ones it ran again
 * (their checksum changed: an edited function file), or that there was nothing to do.
 */
export function describeMigration(before: Map<string, string>, after: Map<string, string>, tookMs: number): string {
  const applied = [...after.keys()].filter((c) => !before.has(c));
  const reran = [...after.entries()].filter(([c, md5]) => before.has(c) && before.get(c) !== md5).map(([c]) => c);
  if (applied.length === 0 && reran.length === 0) {
    return `schema up to date: nothing to apply (${after.size} changesets applied earlier; Liquibase ${tookMs} ms)`;
  }
  const parts = [
    ...(applied.length ? [`applied ${applied.length} changeset${applied.length === 1 ? '' : 's'}`] : []),
    ...(reran.length ? [`re-ran ${reran.length} changed runOnChange file${reran.length === 1 ? '' : 's'}`] : []),
  ];
  return `${parts.join(', ')} (Liquibase ${tookMs} ms): ${[...applied, ...reran.map((c) => `${c} (re-run)`)].join(', ')}`;
}

export interface MigrateOptions {
  /** The lock cannot belong to a live migration (embedded database started by this process). */
  forceUnlock?: boolean;
  /** Where db/changelog lives (default: this project's db/); a test migrates from an edited copy. */
  searchPath?: string;
  log?: (message: string) => void;
}

export async function migrate(url: string, options: MigrateOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  await assertJavaAvailable();
  await releaseStaleLock(url, options.forceUnlock ?? false, log);
  const before = await appliedChangesets(url);
  const { jdbcUrl, user, password } = jdbc(url);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LIQUIBASE_COMMAND_URL: jdbcUrl,
    LIQUIBASE_COMMAND_USERNAME: user,
    LIQUIBASE_COMMAND_PASSWORD: password,
    LIQUIBASE_COMMAND_CHANGELOG_FILE: changelogFile,
    LIQUIBASE_SEARCH_PATH: options.searchPath ?? changelogSearchPath,
    LIQUIBASE_SHOW_BANNER: 'false',
    LIQUIBASE_LOG_LEVEL: 'WARNING',
  };
  const started = Date.now();
  try {
    await exec(liquibaseLauncher(), ['update'], env, 300_000);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stderr ?? ''}\n${e.stdout ?? ''}`;
    // Liquibase prints a long Java trace; its own summary lines say what went wrong.
    const summary = output.split('\n')
      .filter((line) => /^(ERROR:|Reason:|\s+\d+ changes? have validation failures|\s+.*::.*::)/.test(line) || /checksum|lock/i.test(line))
      .filter((line) => !/^\s+at /.test(line))
      .slice(0, 20).join('\n');
    throw new Error(`Liquibase update failed:\n${(summary || output || e.message).replaceAll(password, '***').trim()}`);
  }
  log(describeMigration(before, await appliedChangesets(url), Date.now() - started));
}
