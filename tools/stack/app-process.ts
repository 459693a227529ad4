/**
 * The app as a child process: `node --import tsx src/server.ts` (one process, what `npm start`
 * runs) or `src/cluster.ts` (WEB_CONCURRENCY workers, what the container runs), started and
 * awaited until /health answers. The child is node itself, not the tsx launcher, so its pid is
 * the server's own (the bench samples its memory; signals reach it directly).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../src/db/migrations.js';
import { httpOk, httpsOk, waitFor } from '../../src/lib/wait-for.js';

export interface AppProcessOptions {
  entry: 'server' | 'cluster';
  host?: string;
  port: number;
  /** Set on top of this process's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Extra node options, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Where its stdout and stderr go: a file (appended), or each line to a callback. */
  output: { file: string } | { lines: (line: string) => void };
  /** In a process group of its own: a terminal's Ctrl-C reaches only us, and we stop it in order. */
  detached?: boolean;
  startTimeoutMs: number;
  /** The app serves HTTPS (TLS_CERT_FILE in env) with a certificate this CA or self-signed certificate (PEM) vouches for. */
  tlsCa?: string;
}

export interface AppProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  readonly exited: boolean;
  /** Resolves when the process has exited. */
  readonly exit: Promise<void>;
  /** Last lines of its output, when it goes to a file. */
  logTail(lines?: number): string;
  /** SIGTERM (the app drains), then SIGKILL after `killAfterMs`. */
  stop(killAfterMs: number): Promise<void>;
}

const outputTailLines = 30;

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const host = options.host ?? '127.0.0.1';
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: host, PORT: String(options.port) };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const script = join(projectRoot, 'src', options.entry === 'server' ? 'server.ts' : 'cluster.ts');
  const toFile = 'file' in options.output ? options.output.file : undefined;
  // Output to a file goes straight to it: the app must not depend on us reading a pipe.
  const fd = toFile ? openSync(toFile, 'a') : undefined;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', script], {
    cwd: projectRoot, env, detached: options.detached ?? false,
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  const recent: string[] = [];
  if ('lines' in options.output) {
    const onLine = options.output.lines;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        recent.push(line);
        if (recent.length > outputTailLines) recent.shift();
        onLine(line);
      });
    }
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const logTail = (lines = outputTailLines) => (toFile ? tail(toFile, lines) : recent.slice(-lines).join('\n'));
  const signal = (name: NodeJS.Signals) => {
    try {
      // SIGTERM to the server or the cluster's primary only: the primary stops its workers, and a
      // worker signalled twice would not drain. SIGKILL to the whole group, workers included.
      if (name === 'SIGKILL' && options.detached && child.pid) process.kill(-child.pid, name);
      else child.kill(name);
    } catch { /* already gone */ }
  };
  const app: AppProcess = {
    child,
    url: `${options.tlsCa ? 'https' : 'http'}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${options.port}`,
    pid: child.pid ?? 0,
    get exited() { return exited; },
    exit,
    logTail,
    async stop(killAfterMs) {
      if (exited) return;
      signal('SIGTERM');
      const killer = setTimeout(() => signal('SIGKILL'), killAfterMs);
      await exit;
      clearTimeout(killer);
    },
  };
  try {
    await waitFor(options.tlsCa ? httpsOk(`${app.url}/health`, options.tlsCa) : httpOk(`${app.url}/health`), {
      what: `the app (${options.entry}) at ${app.url}/health`, timeoutMs: options.startTimeoutMs, intervalMs: 200,
      failFast: () => (exited ? `exited during start-up (${child.signalCode ?? `code ${child.exitCode}`})` : undefined),
      detail: () => logTail(20),
    });
  } catch (error) {
    await app.stop(5000);
    throw error;
  }
  return app;
}

