import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Fails with a message naming the variable to change when `port` is taken on `host`, so a start
 * that would fail late (after the database, the migrations) fails first, in one line.
 */
export async function assertPortFree(host: string, port: number, what: string, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code === 'EADDRINUSE'
      ? `port ${port} (${what}) is already in use: stop what uses it or set ${variable}`
      : `cannot listen on ${host}:${port} (${what}): ${error.message}`)));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
