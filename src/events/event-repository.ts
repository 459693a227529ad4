/** SQL only: one page of a tenant's event feed, read through the event_log view (changeset 017). */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import type { FeedKey } from './event-cursor.js';
import type { EventType } from '../ledger/event-names.js';
import { eventColumns, type EventRow } from '../ledger/event-view.js';

export interface FeedQuery {
  tenant: string;
  after: FeedKey | undefined;
  walletId: string | undefined;
  type: EventType | undefined;
  rows: number;
}

/** A hold event is always a stored row: its filter can skip the ledger's range rows without reading them. */
const storedOnly = (type: EventType) => type.startsWith('hold.');

/**
 * Only keys below the current snapshot's xmin: no transaction that could still commit an event
 * with a smaller key is running (changeset 015). Walks events_feed from the cursor; no OFFSET.
 * The first condition on the key is the one the index can use; the second places the cursor inside
 * its row.
 */
export async function findEventsPage(db: Kysely<Database>, q: FeedQuery): Promise<EventRow[]> {
  const after = q.after ? sql`AND (feed_txid, position) >= (${q.after.txid}::xid8, ${q.after.position}::bigint)
    AND (feed_txid, position, seq) > (${q.after.txid}::xid8, ${q.after.position}::bigint, ${q.after.seq}::bigint)` : sql``;
  const wallet = q.walletId ? sql`AND wallet_id = ${q.walletId}::uuid` : sql``;
  const type = q.type ? sql`AND type = ${q.type} ${storedOnly(q.type) ? sql`AND seq_last IS NULL` : sql``}` : sql``;
  const result = await sql<EventRow>`
    SELECT ${sql.raw(eventColumns)}
      FROM event_log
     WHERE tenant = ${q.tenant}
       AND feed_txid < pg_snapshot_xmin(pg_current_snapshot())
       ${after} ${wallet} ${type}
     ORDER BY feed_txid, position, seq
     LIMIT ${q.rows}`.execute(db);
  return result.rows;
}
