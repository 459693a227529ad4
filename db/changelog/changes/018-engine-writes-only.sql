--liquibase formatted sql

--changeset wallet-service:018-engine-writes-only splitStatements:false
--comment: the app role writes balances, holds and ledger rows only through apply_operations_v4 (SECURITY DEFINER)
-- Until now wallet_app could UPDATE any column of wallets (balance, held, tenant) and INSERT
-- ledger rows and holds directly: a bug or an injection in the app could move money or a wallet
-- to another tenant without a ledger row. The engine function runs as the owner (its file pins
-- search_path), so the app keeps: creating a wallet (id and tenant only: the balance starts at
-- its default, 0), reading everything it read before, and calling the function. The retired
-- engine versions are SECURITY INVOKER and would now fail for the app; it no longer may call them.
-- Proven by test/privileges/least-privilege.test.ts.
REVOKE INSERT, UPDATE ON wallets FROM wallet_app;
GRANT INSERT (id, tenant) ON wallets TO wallet_app;
REVOKE INSERT ON operations FROM wallet_app;
REVOKE INSERT, UPDATE ON holds FROM wallet_app;
-- Every retired version, whatever its signature (004 granted EXECUTE on all functions then present).
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
              WHERE p.pronamespace = 'public'::regnamespace AND p.proname IN ('apply_operations', 'apply_operations_v2', 'apply_operations_v3')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM wallet_app, PUBLIC', f);
    END LOOP;
END
$$;
--rollback REVOKE INSERT (id, tenant) ON wallets FROM wallet_app;
--rollback GRANT INSERT, UPDATE ON wallets TO wallet_app;
--rollback GRANT INSERT ON operations TO wallet_app;
--rollback GRANT INSERT, UPDATE ON holds TO wallet_app;
--rollback GRANT EXECUTE ON FUNCTION apply_operations(uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) TO wallet_app;
--rollback GRANT EXECUTE ON FUNCTION apply_operations_v2(uuid[], uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) TO wallet_app;
--rollback GRANT EXECUTE ON FUNCTION apply_operations_v3(uuid[], uuid[], uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) TO wallet_app;
