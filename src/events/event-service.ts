/**
 * The tenant's event feed: decode the cursor → read one page in key order → answer it with the
 * cursor to continue from (the same cursor when nothing new is visible yet).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import type { Caller } from '../ledger/caller.js';
import { readWithRetry } from '../ledger/read-retry.js';
import { decodeEventCursor, encodeEventCursor } from './event-cursor.js';
import type { EventType } from '../ledger/event-names.js';
import { findEventsPage } from './event-repository.js';
import type { EventsPage } from './event-schemas.js';
import { eventView } from '../ledger/event-view.js';

export interface FeedRequest {
  caller: Caller;
  cursor: string | undefined;
  limit: number;
  walletId: string | undefined;
  type: EventType | undefined;
}

export class EventService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async listEvents(request: FeedRequest): Promise<EventsPage> {
    const tenant = request.caller.tenant;
    const after = request.cursor === undefined ? undefined : decodeEventCursor(request.cursor, tenant);
    const rows = await readWithRetry(this.readPolicy, this.log, () => findEventsPage(this.db, {
      tenant, after, walletId: request.walletId, type: request.type, rows: request.limit,
    }));
    const last = rows[rows.length - 1];
    return {
      items: rows.map(eventView),
      next_cursor: last ? encodeEventCursor(tenant, { txid: last.feed_txid, position: last.position, seq: last.seq }) : request.cursor ?? null,
    };
  }
}
