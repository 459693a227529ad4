--liquibase formatted sql

--changeset wallet-service:009-tenants-and-keys splitStatements:false
--comment: tenants own wallets; API keys (hash of the secret only) belong to a tenant; key management is audited; ledger rows name the key that wrote them
-- Key text: wsk_<id>_<secret>. Only SHA-256 of the secret is stored: the secret is 256 random bits,
-- so there is nothing to brute-force and a slow password hash would only cost CPU per request
-- (src/auth/api-key.ts). Keys are never deleted, only revoked or expired, so a ledger row's actor
-- always names a key that can be looked up in an audit.
CREATE TABLE tenants (
    name       text        PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_name_valid CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$')
);
-- Wallets created before access control belong to `default` (also AUTH_REQUIRED=false's tenant).
INSERT INTO tenants (name) VALUES ('default');

CREATE TABLE api_keys (
    id            text        PRIMARY KEY,
    tenant        text        NOT NULL REFERENCES tenants (name),
    scopes        text[]      NOT NULL,
    secret_sha256 text        NOT NULL,
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    -- updated coarsely (at most once a minute per key and process), never on every request
    last_used_at  timestamptz,
    -- the key this one replaced (`keys rotate`)
    rotated_from  text        REFERENCES api_keys (id),
    CONSTRAINT api_keys_id_valid CHECK (id ~ '^[0-9a-f]{16}$'),
    CONSTRAINT api_keys_scopes_valid CHECK (cardinality(scopes) > 0
        AND scopes <@ ARRAY['wallets:read', 'wallets:write', 'admin']::text[]),
    CONSTRAINT api_keys_hash_valid CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT api_keys_description_length CHECK (char_length(description) <= 200)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);

-- Who did what to which key, when. Written by `npm run keys` and by the first `npm start`.
CREATE TABLE api_key_audit (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text        NOT NULL,
    action  text        NOT NULL,
    key_id  text,
    tenant  text,
    detail  jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT api_key_audit_action_valid CHECK (action IN ('create-tenant', 'create', 'revoke', 'rotate'))
);

-- Existing rows join `default` (a constant default: no table rewrite). The app always names the
-- tenant; the default serves SQL written outside it (seeds, the reconcile checks, pgbench tables).
ALTER TABLE wallets ADD COLUMN tenant text NOT NULL DEFAULT 'default' REFERENCES tenants (name);

-- The key id that wrote the row; NULL before access control and under AUTH_REQUIRED=false.
-- No foreign key on purpose: every batch insert would take a KEY SHARE lock on the same api_keys
-- row (multixacts on the hot path); keys are never deleted, so the id stays resolvable.
ALTER TABLE operations ADD COLUMN actor text;
ALTER TABLE operations ADD CONSTRAINT operations_actor_valid CHECK (actor ~ '^[0-9a-f]{16}$');

-- The app role reads one key by its id (the id is in the presented key) and touches last_used_at;
-- it cannot list keys, read other columns, change keys or read the audit. SECURITY DEFINER with a
-- pinned search_path; owned by the migrating role.
CREATE FUNCTION api_key_lookup(p_id text)
RETURNS TABLE (tenant text, scopes text[], secret_sha256 text, expires_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT k.tenant, k.scopes, k.secret_sha256, k.expires_at, k.revoked_at
      FROM public.api_keys k
     WHERE k.id = p_id;
$$;

CREATE FUNCTION api_keys_touch(p_ids text[])
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public.api_keys k
       SET last_used_at = now()
     WHERE k.id = ANY (p_ids)
       AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
$$;

REVOKE ALL ON tenants, api_keys, api_key_audit FROM PUBLIC;
REVOKE ALL ON FUNCTION api_key_lookup(text), api_keys_touch(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_key_lookup(text), api_keys_touch(text[]) TO wallet_app;
--rollback DROP FUNCTION api_keys_touch(text[]);
--rollback DROP FUNCTION api_key_lookup(text);
--rollback ALTER TABLE operations DROP COLUMN actor;
--rollback ALTER TABLE wallets DROP COLUMN tenant;
--rollback DROP TABLE api_key_audit;
--rollback DROP TABLE api_keys;
--rollback DROP TABLE tenants;
