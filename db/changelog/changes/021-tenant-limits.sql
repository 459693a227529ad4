--liquibase formatted sql

--changeset wallet-service:021-tenant-limits splitStatements:false
--comment: per-tenant quotas that hold across processes (requests per second per tenant and per key, wallets), and the retention of refused ledger rows
-- Why (issue 25, item 6): the request rate limit was a token bucket per key and per process, so N
-- processes gave N times the rate, and nothing bounded a tenant's wallets. The shared state lives in
-- PostgreSQL because every process already talks to it and nothing else is shared between them.
--
-- tenant_limits: set by `npm run keys -- limits` (scripts/keys.ts), read by the app (cached per
-- process for KEY_CACHE_TTL_MS). NULL: no limit. wallets_used counts the tenant's wallet creations
-- once wallets_max is set (the CLI counts the existing wallets when it sets it); a creation takes
-- one in the same statement that inserts the wallet (src/wallets/wallet-repository.ts), so two
-- processes cannot both take the last one.
CREATE TABLE tenant_limits (
    tenant                  text    PRIMARY KEY REFERENCES tenants (name),
    requests_per_second     integer,
    key_requests_per_second integer,
    wallets_max             bigint,
    wallets_used            bigint  NOT NULL DEFAULT 0,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_limits_rps_positive CHECK (requests_per_second > 0 AND key_requests_per_second > 0),
    CONSTRAINT tenant_limits_wallets_valid CHECK (wallets_max >= 0 AND wallets_used >= 0)
);
REVOKE ALL ON tenant_limits FROM PUBLIC;
GRANT SELECT ON tenant_limits TO wallet_app;
GRANT UPDATE (wallets_used) ON tenant_limits TO wallet_app;

-- rate_leases: the requests granted per subject ('tenant:<name>' or 'key:<id>') and one-second
-- window (epoch seconds, the database's clock). A process leases a slice of the window's budget at a
-- time (src/auth/shared-rate-limit.ts) and spends it locally, so the sum granted over all processes
-- never passes the limit, and a process asks again only when its slice is spent. last_grant is what
-- the latest lease added (the difference between the new and the old `granted`, which RETURNING
-- cannot see otherwise). UNLOGGED: a crash or a failover loses at most the current second's counts,
-- and a lease costs no WAL. Old windows are deleted by the leasing process now and then.
CREATE UNLOGGED TABLE rate_leases (
    subject      text    NOT NULL,
    window_start bigint  NOT NULL,
    granted      integer NOT NULL,
    last_grant   integer NOT NULL,
    CONSTRAINT rate_leases_pkey PRIMARY KEY (subject, window_start)
);
REVOKE ALL ON rate_leases FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_leases TO wallet_app;

ALTER TABLE api_key_audit DROP CONSTRAINT api_key_audit_action_valid;
ALTER TABLE api_key_audit ADD CONSTRAINT api_key_audit_action_valid
    CHECK (action IN ('create-tenant', 'create', 'revoke', 'rotate', 'designate-operator', 'grant-operator', 'set-limits'));
--rollback DELETE FROM api_key_audit WHERE action = 'set-limits';
--rollback ALTER TABLE api_key_audit DROP CONSTRAINT api_key_audit_action_valid;
--rollback ALTER TABLE api_key_audit ADD CONSTRAINT api_key_audit_action_valid CHECK (action IN ('create-tenant', 'create', 'revoke', 'rotate', 'designate-operator', 'grant-operator'));
--rollback DROP TABLE rate_leases;
--rollback DROP TABLE tenant_limits;

--changeset wallet-service:021-refusal-retention splitStatements:false runOnChange:true
--comment: refusals_prune(): refused ledger rows and holds (kept only to replay their Idempotency-Key) are deleted after IDEMPOTENCY_RETENTION_HOURS
-- A refused request with an Idempotency-Key leaves a REJECTED row so that its replay is the same
-- 400. Those rows move no money and are the only ones a client can make without limit (fresh keys
-- on an empty wallet), so they are kept for the retention only. An operations row is deleted only
-- once no outbox row covers it (the feed reads ledger rows through their outbox row), so a
-- subscriber that still needs its event gets it; a hold's event carries its own payload. Applied
-- rows (SUCCESS) are the ledger and are never deleted: their keys replay for ever.
CREATE OR REPLACE FUNCTION refusals_prune(p_older_than interval, p_rows_max integer)
RETURNS TABLE (operations_deleted bigint, holds_deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WITH d AS (
        DELETE FROM public.operations x
         WHERE (x.wallet_id, x.id) IN (
                SELECT o.wallet_id, o.id FROM public.operations o
                 WHERE o.status = 'REJECTED' AND o.created_at < now() - p_older_than
                   AND NOT EXISTS (SELECT 1 FROM public.events e
                                    WHERE e.wallet_id = o.wallet_id AND e.wallet_seq IS NOT NULL
                                      AND o.seq BETWEEN e.wallet_seq AND coalesce(e.seq_last, e.wallet_seq))
                 LIMIT p_rows_max)
        RETURNING 1)
    SELECT count(*) INTO operations_deleted FROM d;
    WITH h AS (
        DELETE FROM public.holds x
         WHERE x.id IN (SELECT y.id FROM public.holds y
                         WHERE y.status = 'REJECTED' AND y.created_at < now() - p_older_than
                         LIMIT p_rows_max)
        RETURNING 1)
    SELECT count(*) INTO holds_deleted FROM h;
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION refusals_prune(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refusals_prune(interval, integer) TO wallet_app;
-- The prune's scan: refused rows only, oldest first.
CREATE INDEX IF NOT EXISTS operations_refused ON operations (created_at) WHERE status = 'REJECTED';
CREATE INDEX IF NOT EXISTS holds_refused ON holds (created_at) WHERE status = 'REJECTED';
--rollback DROP INDEX IF EXISTS holds_refused;
--rollback DROP INDEX IF EXISTS operations_refused;
--rollback DROP FUNCTION IF EXISTS refusals_prune(interval, integer);
