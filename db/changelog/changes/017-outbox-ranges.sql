--liquibase formatted sql

--changeset wallet-service:017-outbox-ranges splitStatements:false
--comment: the ledger's outbox row names the ledger rows it covers (one row per wallet per statement, seqs wallet_seq..seq_last) instead of one row with a JSON copy per ledger row; events are built from the immutable ledger rows when served (view event_log). Webhook delivery keeps one position per (subscription, wallet) instead of one queued row per (subscription, event)
-- Why: measured on the hot-wallet benchmark (issue 14), the per-row outbox (a jsonb payload, an
-- md5 id and three index entries per ledger row) cost ~25 µs of PostgreSQL CPU per operation and
-- ~16% of throughput; the per-event delivery rows another ~25%. A ledger row never changes once
-- written, so the event it stands for can be built from it whenever it is read: the payload, the id
-- (md5(wallet_id:operation_id), as before) and the type (ledger_event_type below) are those that
-- the trigger of 015 wrote. Hold events (changeset 016) stay stored whole: a hold changes after the event.
-- Every guarantee of changeset 015 holds unchanged: the outbox row is written by the same statement
-- trigger in the ledger's own statement and transaction, with the same feed key (feed_txid,
-- position); inside one row, events follow the ledger's seq. A feed key is now (feed_txid, position,
-- seq), seq 0 for a row that holds one stored event.
-- The trigger function and events_prune() change here and live on in functions/events-outbox.sql
-- (run-on-change, included right after this file), so that a later fix edits them in place.


-- Two shapes of outbox row: one event stored whole (hold events; ledger events written before
-- 017), or a range of ledger rows (seq_last set; id, type and payload come from the ledger).
ALTER TABLE events
    ALTER COLUMN id DROP NOT NULL,
    ALTER COLUMN type DROP NOT NULL,
    ALTER COLUMN payload DROP NOT NULL,
    ADD COLUMN seq_last bigint;
ALTER TABLE events ADD CONSTRAINT events_shape CHECK (
    (seq_last IS NULL AND id IS NOT NULL AND type IS NOT NULL AND payload IS NOT NULL)
    OR (seq_last IS NOT NULL AND wallet_seq IS NOT NULL AND seq_last >= wallet_seq AND id IS NULL AND type IS NULL AND payload IS NULL));


-- The event type of a ledger row (src/events/event-names.ts eventTypeOf says the same; a test
-- compares the two over every type and status). Plain SQL, so the planner inlines it.
CREATE FUNCTION ledger_event_type(p_operation_type text, p_status text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN p_operation_type = 'TRANSFER_OUT' THEN
                   CASE p_status WHEN 'SUCCESS' THEN 'transfer.sent' ELSE 'transfer.rejected' END
               WHEN p_operation_type = 'TRANSFER_IN' THEN 'transfer.received'
               WHEN p_operation_type IN ('REVERSAL_OUT', 'REVERSAL_IN') THEN
                   CASE p_status WHEN 'SUCCESS' THEN 'reversal.succeeded' ELSE 'reversal.rejected' END
               -- DEPOSIT, WITHDRAW, CAPTURE, and any ledger type added later until it is named: a money
               -- movement must never fail for want of an event name
               ELSE CASE p_status WHEN 'SUCCESS' THEN 'operation.succeeded' ELSE 'operation.rejected' END
           END
$$;

-- Every event, one row each, in feed order (feed_txid, position, seq): a stored event as stored; a
-- ledger event built from its ledger row (payload null: src/events/event-view.ts builds it with the
-- API's own view). The feed, the webhooks and the checks read events through this view.
CREATE VIEW event_log AS
SELECT e.position, e.feed_txid, e.tenant, e.wallet_id, e.recorded_at,
       coalesce(o.seq, 0) AS seq,
       coalesce(o.seq, e.wallet_seq) AS wallet_seq,
       coalesce(e.id, md5(o.wallet_id::text || ':' || o.id::text)::uuid) AS id,
       coalesce(e.type, ledger_event_type(o.operation_type, o.status)) AS type,
       e.payload,
       e.seq_last,
       o.id AS operation_id, o.operation_type, o.amount, o.status, o.balance_after, o.counterparty_wallet_id,
       o.reverses_id, o.held, o.created_at
  FROM events e
  LEFT JOIN LATERAL (
       SELECT x.* FROM operations x
        WHERE x.wallet_id = e.wallet_id AND x.seq BETWEEN e.wallet_seq AND e.seq_last
        ORDER BY x.seq) o ON e.seq_last IS NOT NULL
 WHERE e.seq_last IS NULL OR o.seq IS NOT NULL;
REVOKE ALL ON event_log FROM PUBLIC;
GRANT SELECT ON event_log TO wallet_app;

-- Webhook delivery: one row per (subscription, wallet) with how far delivery got, instead of a
-- queued row per (subscription, event). Events of one wallet are delivered in (position, seq)
-- order, one at a time; the row is also the claim (a lease in next_attempt_at, a claim counter so
-- that only the latest claim's results count) and the retry state of the wallet's next event.
CREATE TABLE webhook_streams (
    subscription_id  uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    wallet_id        uuid        NOT NULL,
    -- the wallet's newest outbox row the subscription's fan-out has passed
    head_position    bigint      NOT NULL,
    -- done (delivered, given up, or not of a subscribed type): every event with a key up to
    -- (done_position, done_seq) in the wallet's (position, seq) order
    done_position    bigint      NOT NULL,
    done_seq         bigint      NOT NULL DEFAULT 0,
    pending          boolean     NOT NULL DEFAULT true,
    -- the next event's failed attempts so far, and when the first of them started
    attempts         integer     NOT NULL DEFAULT 0,
    first_attempt_at timestamptz,
    -- due from then (a claim moves it past the claim's lease)
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claim            bigint      NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    last_status      integer,
    last_error       text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_streams_pkey PRIMARY KEY (subscription_id, wallet_id),
    CONSTRAINT webhook_streams_attempts_valid CHECK (attempts >= 0 AND (attempts = 0) = (first_attempt_at IS NULL))
);
CREATE INDEX webhook_streams_due ON webhook_streams (next_attempt_at) WHERE pending;

-- The subscriptions' queued deliveries become streams that start at each wallet's oldest one (events
-- between them that were delivered already are sent again: at least once, with the same ids).
INSERT INTO webhook_streams (subscription_id, wallet_id, head_position, done_position)
SELECT d.subscription_id, d.wallet_id,
       (SELECT max(e.position) FROM events e WHERE e.wallet_id = d.wallet_id),
       min(d.event_position) - 1
  FROM webhook_deliveries d
 WHERE d.state = 'pending'
 GROUP BY d.subscription_id, d.wallet_id;
DELETE FROM webhook_deliveries WHERE state = 'pending';

-- webhook_deliveries is now the record of finished deliveries (delivered or failed), written when
-- they finish, one row per (subscription, event) (a delivery sent again after a crash updates it).
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_deliveries ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (subscription_id, event_id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_finished CHECK (state IN ('delivered', 'failed') AND completed_at IS NOT NULL);
DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_queue;
DROP INDEX webhook_deliveries_recent;
-- GET /webhooks/{id}/deliveries, newest first; retention walks completed_at too
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (subscription_id, completed_at DESC);
CREATE INDEX webhook_deliveries_completed ON webhook_deliveries (completed_at);


REVOKE ALL ON webhook_streams FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_streams TO wallet_app;
--rollback DROP TABLE webhook_streams;
--rollback DROP VIEW event_log;
--rollback DROP FUNCTION ledger_event_type(text, text);
