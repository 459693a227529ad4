-- Reference tables for pgbench, copied from the service's own wallets/operations as the Liquibase
-- changelog left them (columns, defaults, CHECK constraints, primary and unique keys, the partial
-- idempotency index), so that they cannot drift from it; LIKE does not copy foreign keys, so those
-- are copied below with their target renamed. Created and dropped by the harness; never touched by
-- the service. Wallet n has id md5(n)::uuid so that a pgbench script can address it by number;
-- wallet 1 is the hot row. test/bench/pgbench-schema.test.ts checks the copy against the originals.
DROP TABLE IF EXISTS bench_operations;
DROP TABLE IF EXISTS bench_wallets;
CREATE TABLE bench_wallets (LIKE wallets INCLUDING ALL);
CREATE TABLE bench_operations (LIKE operations INCLUDING ALL);
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
               WHERE conrelid = 'operations'::regclass AND contype = 'f' ORDER BY conname
    LOOP
        EXECUTE format('ALTER TABLE bench_operations ADD CONSTRAINT %I %s', 'bench_' || fk.conname,
                       regexp_replace(fk.def, 'REFERENCES (public\.)?wallets\(', 'REFERENCES bench_wallets('));
    END LOOP;
    -- wallets' own (the tenant), unchanged
    FOR fk IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
               WHERE conrelid = 'wallets'::regclass AND contype = 'f' ORDER BY conname
    LOOP
        EXECUTE format('ALTER TABLE bench_wallets ADD CONSTRAINT %I %s', 'bench_' || fk.conname, fk.def);
    END LOOP;
END $$;
INSERT INTO bench_wallets (id) SELECT md5(n::text)::uuid FROM generate_series(1, 10000) AS n;
ANALYZE bench_wallets;
