/**
 * The bench's helper processes (the HTTP ceiling server, the webhook receiver) print "listening
 * <port>" once ready: wait for that line, bounded; stop them with SIGTERM, then SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** The port the child announced; kills it and rejects if it exits or stays silent past `boundMs`. */
export async function announcedPort(child: ChildProcess, what: string, boundMs: number): Promise<number> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${boundMs} ms`)), boundMs);
    child.once('exit', (code) => reject(new Error(`${what} exited during start-up (code ${code})`)));
    lines.on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  }).catch(async (error: unknown) => {
    await stopChild(child, 0);
    throw error;
  });
}

/** SIGTERM, then SIGKILL after `boundMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, boundMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(boundMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
  await exited;
  clearTimeout(timer);
}
