/**
 * SQL only: webhook subscriptions, their deliveries, and the dispatcher's three statements (fan-out,
 * claim, finish). Each is one statement in its own implicit transaction: no session state, no
 * LISTEN, no advisory lock, so they work through PgBouncer's transaction pooling and from any
 * number of processes (claims take rows with FOR UPDATE SKIP LOCKED).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EventType } from '../events/event-names.js';
import type { EventRow } from '../events/event-view.js';

export interface SubscriptionRow {
  id: string;
  tenant: string;
  url: string;
  event_types: EventType[];
  secret: string;
  description: string | null;
  created_at: Date;
  paused_at: Date | null;
  consecutive_failures: number;
}

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliveryRow {
  event_id: string;
  event_type: EventType;
  event_position: string;
  wallet_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

const subscriptionColumns = sql`id, tenant, url, event_types, secret, description, created_at, paused_at, consecutive_failures`;

export async function insertSubscription(db: Kysely<Database>, s: {
  id: string; tenant: string; url: string; eventTypes: EventType[]; secret: string; description: string | null; perTenantMax: number;
}): Promise<SubscriptionRow | undefined> {
  // The bound is checked in the same statement (two racing creates may both pass: a soft bound).
  const r = await sql<SubscriptionRow>`
    INSERT INTO webhook_subscriptions (id, tenant, url, event_types, secret, description)
    SELECT ${s.id}::uuid, ${s.tenant}, ${s.url}, ${s.eventTypes}::text[], ${s.secret}, ${s.description}
     WHERE (SELECT count(*) FROM webhook_subscriptions WHERE tenant = ${s.tenant}) < ${s.perTenantMax}
    RETURNING ${subscriptionColumns}`.execute(db);
  return r.rows[0];
}

export async function findSubscriptions(db: Kysely<Database>, tenant: string, id?: string): Promise<SubscriptionRow[]> {
  const one = id ? sql`AND id = ${id}::uuid` : sql``;
  return (await sql<SubscriptionRow>`SELECT ${subscriptionColumns} FROM webhook_subscriptions
    WHERE tenant = ${tenant} ${one} ORDER BY created_at, id`.execute(db)).rows;
}

export async function deleteSubscription(db: Kysely<Database>, tenant: string, id: string): Promise<boolean> {
  const r = await sql`DELETE FROM webhook_subscriptions WHERE tenant = ${tenant} AND id = ${id}::uuid`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

export async function resumeSubscription(db: Kysely<Database>, tenant: string, id: string): Promise<SubscriptionRow | undefined> {
  return (await sql<SubscriptionRow>`UPDATE webhook_subscriptions SET paused_at = NULL, consecutive_failures = 0
    WHERE tenant = ${tenant} AND id = ${id}::uuid RETURNING ${subscriptionColumns}`.execute(db)).rows[0];
}

export async function findDeliveries(db: Kysely<Database>, subscriptionId: string, state: DeliveryState | undefined,
  limit: number): Promise<DeliveryRow[]> {
  const inState = state ? sql`AND state = ${state}` : sql``;
  return (await sql<DeliveryRow>`
    SELECT event_id, event_type, event_position, wallet_id, state, attempts, next_attempt_at, last_attempt_at, last_status,
           last_error, created_at, completed_at
      FROM webhook_deliveries WHERE subscription_id = ${subscriptionId}::uuid ${inState}
     ORDER BY event_position DESC LIMIT ${limit}`.execute(db)).rows;
}

export async function subscriptionIds(db: Kysely<Database>): Promise<string[]> {
  return (await sql<{ id: string }>`SELECT id FROM webhook_subscriptions`.execute(db)).rows.map((r) => r.id);
}

/**
 * Moves one subscription's fan-out cursor along its tenant's feed, creating a pending delivery for
 * each event of a subscribed type. The same visibility rule as the feed (keys below xmin), so no
 * event commits behind the cursor. SKIP LOCKED: another process busy with it means skip it now.
 * Returns how many events it read (0: caught up or busy).
 */
export async function fanOut(db: Kysely<Database>, subscriptionId: string, eventsMax: number): Promise<number> {
  const r = await sql<{ scanned: string }>`
    WITH s AS (
        SELECT id, tenant, event_types, cursor_txid, cursor_position FROM webhook_subscriptions
         WHERE id = ${subscriptionId}::uuid FOR UPDATE SKIP LOCKED
    ), ev AS (
        SELECT e.position, e.feed_txid, e.id, e.type, e.wallet_id, e.recorded_at, s.event_types
          FROM s CROSS JOIN LATERAL (
               SELECT * FROM events e
                WHERE e.tenant = s.tenant AND (e.feed_txid, e.position) > (s.cursor_txid, s.cursor_position)
                  AND e.feed_txid < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY e.feed_txid, e.position LIMIT ${eventsMax}) e
    ), ins AS (
        INSERT INTO webhook_deliveries (subscription_id, event_position, event_id, event_type, wallet_id, event_recorded_at)
        SELECT ${subscriptionId}::uuid, ev.position, ev.id, ev.type, ev.wallet_id, ev.recorded_at
          FROM ev WHERE ev.type = ANY (ev.event_types)
        ON CONFLICT DO NOTHING
    ), last AS (
        SELECT feed_txid, position FROM ev ORDER BY feed_txid DESC, position DESC LIMIT 1
    )
    UPDATE webhook_subscriptions w SET cursor_txid = last.feed_txid, cursor_position = last.position
      FROM last WHERE w.id = ${subscriptionId}::uuid
    RETURNING (SELECT count(*) FROM ev) AS scanned`.execute(db);
  return Number(r.rows[0]?.scanned ?? 0);
}

export interface ClaimedDelivery extends EventRow {
  subscription_id: string;
  event_position: string;
  attempts: number;
  delivery_created_at: Date;
  url: string;
  secret: string;
}

/**
 * Claims up to `headsMax` runs. A run starts at a due delivery that is the oldest pending one of its
 * (subscription, wallet), of a subscription not paused, and takes up to `runMax` of that queue's
 * next pending deliveries with it: the caller sends them in order, one at a time (a wallet's next
 * event waits until the previous one was delivered or given up), without a claim per event. The
 * claim is a lease: next_attempt_at moves past the run's end, so if this process dies the head is
 * due again later and another process retries it (same event id: at least once).
 */
export async function claimRuns(db: Kysely<Database>, headsMax: number, runMax: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return (await sql<ClaimedDelivery>`
    WITH heads AS (
        SELECT d.subscription_id, d.wallet_id, d.event_position FROM webhook_deliveries d
          JOIN webhook_subscriptions s ON s.id = d.subscription_id
         WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND s.paused_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                            WHERE p.subscription_id = d.subscription_id AND p.wallet_id = d.wallet_id
                              AND p.state = 'pending' AND p.event_position < d.event_position)
         ORDER BY d.next_attempt_at
         LIMIT ${headsMax}
           FOR UPDATE OF d SKIP LOCKED
    ), run AS (
        SELECT r.subscription_id, r.event_position FROM heads h CROSS JOIN LATERAL (
            SELECT q.subscription_id, q.event_position FROM webhook_deliveries q
             WHERE q.subscription_id = h.subscription_id AND q.wallet_id = h.wallet_id AND q.state = 'pending'
               AND q.event_position >= h.event_position
             ORDER BY q.event_position LIMIT ${runMax}) r
    )
    UPDATE webhook_deliveries d
       SET next_attempt_at = clock_timestamp() + ${leaseMs} * interval '1 millisecond', attempts = d.attempts + 1,
           last_attempt_at = clock_timestamp()
      FROM run c, webhook_subscriptions s, events e
     WHERE d.subscription_id = c.subscription_id AND d.event_position = c.event_position
       AND s.id = d.subscription_id AND e.wallet_id = d.wallet_id AND e.position = d.event_position
    RETURNING d.subscription_id, d.event_position, d.attempts, d.created_at AS delivery_created_at, s.url, s.secret,
              e.position, e.feed_txid::text AS feed_txid, e.id, e.type, e.wallet_id, e.wallet_seq, e.payload, e.recorded_at`
    .execute(db)).rows;
}

/** The deliveries a run sent and got a 2xx for. Also ends the subscription's run of failures. */
export async function markDelivered(db: Kysely<Database>, subscriptionId: string, positions: string[], statuses: number[]): Promise<number> {
  const r = await sql<{ done: string }>`
    WITH done AS (
        UPDATE webhook_deliveries d SET state = 'delivered', completed_at = clock_timestamp(), last_status = u.status, last_error = NULL
          FROM unnest(${positions}::bigint[], ${statuses}::int[]) AS u(position, status)
         WHERE d.subscription_id = ${subscriptionId}::uuid AND d.event_position = u.position AND d.state = 'pending'
        RETURNING 1
    ), ok AS (
        UPDATE webhook_subscriptions SET consecutive_failures = 0
         WHERE id = ${subscriptionId}::uuid AND consecutive_failures <> 0
    )
    SELECT count(*) AS done FROM done`.execute(db);
  return Number(r.rows[0]?.done ?? 0);
}

/** Claimed but not attempted (the run stopped at a failure or at shutdown): due again, as if never claimed. */
export async function releaseUnattempted(db: Kysely<Database>, rows: ClaimedDelivery[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    UPDATE webhook_deliveries d SET attempts = d.attempts - 1, next_attempt_at = now()
      FROM unnest(${rows.map((r) => r.subscription_id)}::uuid[], ${rows.map((r) => r.event_position)}::bigint[],
                  ${rows.map((r) => r.attempts)}::int[]) AS u(subscription_id, position, attempts)
     WHERE d.subscription_id = u.subscription_id AND d.event_position = u.position AND d.state = 'pending'
       AND d.attempts = u.attempts`.execute(db);
}

/**
 * A failed attempt: retry after `delayMs`, or give up (failed) when that would pass the retry
 * window; either way one more consecutive failure for the subscription, which is paused at
 * `pauseAfter`. Returns the delivery's new state (undefined: no longer pending, e.g. deleted).
 */
export async function markAttemptFailed(db: Kysely<Database>, d: ClaimedDelivery, o: {
  status: number | null; error: string; delayMs: number; retryWindowMs: number; pauseAfter: number;
}): Promise<DeliveryState | undefined> {
  const r = await sql<{ state: DeliveryState }>`
    WITH f AS (
        UPDATE webhook_deliveries
           SET state = CASE WHEN clock_timestamp() + ${o.delayMs} * interval '1 millisecond'
                                 > created_at + ${o.retryWindowMs} * interval '1 millisecond' THEN 'failed' ELSE 'pending' END,
               completed_at = CASE WHEN clock_timestamp() + ${o.delayMs} * interval '1 millisecond'
                                 > created_at + ${o.retryWindowMs} * interval '1 millisecond' THEN clock_timestamp() END,
               next_attempt_at = clock_timestamp() + ${o.delayMs} * interval '1 millisecond',
               last_status = ${o.status}, last_error = ${o.error.slice(0, 500)}
         WHERE subscription_id = ${d.subscription_id}::uuid AND event_position = ${d.event_position}::bigint AND state = 'pending'
           -- only the latest claim decides: a slow attempt whose lease expired must not undo a newer one's lease
           AND attempts = ${d.attempts}
        RETURNING state
    ), s AS (
        UPDATE webhook_subscriptions
           SET consecutive_failures = consecutive_failures + 1,
               paused_at = CASE WHEN paused_at IS NULL AND consecutive_failures + 1 >= ${o.pauseAfter} THEN clock_timestamp() ELSE paused_at END
         WHERE id = ${d.subscription_id}::uuid
    )
    SELECT state FROM f`.execute(db);
  return r.rows[0]?.state;
}

export interface OutboxLag {
  lagSeconds: number;
  pending: number;
}

/** Age of the oldest event a subscription still waits for: a pending delivery, or an event not yet fanned out. */
export async function outboxLag(db: Kysely<Database>): Promise<OutboxLag> {
  const r = await sql<{ lag_seconds: number | null; pending: string }>`
    SELECT extract(epoch FROM clock_timestamp() - least(
             (SELECT min(d.event_recorded_at) FROM webhook_deliveries d WHERE d.state = 'pending'),
             (SELECT min(x.recorded_at) FROM webhook_subscriptions s CROSS JOIN LATERAL (
                  SELECT e.recorded_at FROM events e
                   WHERE e.tenant = s.tenant AND (e.feed_txid, e.position) > (s.cursor_txid, s.cursor_position)
                   ORDER BY e.feed_txid, e.position LIMIT 1) x)))::float8 AS lag_seconds,
           (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending') AS pending`.execute(db);
  const row = r.rows[0];
  return { lagSeconds: Math.max(0, row?.lag_seconds ?? 0), pending: Number(row?.pending ?? 0) };
}

export async function pruneEvents(db: Kysely<Database>, retentionHours: number, rowsMax: number):
  Promise<{ events: number; deliveries: number }> {
  const r = await sql<{ events_deleted: string; deliveries_deleted: string }>`
    SELECT * FROM events_prune(${retentionHours} * interval '1 hour', ${rowsMax})`.execute(db);
  return { events: Number(r.rows[0]?.events_deleted ?? 0), deliveries: Number(r.rows[0]?.deliveries_deleted ?? 0) };
}
