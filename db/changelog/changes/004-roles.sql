--liquibase formatted sql

--changeset wallet-service:004-roles splitStatements:false
--comment: least-privilege roles: the app writes the ledger only by appending; PgBouncer's auth user reads nothing but its lookup
-- Roles are cluster-wide and carry no password here (none is ever committed): the deployment gives
-- them LOGIN and a password (compose: docker/postgres/initdb; local stack and tests: src/topology/roles.ts).
--   wallet_app        the application: read/write wallets, append to operations, call apply_operations.
--                     No UPDATE/DELETE/TRUNCATE on the ledger, no DDL, no access to authentication data.
--   pgbouncer_auth    PgBouncer's auth_user: may only call pgbouncer.get_auth() (changeset 005).
--   pgbouncer_client  group role: only its members can log in through PgBouncer's auth_query.
-- Migrations run as the schema owner (a separate role, never the app's).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgbouncer_client') THEN
        CREATE ROLE pgbouncer_client NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'wallet_app') THEN
        CREATE ROLE wallet_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgbouncer_auth') THEN
        CREATE ROLE pgbouncer_auth NOLOGIN;
    END IF;
END
$$;
GRANT pgbouncer_client TO wallet_app;
-- Nothing for the public pseudo-role beyond what it needs to connect.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO wallet_app;
GRANT SELECT, INSERT, UPDATE ON wallets TO wallet_app;
GRANT SELECT, INSERT ON operations TO wallet_app;
-- apply_operations is SECURITY INVOKER: calling it gives nothing beyond the table grants above.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO wallet_app;
-- Later changesets that add a table grant wallet_app exactly what it needs there, explicitly.
--rollback REVOKE ALL ON wallets, operations FROM wallet_app;
--rollback REVOKE ALL ON SCHEMA public FROM wallet_app;
--rollback REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM wallet_app;
--rollback GRANT USAGE ON SCHEMA public TO PUBLIC;
