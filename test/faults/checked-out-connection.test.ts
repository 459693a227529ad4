/**
 * Found by the fault suite (npm run faults, once its load included reads): a connection that
 * dies while Kysely holds it checked out (a read, wallet creation, history) emitted 'error' on a
 * pg Client with no listener, an uncaught exception that killed the app process. The pool's
 * 'error' event covers idle clients only. Reproduced deterministically: hold a connection through
 * Kysely, terminate its backend, and wait for the socket to close while it is still checked out.
 */
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { createWallet, useAdminPool, useTestApp, waitFor } from '../support/test-app.js';

const t = useTestApp();
const admin = useAdminPool();

/** Backends that belong to this app's pool (direct or through PgBouncer, identified by what they run). */
async function terminate(pid: number): Promise<void> {
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
}

// Through PgBouncer (transaction mode) a terminated server backend never breaks the client's
// connection: the next query simply gets another server connection. Nothing to reproduce there.
const viaPgbouncer = inject('pgbouncerConsoleUrl') !== '';

describe('a connection that breaks while checked out', () => {
  it.skipIf(viaPgbouncer)('never crashes the process, and the app keeps serving', async () => {
    let brokeWhileHeld = false;
    await t.db.kysely.connection().execute(async (conn) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn);
      await terminate(rows[0]!.pid);
      // Still checked out: the backend's FATAL and the socket's end arrive with no query running.
      return waitFor(async () => {
        try {
          await sql`SELECT 1`.execute(conn);
          return undefined;
        } catch {
          brokeWhileHeld = true;
          return true;
        }
      }, 10_000, 'the held connection to break');
    }).catch(() => undefined); // releasing the broken connection may reject: what matters is below
    expect(brokeWhileHeld).toBe(true);
    // The process is alive (an uncaught 'error' would have failed this file) and serves again.
    const id = await createWallet(t.app);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/wallets/${id}` })).statusCode).toBe(200);
  });
});
