/** SQL only: one page of a tenant's event feed. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { FeedPosition } from './event-cursor.js';
import type { EventType } from './event-names.js';
import type { EventRow } from './event-view.js';

export interface FeedQuery {
  tenant: string;
  after: FeedPosition | undefined;
  walletId: string | undefined;
  type: EventType | undefined;
  rows: number;
}

/**
 * Only keys below the current snapshot's xmin: no transaction that could still commit an event
 * with a smaller key is running (changeset 015). Walks events_feed from the cursor; no OFFSET.
 */
export async function findEventsPage(db: Kysely<Database>, q: FeedQuery): Promise<EventRow[]> {
  const after = q.after ? sql`AND (feed_txid, position) > (${q.after.txid}::xid8, ${q.after.position}::bigint)` : sql``;
  const wallet = q.walletId ? sql`AND wallet_id = ${q.walletId}::uuid` : sql``;
  const type = q.type ? sql`AND type = ${q.type}` : sql``;
  const result = await sql<EventRow>`
    SELECT position, feed_txid::text AS feed_txid, id, type, wallet_id, wallet_seq, payload, recorded_at
      FROM events
     WHERE tenant = ${q.tenant}
       AND feed_txid < pg_snapshot_xmin(pg_current_snapshot())
       ${after} ${wallet} ${type}
     ORDER BY feed_txid, position
     LIMIT ${q.rows}`.execute(db);
  return result.rows;
}
