/**
 * PgBouncer (like PostgreSQL) refuses to run as root. As root we run it as the `postgres` user,
 * created if missing, the same user the embedded PostgreSQL runs as.
 */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RunAs {
  uid: number;
  gid: number;
}

export async function unprivilegedUser(name = 'postgres'): Promise<RunAs | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => ({
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
