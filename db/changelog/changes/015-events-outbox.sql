--liquibase formatted sql

--changeset wallet-service:015-events-outbox splitStatements:false
--comment: transactional outbox: one event per ledger row, written by a statement trigger on operations in the ledger's own statement; a feed key that never lets a commit slip behind a cursor; webhook subscriptions and deliveries
-- Why a trigger and not apply_operations: every writer of the ledger (apply_operations v1-v3 and
-- whatever replaces them) inserts into `operations`, so an AFTER INSERT trigger writes the event in
-- the same statement and transaction as the ledger row, whoever wrote it. FOR EACH STATEMENT with a
-- transition table: one INSERT ... SELECT per batch statement, not one per row.
--
-- The feed key (feed_txid, position), and why a consumer that follows it never misses an event:
--   feed_txid = greatest(the writing transaction's xid, the feed_txid of the wallet's previous event)
--   (the previous event: the wallet's latest, whatever its source; every source writes under the
--   wallet's row lock, so the latest committed one is the previous one).
--   The feed serves only events with feed_txid < xmin of the current snapshot (the oldest
--   transaction still running). Every transaction still running has xid >= xmin and writes keys
--   >= its own xid; every later transaction gets a larger xid. So once a key is below xmin, no
--   event with a smaller key can ever commit: a cursor never has an event committed behind it.
--   The greatest() keeps each wallet's events in seq order in the feed: a transaction that took
--   its xid early (locking another wallet first) but wrote the wallet's next seq after a
--   transaction with a larger xid does not sort before it. `position` (an identity) breaks ties
--   and orders a statement's rows by (wallet, seq).
-- This relies on one PostgreSQL primary assigning xids (true behind PgBouncer and after a
-- Patroni failover, where the promoted standby continues the xid sequence). A sharded cluster
-- (Citus) has one xid sequence per node: it would need a per-shard feed or a global commit order.
CREATE TABLE events (
    position     bigint      GENERATED ALWAYS AS IDENTITY,
    feed_txid    xid8        NOT NULL,
    -- stable id, the same in the feed and on every webhook attempt (consumers deduplicate by it):
    -- for a ledger row, md5(wallet_id:operation_id) as a uuid (a transfer's two legs share their id)
    id           uuid        NOT NULL,
    type         text        NOT NULL,
    tenant       text        NOT NULL,
    wallet_id    uuid        NOT NULL,
    wallet_seq   bigint,
    operation_id uuid,
    -- the object as the API shows it (GET /wallets/{w}/operations/{id}), at the time of the event
    payload      jsonb       NOT NULL,
    -- written just before the commit: outbox lag is measured from here
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_type_valid CHECK (type ~ '^[a-z]+\.[a-z]+$'),
    -- A wallet's events in order (position order is the wallet's commit order: its writers hold the
    -- wallet's row lock): the triggers' previous-event probe and the feed's wallet filter. By position,
    -- not wallet_seq, so that events without a ledger seq (holds, changeset 016) are found too.
    -- The key leads with the wallet on purpose: with an index on position alone, the planner's
    -- generic plan for the probe (a wallet id known only at run time, stats dominated by a hot
    -- wallet) walked that index backwards filtering on the wallet, which for a wallet without
    -- events is the whole table (measured: 350 ms per new wallet at 234k events). Nothing else
    -- orders by position alone, so the probe can only take this index.
    CONSTRAINT events_pkey PRIMARY KEY (wallet_id, position)
);
-- No index on id: nothing looks an event up by it (deliveries carry their event's position), and
-- it is unique by construction ((wallet_id, operation_id) is the ledger's primary key); a random
-- uuid index would be the costliest of the hot path's inserts.
-- The feed (and the webhook fan-out) walks one tenant's events in key order.
CREATE INDEX events_feed ON events (tenant, feed_txid, position);
-- retention walks the oldest first
CREATE INDEX events_recorded_at ON events (recorded_at);

-- Type names: src/events/event-names.ts holds the same list (test/events/event-names.test.ts
-- checks that every ledger row type maps to a name in it).
CREATE FUNCTION events_from_operations()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.events (feed_txid, id, type, tenant, wallet_id, wallet_seq, operation_id, payload)
    SELECT greatest(pg_current_xact_id(), p.feed_txid),
           md5(n.wallet_id::text || ':' || n.id::text)::uuid,
           CASE
               WHEN n.operation_type IN ('DEPOSIT', 'WITHDRAW') THEN
                   CASE n.status WHEN 'SUCCESS' THEN 'operation.succeeded' ELSE 'operation.rejected' END
               WHEN n.operation_type = 'TRANSFER_OUT' THEN
                   CASE n.status WHEN 'SUCCESS' THEN 'transfer.sent' ELSE 'transfer.rejected' END
               WHEN n.operation_type = 'TRANSFER_IN' THEN 'transfer.received'
               WHEN n.operation_type IN ('REVERSAL_OUT', 'REVERSAL_IN') THEN
                   CASE n.status WHEN 'SUCCESS' THEN 'reversal.succeeded' ELSE 'reversal.rejected' END
               -- A ledger type added later (holds' CAPTURE) must never make a money movement fail
               -- for want of an event name: it is an operation until a changeset names it.
               -- src/events/event-names.ts's eventTypeOf stops compiling until it is handled there.
               ELSE CASE n.status WHEN 'SUCCESS' THEN 'operation.succeeded' ELSE 'operation.rejected' END
           END,
           p.tenant, n.wallet_id, n.seq, n.id,
           -- the API's view: money as NUMERIC(18,2) text ("100.00"), time as toISOString() prints it
           -- (UTC, milliseconds truncated as node-postgres truncates them); optional fields absent
           jsonb_strip_nulls(jsonb_build_object(
               'id', n.id, 'wallet_id', n.wallet_id, 'operation_type', n.operation_type,
               'amount', n.amount::text, 'status', n.status, 'balance', n.balance_after::text,
               'counterparty_wallet_id', n.counterparty_wallet_id, 'reverses_id', n.reverses_id,
               -- a capture's row names its hold (the same id), as GET of the operation does
               'hold_id', CASE WHEN n.operation_type = 'CAPTURE' THEN n.id END,
               'created_at', to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
      FROM new_operations n
      -- once per wallet of the statement, not per row: its tenant and its previous event's key
      JOIN (SELECT g.wallet_id, w.tenant,
                   (SELECT e.feed_txid FROM public.events e
                     WHERE e.wallet_id = g.wallet_id
                     ORDER BY e.position DESC LIMIT 1) AS feed_txid
              FROM (SELECT DISTINCT wallet_id FROM new_operations) g
              JOIN public.wallets w ON w.id = g.wallet_id) p ON p.wallet_id = n.wallet_id
     ORDER BY n.wallet_id, n.seq;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION events_from_operations() FROM PUBLIC;

CREATE TRIGGER operations_events AFTER INSERT ON operations
    REFERENCING NEW TABLE AS new_operations
    FOR EACH STATEMENT EXECUTE FUNCTION events_from_operations();

CREATE TABLE webhook_subscriptions (
    id                   uuid        PRIMARY KEY,
    tenant               text        NOT NULL REFERENCES tenants (name),
    url                  text        NOT NULL,
    event_types          text[]      NOT NULL,
    -- the signing secret, encrypted by the app (src/webhooks/secret-box.ts): 'v1:<iv>:<tag>:<ciphertext>'
    -- with WEBHOOK_SECRET_KEY, or 'plain:<secret>' when no key is configured
    secret               text        NOT NULL,
    description          text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    -- set when consecutive_failures reached WEBHOOK_PAUSE_AFTER_FAILURES; cleared by POST .../resume
    paused_at            timestamptz,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    -- the fan-out's position in the tenant's feed: events after it get a delivery row
    cursor_txid          xid8        NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
    cursor_position      bigint      NOT NULL DEFAULT 0,
    CONSTRAINT webhook_subscriptions_url_valid CHECK (url ~ '^https?://' AND char_length(url) <= 2048),
    CONSTRAINT webhook_subscriptions_types_valid CHECK (cardinality(event_types) > 0),
    CONSTRAINT webhook_subscriptions_description_length CHECK (char_length(description) <= 200)
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant);

-- One row per (subscription, event). state: pending → delivered | failed. next_attempt_at doubles
-- as the claim's lease: a claimed row is not claimable again until its attempt timed out.
CREATE TABLE webhook_deliveries (
    subscription_id  uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_position   bigint      NOT NULL,
    event_id         uuid        NOT NULL,
    event_type       text        NOT NULL,
    wallet_id        uuid        NOT NULL,
    event_recorded_at timestamptz NOT NULL,
    state            text        NOT NULL DEFAULT 'pending',
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (subscription_id, event_position),
    CONSTRAINT webhook_deliveries_state_valid CHECK (state IN ('pending', 'delivered', 'failed'))
);
-- claims: due pending rows; the head of each (subscription, wallet) queue. Per wallet, feed order
-- (hence event_position order) is seq order (changeset header), so the head is the lowest position.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (subscription_id, wallet_id, event_position) WHERE state = 'pending';
-- GET /webhooks/{id}/deliveries, newest first
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (subscription_id, event_position DESC);

-- Retention: events older than p_older_than that no subscription still needs (no pending delivery,
-- and behind every subscription's fan-out cursor), and finished deliveries as old; at most p_rows_max
-- of each per call. SECURITY DEFINER: the app role cannot delete events itself.
CREATE FUNCTION events_prune(p_older_than interval, p_rows_max integer)
RETURNS TABLE (events_deleted bigint, deliveries_deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH d AS (
        DELETE FROM public.webhook_deliveries x
         WHERE (x.subscription_id, x.event_position) IN (
                SELECT y.subscription_id, y.event_position FROM public.webhook_deliveries y
                 WHERE y.state <> 'pending' AND y.completed_at < now() - p_older_than
                 LIMIT p_rows_max)
        RETURNING 1)
    SELECT count(*) INTO deliveries_deleted FROM d;
    WITH e AS (
        DELETE FROM public.events x
         WHERE (x.wallet_id, x.position) IN (
                SELECT y.wallet_id, y.position FROM public.events y
                 WHERE y.recorded_at < now() - p_older_than
                   AND NOT EXISTS (SELECT 1 FROM public.webhook_deliveries d
                                    WHERE d.event_position = y.position AND d.state = 'pending')
                   AND NOT EXISTS (SELECT 1 FROM public.webhook_subscriptions s
                                    WHERE s.tenant = y.tenant
                                      AND (s.cursor_txid, s.cursor_position) < (y.feed_txid, y.position))
                 ORDER BY y.recorded_at
                 LIMIT p_rows_max)
        RETURNING 1)
    SELECT count(*) INTO events_deleted FROM e;
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION events_prune(interval, integer) FROM PUBLIC;

REVOKE ALL ON events, webhook_subscriptions, webhook_deliveries FROM PUBLIC;
-- The app reads events (the feed, the fan-out) but never writes or deletes them: only the trigger
-- and events_prune do, as the owner.
GRANT SELECT ON events TO wallet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions, webhook_deliveries TO wallet_app;
GRANT EXECUTE ON FUNCTION events_prune(interval, integer) TO wallet_app;
--rollback DROP FUNCTION events_prune(interval, integer);
--rollback DROP TABLE webhook_deliveries;
--rollback DROP TABLE webhook_subscriptions;
--rollback DROP TRIGGER operations_events ON operations;
--rollback DROP FUNCTION events_from_operations();
--rollback DROP TABLE events;
