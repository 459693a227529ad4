/**
 * SQL only: webhook subscriptions, their deliveries, and the dispatcher's statements (fan-out, claim,
 * read a run, finish it). Each is one statement in its own implicit transaction: no session state, no
 * LISTEN, no advisory lock, so they work through PgBouncer's transaction pooling and from any
 * number of processes (claims take rows with FOR UPDATE SKIP LOCKED).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import type { EventType } from '../ledger/event-names.js';
import { eventColumns, type EventRow } from '../ledger/event-view.js';

/** What a subscription lists: event types, or `*` for every type (Stripe's convention), those added later too. */
export type SubscribedType = EventType | typeof EVERY_TYPE;
export const EVERY_TYPE = '*';

export interface SubscriptionRow {
  id: string;
  tenant: string;
  url: string;
  event_types: SubscribedType[];
  secret: string;
  description: string | null;
  created_at: Date;
  paused_at: Date | null;
  consecutive_failures: number;
}

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A delivery as GET /webhooks/{id}/deliveries lists it: a finished one's record, or a wallet queue's next event. */
export interface DeliveryRow {
  event_id: string;
  event_type: EventType;
  wallet_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

const subscriptionColumns = sql`id, tenant, url, event_types, secret, description, created_at, paused_at, consecutive_failures`;

export async function insertSubscription(db: Kysely<Database>, s: {
  id: string; tenant: string; url: string; eventTypes: SubscribedType[]; secret: string; description: string | null; perTenantMax: number;
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

/**
 * The subscription's deliveries, newest first: `pending` are the wallet queues' next events (the
 * one being tried or waiting; what follows it in the queue waits behind it), `delivered` and
 * `failed` the records of finished deliveries. Without a state: the pending ones, then the rest.
 */
export async function findDeliveries(db: Kysely<Database>, subscriptionId: string, state: DeliveryState | undefined,
  limit: number): Promise<DeliveryRow[]> {
  const pending = state === undefined || state === 'pending'
    ? (await sql<DeliveryRow>`
        SELECT x.id AS event_id, x.type AS event_type, t.wallet_id, 'pending' AS state, t.attempts, t.next_attempt_at,
               t.last_attempt_at, t.last_status, t.last_error, x.recorded_at AS created_at, NULL::timestamptz AS completed_at
          FROM webhook_streams t JOIN webhook_subscriptions s ON s.id = t.subscription_id
         CROSS JOIN LATERAL (
               SELECT e.id, e.type, e.recorded_at FROM event_log e
                WHERE e.wallet_id = t.wallet_id AND e.position >= t.done_position AND (e.position, e.seq) > (t.done_position, t.done_seq)
                  AND (e.type = ANY (s.event_types) OR '*' = ANY (s.event_types))
                ORDER BY e.position, e.seq LIMIT 1) x
         WHERE t.subscription_id = ${subscriptionId}::uuid AND t.pending
         ORDER BY t.next_attempt_at DESC LIMIT ${limit}`.execute(db)).rows
    : [];
  const finished = state === 'pending' || pending.length >= limit ? [] : (await sql<DeliveryRow>`
    SELECT event_id, event_type, wallet_id, state, attempts, NULL::timestamptz AS next_attempt_at, last_attempt_at, last_status,
           last_error, created_at, completed_at
      FROM webhook_deliveries WHERE subscription_id = ${subscriptionId}::uuid ${state ? sql`AND state = ${state}` : sql``}
     ORDER BY completed_at DESC LIMIT ${limit - pending.length}`.execute(db)).rows;
  return [...pending, ...finished];
}

export async function subscriptionIds(db: Kysely<Database>): Promise<string[]> {
  return (await sql<{ id: string }>`SELECT id FROM webhook_subscriptions`.execute(db)).rows.map((r) => r.id);
}

/**
 * Moves one subscription's fan-out cursor along its tenant's feed (outbox rows, not events: one per
 * wallet and ledger statement) and marks the queue of each wallet it passes as pending, creating it
 * at the first row passed. The same visibility rule as the feed (keys below xmin), so no event
 * commits behind the cursor. SKIP LOCKED: another process busy with it means skip it now. Returns
 * how many rows it read (0: caught up or busy).
 */
export async function fanOut(db: Kysely<Database>, subscriptionId: string, rowsMax: number): Promise<number> {
  const r = await sql<{ scanned: string }>`
    WITH s AS (
        SELECT id, tenant, cursor_txid, cursor_position FROM webhook_subscriptions
         WHERE id = ${subscriptionId}::uuid FOR UPDATE SKIP LOCKED
    ), ev AS (
        SELECT e.position, e.feed_txid, e.wallet_id
          FROM s CROSS JOIN LATERAL (
               SELECT e.position, e.feed_txid, e.wallet_id FROM events e
                WHERE e.tenant = s.tenant AND (e.feed_txid, e.position) > (s.cursor_txid, s.cursor_position)
                  AND e.feed_txid < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY e.feed_txid, e.position LIMIT ${rowsMax}) e
    ), streams AS (
        INSERT INTO webhook_streams AS t (subscription_id, wallet_id, head_position, done_position)
        SELECT ${subscriptionId}::uuid, ev.wallet_id, max(ev.position), min(ev.position) - 1 FROM ev GROUP BY ev.wallet_id
        ON CONFLICT (subscription_id, wallet_id) DO UPDATE
           SET head_position = greatest(t.head_position, excluded.head_position),
               pending = t.pending OR excluded.head_position > t.done_position
         WHERE excluded.head_position > t.head_position
    ), last AS (
        SELECT feed_txid, position FROM ev ORDER BY feed_txid DESC, position DESC LIMIT 1
    )
    UPDATE webhook_subscriptions w SET cursor_txid = last.feed_txid, cursor_position = last.position
      FROM last WHERE w.id = ${subscriptionId}::uuid
    RETURNING (SELECT count(*) FROM ev) AS scanned`.execute(db);
  return Number(r.rows[0]?.scanned ?? 0);
}

/** A claimed wallet queue of one subscription: where delivery stands, and where to send. */
export interface ClaimedStream {
  subscription_id: string;
  wallet_id: string;
  done_position: string;
  done_seq: string;
  /** The newest outbox row of the wallet the fan-out had passed when the queue was claimed. */
  head_position: string;
  /** The next event's failed attempts so far, and when the first of them started. */
  attempts: number;
  first_attempt_at: Date | null;
  claim: string;
  url: string;
  secret: string;
  event_types: SubscribedType[];
}

/**
 * Claims up to `max` due queues of subscriptions not paused. The claim is a lease: next_attempt_at
 * moves past it, so if this process dies the queue is due again later and another process sends
 * from where delivery was last recorded (same event ids: at least once). The claim counter makes a
 * late finish of an expired claim change nothing.
 */
export async function claimStreams(db: Kysely<Database>, max: number, leaseMs: number): Promise<ClaimedStream[]> {
  return (await sql<ClaimedStream>`
    WITH c AS (
        SELECT t.subscription_id, t.wallet_id FROM webhook_streams t
          JOIN webhook_subscriptions s ON s.id = t.subscription_id
         WHERE t.pending AND t.next_attempt_at <= now() AND s.paused_at IS NULL
         ORDER BY t.next_attempt_at
         LIMIT ${max}
           FOR UPDATE OF t SKIP LOCKED
    )
    UPDATE webhook_streams t
       SET claim = t.claim + 1, next_attempt_at = clock_timestamp() + ${leaseMs} * interval '1 millisecond'
      FROM c, webhook_subscriptions s
     WHERE t.subscription_id = c.subscription_id AND t.wallet_id = c.wallet_id AND s.id = t.subscription_id
    RETURNING t.subscription_id, t.wallet_id, t.done_position, t.done_seq, t.head_position, t.attempts, t.first_attempt_at, t.claim,
              s.url, s.secret, s.event_types`.execute(db)).rows;
}

/** A queue's next events after where delivery stands, in the wallet's order, with each row's last seq. */
export async function readRun(db: Kysely<Database>, stream: ClaimedStream, eventsMax: number): Promise<(EventRow & { seq_last: string | null })[]> {
  return (await sql<EventRow & { seq_last: string | null }>`
    SELECT ${sql.raw(eventColumns)}, seq_last FROM event_log
     WHERE wallet_id = ${stream.wallet_id}::uuid AND position >= ${stream.done_position}::bigint
       AND (position, seq) > (${stream.done_position}::bigint, ${stream.done_seq}::bigint)
     ORDER BY position, seq LIMIT ${eventsMax}`.execute(db)).rows;
}

/** A finished delivery, to record. */
export interface FinishedDelivery {
  event: EventRow;
  state: 'delivered' | 'failed';
  attempts: number;
  status: number | null;
  error: string | null;
  startedAt: Date;
  attemptedAt: Date;
}

/** The outcome of a run on one queue. */
export interface RunResult {
  /** The key of the last event done (delivered, given up, or not of a subscribed type); null: none. */
  done: { position: string; seq: string } | null;
  /** Events may follow `done` in the rows read (the run stopped early): the queue stays pending. */
  more: boolean;
  /** The newest outbox row the run knows of (read, or the head at the claim): the queue stays pending only for a newer one. */
  seenHead: string;
  finished: FinishedDelivery[];
  /** The next event failed and will be retried. */
  retry: { attempts: number; firstAttemptAt: Date; delayMs: number; status: number | null; error: string } | null;
  /** The subscription's consecutive failures: reset by a delivery, raised by a failed attempt. */
  anyDelivered: boolean;
  failedAttempt: boolean;
  pauseAfter: number;
}

/**
 * Records a run in one statement: the finished deliveries, the queue's new place and retry state
 * (only if this is still the latest claim), and the subscription's run of failures (paused at
 * pauseAfter).
 */
export async function finishRun(db: Kysely<Database>, stream: ClaimedStream, run: RunResult): Promise<void> {
  const f = run.finished;
  const retry = run.retry;
  await sql`
    WITH q AS (
        UPDATE webhook_streams
           SET done_position = coalesce(${run.done?.position ?? null}::bigint, done_position),
               done_seq = coalesce(${run.done?.seq ?? null}::bigint, done_seq),
               attempts = ${retry?.attempts ?? 0},
               first_attempt_at = ${retry?.firstAttemptAt ?? null}::timestamptz,
               next_attempt_at = clock_timestamp() + ${retry?.delayMs ?? 0} * interval '1 millisecond',
               pending = ${run.more || retry !== null} OR head_position > ${run.seenHead}::bigint,
               last_attempt_at = coalesce(${f.at(-1)?.attemptedAt ?? null}::timestamptz, last_attempt_at),
               last_status = ${retry ? retry.status : f.at(-1)?.status ?? null}::int,
               last_error = ${retry ? retry.error.slice(0, 500) : f.at(-1)?.error?.slice(0, 500) ?? null},
               updated_at = clock_timestamp()
         WHERE subscription_id = ${stream.subscription_id}::uuid AND wallet_id = ${stream.wallet_id}::uuid AND claim = ${stream.claim}::bigint
    ), s AS (
        UPDATE webhook_subscriptions
           SET consecutive_failures = CASE WHEN ${run.failedAttempt} THEN (CASE WHEN ${run.anyDelivered} THEN 0 ELSE consecutive_failures END) + 1 ELSE 0 END,
               paused_at = CASE WHEN ${run.failedAttempt} AND paused_at IS NULL
                                 AND (CASE WHEN ${run.anyDelivered} THEN 0 ELSE consecutive_failures END) + 1 >= ${run.pauseAfter}
                                THEN clock_timestamp() ELSE paused_at END
         WHERE id = ${stream.subscription_id}::uuid AND (${run.failedAttempt} OR consecutive_failures <> 0)
    )
    INSERT INTO webhook_deliveries AS d (subscription_id, event_id, event_position, event_seq, event_type, wallet_id, event_recorded_at,
                                         state, attempts, last_attempt_at, last_status, last_error, created_at, completed_at, next_attempt_at)
    SELECT ${stream.subscription_id}::uuid, u.event_id, u.position, u.seq, u.type, ${stream.wallet_id}::uuid, u.recorded_at,
           u.state, u.attempts, u.attempted_at, u.status, u.error, u.started_at, clock_timestamp(), clock_timestamp()
      FROM unnest(${f.map((d) => d.event.id)}::uuid[], ${f.map((d) => d.event.position)}::bigint[], ${f.map((d) => d.event.seq)}::bigint[],
                  ${f.map((d) => d.event.type)}::text[], ${f.map((d) => d.event.recorded_at)}::timestamptz[], ${f.map((d) => d.state)}::text[],
                  ${f.map((d) => d.attempts)}::int[], ${f.map((d) => d.attemptedAt)}::timestamptz[], ${f.map((d) => d.status)}::int[],
                  ${f.map((d) => d.error?.slice(0, 500) ?? null)}::text[], ${f.map((d) => d.startedAt)}::timestamptz[])
           AS u(event_id, position, seq, type, recorded_at, state, attempts, attempted_at, status, error, started_at)
    ON CONFLICT (subscription_id, event_id) DO UPDATE
       SET state = excluded.state, attempts = d.attempts + excluded.attempts, last_attempt_at = excluded.last_attempt_at,
           last_status = excluded.last_status, last_error = excluded.last_error, completed_at = excluded.completed_at`.execute(db);
}

export interface OutboxLag {
  lagSeconds: number;
  pending: number;
}

/**
 * Age of the oldest event a subscription still waits for (the next event of a pending wallet queue,
 * or an outbox row not yet fanned out), and how many events the pending queues hold.
 */
export async function outboxLag(db: Kysely<Database>): Promise<OutboxLag> {
  const r = await sql<{ lag_seconds: number | null; pending: string }>`
    SELECT extract(epoch FROM clock_timestamp() - least(
             (SELECT min(x.recorded_at) FROM webhook_streams t CROSS JOIN LATERAL (
                  SELECT e.recorded_at FROM events e
                   WHERE e.wallet_id = t.wallet_id AND e.position >= t.done_position
                     AND (e.position > t.done_position OR e.seq_last > t.done_seq)
                   ORDER BY e.position LIMIT 1) x
               WHERE t.pending),
             (SELECT min(x.recorded_at) FROM webhook_subscriptions s CROSS JOIN LATERAL (
                  SELECT e.recorded_at FROM events e
                   WHERE e.tenant = s.tenant AND (e.feed_txid, e.position) > (s.cursor_txid, s.cursor_position)
                   ORDER BY e.feed_txid, e.position LIMIT 1) x)))::float8 AS lag_seconds,
           (SELECT coalesce(sum(CASE WHEN e.seq_last IS NULL THEN 1
                                     WHEN e.position = t.done_position THEN e.seq_last - t.done_seq
                                     ELSE e.seq_last - e.wallet_seq + 1 END), 0)
              FROM webhook_streams t JOIN events e ON e.wallet_id = t.wallet_id AND e.position >= t.done_position
                   AND (e.position > t.done_position OR e.seq_last > t.done_seq)
             WHERE t.pending) AS pending`.execute(db);
  const row = r.rows[0];
  return { lagSeconds: Math.max(0, row?.lag_seconds ?? 0), pending: Number(row?.pending ?? 0) };
}

export async function pruneEvents(db: Kysely<Database>, retentionHours: number, rowsMax: number):
  Promise<{ events: number; deliveries: number }> {
  const r = await sql<{ events_deleted: string; deliveries_deleted: string }>`
    SELECT * FROM events_prune(${retentionHours} * interval '1 hour', ${rowsMax})`.execute(db);
  return { events: Number(r.rows[0]?.events_deleted ?? 0), deliveries: Number(r.rows[0]?.deliveries_deleted ?? 0) };
}
