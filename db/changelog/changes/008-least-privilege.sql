--liquibase formatted sql

--changeset wallet-service:008-least-privilege splitStatements:false
--comment: no temporary tables for anyone but the owner: closes the last DDL the app role could run (PUBLIC has TEMPORARY by default)
-- CREATE TEMP TABLE is DDL, and under PgBouncer's transaction pooling a temporary table would
-- outlive the app's transaction on a shared server connection. PostgreSQL grants TEMPORARY on
-- every database to PUBLIC by default, so wallet_app (changeset 004) could still create them.
-- The database's name differs between deployments (compose: wallet, tests: postgres), hence
-- current_database(). Proven by test/privileges/least-privilege.test.ts.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
--rollback DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database()); END $$;
