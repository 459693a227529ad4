--liquibase formatted sql
--changeset wallet-service:050-citus-distribution splitStatements:false runAlways:true runOnChange:true
--comment: on a database with the Citus extension, distribute the schema: wallet-keyed tables by wallet id, co-located with wallets; the rest as reference tables (docs/scale-out.md)
-- Detected, not a setting: the block does nothing unless the `citus` extension exists, so a plain
-- PostgreSQL never changes, and a database that gains Citus later is distributed by its next
-- migration (runAlways). It is recorded either way, so /ready's "every changeset applied" holds
-- on both. (Not a Liquibase precondition: onFail:CONTINUE leaves the changeset unrecorded, and
-- MARK_RAN would record it as done before Citus arrives.) The extension and the worker nodes are
-- the operator's (tools/citus/citus-cluster.ts here; Citus's packages or image elsewhere); Citus
-- refuses to create shards when no node can hold them.
--
-- runAlways, idempotent and kept LAST in db.changelog-master.yaml: whatever table the files
-- before it create is placed by the rule below on the same run (runOnChange too: the rule may be
-- edited in place, like a function file). The rule is the one fact about placement:
--   * wallets: distributed by id;
--   * a table with a wallet_id column (the ledger, holds, events, webhook streams and deliveries,
--     and whatever is keyed by wallet later): distributed by wallet_id, co-located with wallets,
--     so every statement about one wallet runs on one node; its primary key, unique keys and
--     foreign keys must include wallet_id (Citus refuses otherwise; the fixes are listed below);
--   * every other table of the schema (tenants, api_keys, api_key_audit, webhook_subscriptions,
--     assets when issue 22 adds them): a reference table, copied to every node, so that foreign
--     keys from distributed tables to it hold and joins with it stay on one node;
--   * Liquibase's own tables stay local to the coordinator (only Liquibase reads them).
-- What Citus needs changed, only on Citus:
--   * operations.counterparty_wallet_id loses its foreign key to wallets: the counterparty's row
--     is on another shard, and Citus only keeps foreign keys that include the distribution column.
--     Wallets are never deleted (wallet_app may not DELETE them) and apply_operations locks the
--     counterparty and checks its tenant in the same transaction that writes the leg.
--   * holds' primary key becomes (wallet_id, id), webhook_deliveries' (wallet_id, subscription_id,
--     event_id): hold ids are server-made random uuids and event ids are md5(wallet:operation), so
--     uniqueness per wallet is the same uniqueness.
--   * foreign keys between wallet-keyed tables are dropped while the tables are distributed and
--     added back afterwards (Citus distributes a table only when no local table references it).
-- Triggers on distributed tables (the outbox's) need citus.enable_unsafe_triggers; every node of
-- tools/citus sets it.
DO $$
DECLARE
    names text[];
    name text;
    fk record;
    fks text[] := '{}';
    i int;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
    SET LOCAL citus.enable_unsafe_triggers TO on;

    -- Citus-only key changes (each once).
    IF EXISTS (SELECT FROM pg_constraint WHERE conname = 'operations_counterparty_wallet_id_fkey') THEN
        ALTER TABLE operations DROP CONSTRAINT operations_counterparty_wallet_id_fkey;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'holds'::regclass)
       AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
             WHERE c.conname = 'holds_pkey') = ARRAY['id'] THEN
        ALTER TABLE holds DROP CONSTRAINT holds_pkey;
        ALTER TABLE holds ADD CONSTRAINT holds_pkey PRIMARY KEY (wallet_id, id);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'webhook_deliveries'::regclass)
       AND NOT EXISTS (SELECT FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                        WHERE c.conname = 'webhook_deliveries_pkey' AND a.attname = 'wallet_id') THEN
        ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey;
        ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (wallet_id, subscription_id, event_id);
    END IF;

    -- A unique key on wallets must include its id: on Citus the per-tenant external_id stays indexed
    -- but is not unique, so nothing refuses a second wallet with the same one yet (a known gap of
    -- issue 24: it needs a (tenant, external_id) table of its own, docs/scale-out.md).
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'wallets'::regclass)
       AND EXISTS (SELECT FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                    WHERE c.relname = 'wallets_tenant_external_id' AND x.indisunique) THEN
        DROP INDEX wallets_tenant_external_id;
        CREATE INDEX wallets_tenant_external_id ON wallets (tenant, external_id) WHERE external_id IS NOT NULL;
    END IF;

    -- Reference tables first: distributed tables may then keep their foreign keys to them. By name
    -- and in foreign-key order (a table after the ones it references): Citus turns a table into a
    -- shell and a shard, so an oid taken before may by then name the shard.
    LOOP
        SELECT array_agg(c.relname::text ORDER BY c.relname) INTO names FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT relation_is_a_known_shard(c.oid)
           AND c.relname NOT IN ('databasechangelog', 'databasechangeloglock', 'wallets')
           AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'wallet_id' AND NOT a.attisdropped)
           AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND (p.partmethod = 'h' OR p.repmodel = 't'))
           AND NOT EXISTS (SELECT FROM pg_constraint k
                            WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid
                              AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = k.confrelid AND p.repmodel = 't'));
        EXIT WHEN names IS NULL;
        FOREACH name IN ARRAY names LOOP
            PERFORM create_reference_table(format('public.%I', name)::regclass);
        END LOOP;
    END LOOP;

    -- Foreign keys among the wallet-keyed tables that are still local: set aside, put back below.
    FOR fk IN
        SELECT c.conrelid::regclass::text AS rel, c.conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
          JOIN pg_class r ON r.oid = c.conrelid
          JOIN pg_class f ON f.oid = c.confrelid
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
           AND (f.relname = 'wallets' OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = f.oid AND a.attname = 'wallet_id' AND NOT a.attisdropped))
           AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.conrelid AND p.partmethod = 'h')
    LOOP
        fks := fks || format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.rel, fk.conname, fk.def);
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
    END LOOP;

    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'wallets'::regclass AND partmethod = 'h') THEN
        PERFORM create_distributed_table('wallets', 'id', colocate_with := 'none');
    END IF;
    FOREACH name IN ARRAY ARRAY(
        SELECT c.relname::text FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT relation_is_a_known_shard(c.oid) AND c.relname <> 'wallets'
           AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'wallet_id' AND NOT a.attisdropped)
           AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND p.partmethod = 'h')
         ORDER BY c.relname)
    LOOP
        PERFORM create_distributed_table(format('public.%I', name)::regclass, 'wallet_id', colocate_with := 'wallets');
    END LOOP;

    FOR i IN 1..coalesce(array_length(fks, 1), 0) LOOP
        EXECUTE fks[i];
    END LOOP;
END
$$;
