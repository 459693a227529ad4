/** SQL only: a hold, and a wallet's holds page by page. */
import { sql, type Kysely } from 'kysely';
import type { HoldStatus } from '../ledger/names.js';
import type { Database, HoldRow } from '../ledger/tables.js';

/** The columns a HoldRow reads (alias h): GET /holds/{id} and the wallet's holds list. */
const holdColumns = `h.id, h.wallet_id, h.amount, h.status, h.captured_amount, h.expires_at, h.created_at, h.closed_at,
  h.available_after, h.closed_available_after`;

/** The hold if its wallet belongs to `tenant`: another tenant's hold is not found. */
export async function findHold(db: Kysely<Database>, id: string, tenant: string): Promise<HoldRow | undefined> {
  const result = await sql<HoldRow>`
    SELECT ${sql.raw(holdColumns)}
      FROM holds h JOIN wallets w ON w.id = h.wallet_id
     WHERE h.id = ${id} AND w.tenant = ${tenant}`.execute(db);
  return result.rows[0];
}

export interface HoldsPageQuery {
  walletId: string;
  tenant: string;
  /** As holdView shows it: HELD excludes lapsed holds not yet marked EXPIRED, EXPIRED includes them. */
  status: HoldStatus | undefined;
  /** Keyset: holds strictly before this (created_at in epoch microseconds, id), newest first. */
  before: { createdUs: string; id: string } | undefined;
  rows: number;
}

/** A page of the wallet's holds, newest first (if the wallet belongs to `tenant`), with each row's keyset position. */
export async function findHoldsPage(db: Kysely<Database>, q: HoldsPageQuery): Promise<(HoldRow & { created_us: string })[]> {
  const status = q.status === undefined ? sql``
    : q.status === 'HELD' ? sql`AND h.status = 'HELD' AND h.expires_at > now()`
      : q.status === 'EXPIRED' ? sql`AND (h.status = 'EXPIRED' OR (h.status = 'HELD' AND h.expires_at <= now()))`
        : sql`AND h.status = ${q.status}`;
  // microseconds as an exact integer: a Date (milliseconds) would make holds of one millisecond skip each other
  const before = q.before ? sql`AND (h.created_at, h.id) < ('epoch'::timestamptz + ${q.before.createdUs}::bigint * interval '1 microsecond',
    ${q.before.id}::uuid)` : sql``;
  const result = await sql<HoldRow & { created_us: string }>`
    SELECT ${sql.raw(holdColumns)},
           ((extract(epoch FROM h.created_at) * 1000000)::bigint)::text AS created_us
      FROM holds h JOIN wallets w ON w.id = h.wallet_id
     WHERE h.wallet_id = ${q.walletId}::uuid AND w.tenant = ${q.tenant} ${status} ${before}
     ORDER BY h.created_at DESC, h.id DESC
     LIMIT ${q.rows}`.execute(db);
  return result.rows;
}

