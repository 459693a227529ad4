--liquibase formatted sql

--changeset wallet-service:019-app-statement-timeout splitStatements:false
--comment: a server-side statement_timeout for everything the app role runs outside its engine transactions (reads above all)
-- The engine's transactions set their own bound (SET LOCAL statement_timeout, DB_STATEMENT_TIMEOUT_MS),
-- but reads are single statements: their only bound was the client's query_timeout, after which the
-- server kept running the abandoned query, holding a PgBouncer server connection. A session SET is
-- not allowed under transaction pooling and PgBouncer refuses statement_timeout as a startup
-- parameter; a role default is applied by the server itself when the connection logs in. 5 s, the
-- default of DB_STATEMENT_TIMEOUT_MS: every read the app makes is an index lookup or a bounded page.
-- `npm run reconcile` (a full scan, run as the app role in Compose) lifts it with SET LOCAL.
-- Role defaults are not inherited: a login role that is a member of wallet_app (the a/b pair of a
-- password rotation) needs the same ALTER ROLE (docs/operations.md).
DO $$
BEGIN
    EXECUTE format('ALTER ROLE wallet_app IN DATABASE %I SET statement_timeout = %L', current_database(), '5s');
END
$$;
--rollback DO $$ BEGIN EXECUTE format('ALTER ROLE wallet_app IN DATABASE %I RESET statement_timeout', current_database()); END $$;
