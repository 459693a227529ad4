/**
 * PostgreSQL and PgBouncer refuse to run as root, so as root we run them as the `postgres` user
 * (created if missing). Every file they open must then be reachable by that user, and a project
 * cloned into a private directory (a home directory, mode 0700) is not: for that case their files
 * live in a directory of ours under /var/tmp (persistent, unlike /tmp), keyed by the project path.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

let cached: Promise<ServerUser | undefined> | undefined;

/** The user the servers run as: undefined when we are not root (they run as us). */
export function serverUser(): Promise<ServerUser | undefined> {
  cached ??= lookUpServerUser('postgres');
  return cached;
}

async function lookUpServerUser(name: string): Promise<ServerUser | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async (): Promise<ServerUser> => ({
    name,
    uid: Number((await execFileAsync('id', ['-u', name])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', name])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', name]);
    return ids();
  }
}

/** True when `user` can search (directory) or execute (file) `path`, every parent included. */
export async function canReach(user: ServerUser | undefined, path: string): Promise<boolean> {
  if (!user) return true;
  try {
    await execFileAsync('test', ['-x', path], { uid: user.uid, gid: user.gid, timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Root of the directories kept for the server user when the project is out of its reach. Only
 * root uses it, so it must be root's and writable by no one else: anyone who could write there
 * could replace the binaries that run as postgres, or read the cluster.
 */
export function serverFilesRoot(): string {
  const root = resolve(process.env.WALLET_SERVER_FILES_DIR || '/var/tmp/wallet-service');
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const stat = lstatSync(root);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`${root} must be a directory owned by root and writable by no one else (it holds the files ` +
      'PostgreSQL runs from when the project is in a private directory); remove it or set WALLET_SERVER_FILES_DIR');
  }
  return root;
}

/** A short stable name for an absolute path: one directory per cluster or project. */
export function pathKey(path: string): string {
  return createHash('sha256').update(resolve(path)).digest('hex').slice(0, 12);
}

/** `root/<name>-<key of path>`: where the files of `path` go when the server user cannot reach it. */
export function relocatedPath(path: string, name: string): string {
  return join(serverFilesRoot(), `${name}-${pathKey(path)}`);
}
