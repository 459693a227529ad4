--liquibase formatted sql

--changeset wallet-service:events-outbox-functions runOnChange:true splitStatements:false
--comment: the outbox's functions: events_from_operations() (the ledger's statement trigger writes one outbox row per wallet and run of seqs) and events_prune() (retention)
-- This file holds the functions alone and Liquibase re-runs it whenever it changes (run-on-change),
-- so a fix edits them here in place instead of restating them in a new change file. CREATE OR
-- REPLACE keeps the grants and the trigger. The tables they need (events.seq_last, webhook_streams)
-- come from changeset 017, which the master changelog includes before this file; changeset 015
-- explains the feed key, 017 the ranges.

-- Once per wallet of the statement, one row per run of consecutive seqs (one statement writes a
-- wallet's rows with consecutive seqs; the grouping keeps this true whatever a writer does).
CREATE OR REPLACE FUNCTION events_from_operations()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.events (feed_txid, tenant, wallet_id, wallet_seq, seq_last)
    SELECT greatest(pg_current_xact_id(),
                    (SELECT e.feed_txid FROM public.events e WHERE e.wallet_id = r.wallet_id ORDER BY e.position DESC LIMIT 1)),
           w.tenant, r.wallet_id, r.seq_first, r.seq_last
      FROM (SELECT g.wallet_id, min(g.seq) AS seq_first, max(g.seq) AS seq_last
              FROM (SELECT n.wallet_id, n.seq, n.seq - row_number() OVER (PARTITION BY n.wallet_id ORDER BY n.seq) AS run
                      FROM new_operations n) g
             GROUP BY g.wallet_id, g.run) r
      JOIN public.wallets w ON w.id = r.wallet_id
     ORDER BY r.wallet_id, r.seq_first;
    RETURN NULL;
END
$$;

-- Retention: events older than p_older_than that every subscription of their tenant is done with
-- (its fan-out passed them and its stream for the wallet delivered them), and finished deliveries
-- as old; at most p_rows_max of each per call.
CREATE OR REPLACE FUNCTION events_prune(p_older_than interval, p_rows_max integer)
RETURNS TABLE (events_deleted bigint, deliveries_deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH d AS (
        DELETE FROM public.webhook_deliveries x
         WHERE (x.subscription_id, x.event_id) IN (
                SELECT y.subscription_id, y.event_id FROM public.webhook_deliveries y
                 WHERE y.completed_at < now() - p_older_than
                 ORDER BY y.completed_at
                 LIMIT p_rows_max)
        RETURNING 1)
    SELECT count(*) INTO deliveries_deleted FROM d;
    WITH e AS (
        DELETE FROM public.events x
         WHERE (x.wallet_id, x.position) IN (
                SELECT y.wallet_id, y.position FROM public.events y
                 WHERE y.recorded_at < now() - p_older_than
                   AND NOT EXISTS (SELECT 1 FROM public.webhook_subscriptions s
                                    WHERE s.tenant = y.tenant
                                      AND ((s.cursor_txid, s.cursor_position) < (y.feed_txid, y.position)
                                           OR EXISTS (SELECT 1 FROM public.webhook_streams t
                                                       WHERE t.subscription_id = s.id AND t.wallet_id = y.wallet_id
                                                         AND (t.done_position, t.done_seq) < (y.position, coalesce(y.seq_last, 0)))))
                 ORDER BY y.recorded_at
                 LIMIT p_rows_max)
        RETURNING 1)
    SELECT count(*) INTO events_deleted FROM e;
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION events_from_operations() FROM PUBLIC;
REVOKE ALL ON FUNCTION events_prune(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_prune(interval, integer) TO wallet_app;
