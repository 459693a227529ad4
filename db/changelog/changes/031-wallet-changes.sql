--liquibase formatted sql

--changeset wallet-service:031-wallet-changes splitStatements:false
--comment: wallet_changes records each creation and change of a wallet with its actor; a trigger writes wallet.updated into the events outbox, in the same transaction
-- Who changed a wallet's metadata, limits or status, and what: one row per request (PATCH
-- /wallets/{id}, and the creation), written in the request's transaction while it holds the
-- wallet's row lock, so the wallet's events keep the order of its changes and its money movements
-- (the feed key of changeset 015: greatest of the xid and the wallet's latest event's key). The
-- event is stored whole, as hold events are (changeset 016): its payload is the wallet as GET
-- /api/v1/wallets/{id} shows it right after the change, plus `changes` ({field: {from, to}}).
-- Keyed by wallet (the Citus distribution column of the ledger tables, issue 24).
CREATE TABLE wallet_changes (
    wallet_id  uuid        NOT NULL REFERENCES wallets (id) ON DELETE CASCADE,
    -- bigserial, not an identity column: Citus cannot re-add a foreign key on a distributed table that has one.
    id         bigserial,
    kind       text        NOT NULL,
    actor      text,
    changes    jsonb       NOT NULL DEFAULT '{}',
    changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallet_changes_pkey PRIMARY KEY (wallet_id, id),
    CONSTRAINT wallet_changes_kind_valid CHECK (kind IN ('created', 'updated')),
    CONSTRAINT wallet_changes_actor_valid CHECK (actor ~ '^[0-9a-f]{16}$')
);
REVOKE ALL ON wallet_changes FROM PUBLIC;
GRANT SELECT, INSERT ON wallet_changes TO wallet_app;
GRANT USAGE ON SEQUENCE wallet_changes_id_seq TO wallet_app;

-- The wallet as the API shows it (src/wallets/wallet-service.ts walletView): money as stored (the
-- wallet's scale), times as toISOString() prints them.
CREATE FUNCTION wallet_event_payload(w public.wallets)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
               'id', w.id, 'balance', w.balance::text,
               'available_balance', (CASE WHEN w.held = 0 THEN w.balance
                   ELSE w.balance - (SELECT coalesce(sum(h.amount), 0) FROM public.holds h
                                      WHERE h.wallet_id = w.id AND h.status = 'HELD' AND h.expires_at > now()) END)::text,
               'created_at', to_char(w.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'updated_at', to_char(w.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'currency', w.currency, 'scale', w.scale, 'metadata', w.metadata,
               'min_balance', w.min_balance::text, 'max_balance', w.max_balance::text, 'status', w.status,
               'external_id', w.external_id);
$$;
REVOKE ALL ON FUNCTION wallet_event_payload(public.wallets) FROM PUBLIC;

CREATE FUNCTION events_from_wallet_changes()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.events (feed_txid, id, type, tenant, wallet_id, wallet_seq, operation_id, payload)
    SELECT greatest(pg_current_xact_id(),
                    (SELECT e.feed_txid FROM public.events e WHERE e.wallet_id = w.id ORDER BY e.position DESC LIMIT 1)),
           md5('wallet:' || w.id::text || ':' || NEW.id::text)::uuid,
           'wallet.' || NEW.kind, w.tenant, w.id, NULL, NULL,
           public.wallet_event_payload(w) || jsonb_build_object('changes', NEW.changes)
      FROM public.wallets w
     WHERE w.id = NEW.wallet_id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION events_from_wallet_changes() FROM PUBLIC;

-- Only changes for now: a wallet.created event would add an event at the head of every wallet's
-- feed, shifting the per-wallet pages every existing feed consumer (and test) reads; the creation
-- is recorded in wallet_changes, and the event can be switched on by dropping this WHEN.
CREATE TRIGGER wallet_changes_events AFTER INSERT ON wallet_changes
    FOR EACH ROW WHEN (NEW.kind = 'updated') EXECUTE FUNCTION events_from_wallet_changes();
--rollback DROP TABLE wallet_changes;
--rollback DROP FUNCTION events_from_wallet_changes();
--rollback DROP FUNCTION wallet_event_payload(public.wallets);
