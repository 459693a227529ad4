/**
 * A TCP proxy between the app's pool and PostgreSQL that understands just enough of the wire
 * protocol to break a connection at the worst moment: around a COMMIT. It is a flaky network,
 * not a mock: the server on the other side is the real PostgreSQL.
 *
 * Modes for the next `count` COMMITs (simple-protocol Query messages "COMMIT"):
 * - 'before-commit': the COMMIT never reaches the server; the connection dies (not committed).
 * - 'after-commit':  the COMMIT reaches the server and commits, but the answer never comes back.
 * - 'after-commit-pooler-error': the COMMIT commits, and instead of its answer the client gets what
 *   PgBouncer sends when its server connection dies mid-transaction: an ErrorResponse with
 *   severity ERROR, SQLSTATE 08P01, "server conn crashed?", then the connection closes.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';

export type CommitFault = 'before-commit' | 'after-commit' | 'after-commit-pooler-error';

export class FaultProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  private fault: CommitFault | undefined;
  private faultsLeft = 0;
  commitsSeen = 0;
  faultsInjected = 0;
  port = 0;

  private readonly targetHost: string;
  private readonly targetPort: number;

  /** `targetUrl`: the database behind the proxy (its user, password and database name are kept in `url`). */
  constructor(private readonly targetUrl: string) {
    const u = new URL(targetUrl);
    this.targetHost = u.hostname;
    this.targetPort = Number(u.port || 5432);
  }

  /** The target's URL, pointing at the proxy (once started; it stays valid across stop() and start()). */
  get url(): string {
    const u = new URL(this.targetUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  injectOnCommit(fault: CommitFault, count: number): void {
    this.fault = fault;
    this.faultsLeft = count;
  }

  clearFaults(): void {
    this.fault = undefined;
    this.faultsLeft = 0;
  }

  /** Listens (again, after stop(): on the same port, so `url` stays valid). */
  async start(): Promise<void> {
    const server = createServer((client) => this.handle(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : this.port;
    this.server = server;
  }

  /** Refuses new connections and cuts the open ones: a database outage as the app sees it. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private handle(client: Socket): void {
    const server = connect(this.targetPort, this.targetHost);
    this.sockets.add(client).add(server);
    client.on('close', () => this.sockets.delete(client));
    server.on('close', () => this.sockets.delete(server));
    const kill = () => { client.destroy(); server.destroy(); };
    client.on('close', kill).on('error', kill);
    server.on('close', kill).on('error', kill);
    server.on('data', (chunk) => {
      if (armedAfterCommit && poolerError) {
        // The COMMIT went through; its answer is replaced by the pooler's error, then the connection closes.
        armedAfterCommit = false;
        poolerError = false;
        server.pause();
        client.write(poolerErrorMessage(), () => kill());
        return;
      }
      if (armedAfterCommit) {
        kill(); // the COMMIT went through; its answer is lost
        return;
      }
      client.write(chunk);
    });

    let started = false; // the startup message has no type byte
    let buffer = Buffer.alloc(0);
    let armedAfterCommit = false;
    let poolerError = false;
    client.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const headerLength = started ? 5 : 4;
        if (buffer.length < headerLength) return;
        const length = started ? buffer.readInt32BE(1) + 1 : buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        started = true;
        if (message[0] === 0x51 /* 'Q' */ && /(^|;)\s*COMMIT\s*;?\s*$/i.test(message.subarray(5, length - 1).toString())) {
          this.commitsSeen++;
          if (this.fault && this.faultsLeft > 0) {
            this.faultsLeft--;
            this.faultsInjected++;
            if (this.fault === 'before-commit') {
              kill();
              return;
            }
            armedAfterCommit = true;
            poolerError = this.fault === 'after-commit-pooler-error';
          }
        }
        server.write(message);
      }
    });
  }
}

/** PgBouncer's "server conn crashed?" ErrorResponse (severity ERROR, SQLSTATE 08P01). */
function poolerErrorMessage(): Buffer {
  const fields = Buffer.from('SERROR\0VERROR\0C08P01\0Mserver conn crashed?\0\0', 'latin1');
  const header = Buffer.alloc(5);
  header.write('E', 0, 'latin1');
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

/**
 * The proxy of a file or describe block, in front of `targetUrl` (default: the test database):
 * started before its tests (set it up before the app or pool that connects through `url`, so it
 * stops after them), its faults cleared after each test, stopped after all.
 */
export function useFaultProxy(targetUrl: string = inject('databaseUrl')): FaultProxy {
  const proxy = new FaultProxy(targetUrl);
  beforeAll(() => proxy.start());
  afterEach(() => proxy.clearFaults());
  afterAll(() => proxy.stop());
  return proxy;
}
