--liquibase formatted sql

--changeset wallet-service:016-hold-events splitStatements:false
--comment: hold events in the outbox: hold.created / hold.rejected when a hold is stored, hold.captured / hold.voided / hold.expired when it closes; statement triggers on holds, as changeset 015 does for operations
-- Holds are written only by apply_operations_v4, under their wallet's row lock, inside the engine's
-- batch transaction: the events commit with them. The same feed key as changeset 015 (greatest of
-- the xid and the wallet's latest event's key), so a wallet's hold and ledger events share one
-- order. Within one batch transaction events follow the order of the writes: v4 writes holds as it
-- judges each request and the batch's ledger rows (a capture's CAPTURE row among them) in one insert
-- at the end, so a hold event comes before the ledger events of the same batch. The payload is
-- the hold as GET /api/v1/holds/{id} shows it right after the change (src/wallets/hold-service.ts
-- holdView); a refusal's detail is added when served (src/events/event-view.ts).
-- Event id: md5('hold:' || hold id || ':' || the status it reached), stable across deliveries.
CREATE FUNCTION hold_event_payload(h public.holds)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
               'id', h.id, 'wallet_id', h.wallet_id, 'amount', h.amount::text, 'status', h.status,
               'captured_amount', h.captured_amount::text,
               'expires_at', to_char(h.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'created_at', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'closed_at', CASE WHEN h.status NOT IN ('HELD', 'REJECTED')
                                 THEN to_char(h.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END))
           -- explicit null when EXPIRED, as the API answers
           || jsonb_build_object('available_balance', CASE
                  WHEN h.status IN ('HELD', 'REJECTED') THEN h.available_after::text
                  WHEN h.status = 'EXPIRED' THEN NULL
                  ELSE h.closed_available_after::text END);
$$;
REVOKE ALL ON FUNCTION hold_event_payload(public.holds) FROM PUBLIC;

-- The rows to record: the holds an INSERT stored, or those an UPDATE moved to another status.
-- (Each branch names only the transition tables its trigger has: plpgsql parses a statement when
-- it first runs it, so the INSERT trigger never meets old_holds.)
CREATE FUNCTION events_from_holds()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changed public.holds[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n ORDER BY n.wallet_id, n.created_at, n.id) INTO changed FROM new_holds n;
    ELSE
        SELECT array_agg(n ORDER BY n.wallet_id, n.closed_at, n.id) INTO changed
          FROM new_holds n JOIN old_holds o ON o.id = n.id
         WHERE n.status IS DISTINCT FROM o.status;
    END IF;
    IF changed IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO public.events (feed_txid, id, type, tenant, wallet_id, wallet_seq, operation_id, payload)
    SELECT greatest(pg_current_xact_id(), p.feed_txid),
           md5('hold:' || c.id::text || ':' || c.status)::uuid,
           CASE c.status WHEN 'HELD' THEN 'hold.created' WHEN 'REJECTED' THEN 'hold.rejected' WHEN 'CAPTURED' THEN 'hold.captured'
                         WHEN 'VOIDED' THEN 'hold.voided' ELSE 'hold.expired' END,
           p.tenant, c.wallet_id, NULL, NULL, public.hold_event_payload(c)
      FROM unnest(changed) AS c
      JOIN (SELECT g.wallet_id, w.tenant,
                   (SELECT e.feed_txid FROM public.events e WHERE e.wallet_id = g.wallet_id
                     ORDER BY e.position DESC LIMIT 1) AS feed_txid
              FROM (SELECT DISTINCT x.wallet_id FROM unnest(changed) x) g
              JOIN public.wallets w ON w.id = g.wallet_id) p ON p.wallet_id = c.wallet_id
     ORDER BY c.wallet_id, c.closed_at NULLS FIRST, c.created_at, c.id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION events_from_holds() FROM PUBLIC;

-- A trigger with transition tables fires for one event: one for inserts, one for updates.
CREATE TRIGGER holds_events_insert AFTER INSERT ON holds
    REFERENCING NEW TABLE AS new_holds
    FOR EACH STATEMENT EXECUTE FUNCTION events_from_holds();
CREATE TRIGGER holds_events_update AFTER UPDATE ON holds
    REFERENCING OLD TABLE AS old_holds NEW TABLE AS new_holds
    FOR EACH STATEMENT EXECUTE FUNCTION events_from_holds();
--rollback DROP TRIGGER holds_events_update ON holds;
--rollback DROP TRIGGER holds_events_insert ON holds;
--rollback DROP FUNCTION events_from_holds();
--rollback DROP FUNCTION hold_event_payload(public.holds);
