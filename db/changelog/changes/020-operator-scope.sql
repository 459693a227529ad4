--liquibase formatted sql

--changeset wallet-service:020-operator-scope splitStatements:false
--comment: scope operator (the service's operational endpoints: /metrics, /dashboard/data) apart from admin (a tenant's own administration); only keys of the one operator tenant may hold it. The tenant of the first npm start's key becomes the operator tenant, and its admin keys gain operator
-- Why (issue 25, item 4): `admin` let any tenant's administrator read /metrics and /dashboard/data,
-- which name other tenants' busiest wallets. The rule is kept twice: `npm run keys` refuses with a
-- clear message (src/auth/key-store.ts), and the foreign key below refuses whatever else writes.

ALTER TABLE tenants ADD COLUMN operator boolean NOT NULL DEFAULT false;
-- At most one operator tenant.
CREATE UNIQUE INDEX tenants_one_operator ON tenants ((true)) WHERE operator;
-- The target of the foreign key below.
ALTER TABLE tenants ADD CONSTRAINT tenants_name_operator UNIQUE (name, operator);

ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_valid;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_valid CHECK (cardinality(scopes) > 0
    AND scopes <@ ARRAY['wallets:read', 'wallets:write', 'admin', 'operator']::text[]);

-- true for a key that holds operator, NULL otherwise: a NULL column exempts the row from the
-- foreign key (MATCH SIMPLE), so only operator keys must point at (their tenant, operator = true).
ALTER TABLE api_keys ADD COLUMN holds_operator boolean
    GENERATED ALWAYS AS (CASE WHEN 'operator' = ANY (scopes) THEN true END) STORED;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_operator_tenant
    FOREIGN KEY (tenant, holds_operator) REFERENCES tenants (name, operator);

ALTER TABLE api_key_audit DROP CONSTRAINT api_key_audit_action_valid;
ALTER TABLE api_key_audit ADD CONSTRAINT api_key_audit_action_valid
    CHECK (action IN ('create-tenant', 'create', 'revoke', 'rotate', 'designate-operator', 'grant-operator'));

-- Existing databases. The first `npm start` (or `npm run stack`) created a key with every scope in
-- tenant `default` for whoever runs the service: that tenant is the operator, and its admin keys
-- (the ones that could read /metrics until now) gain operator. Keys of every other tenant keep
-- admin for their own webhooks and lose the operational endpoints: create an operator key with
-- `npm run keys -- create --operator` (docs/access-control.md, upgrading).
WITH first_run AS (
    SELECT tenant FROM api_key_audit
     WHERE action = 'create' AND actor = 'npm start (first run)' AND tenant IS NOT NULL
     ORDER BY id LIMIT 1
), designated AS (
    UPDATE tenants t SET operator = true FROM first_run f WHERE t.name = f.tenant RETURNING t.name
), audited AS (
    INSERT INTO api_key_audit (actor, action, tenant, detail)
    SELECT 'changeset 020-operator-scope', 'designate-operator', name, '{}' FROM designated
)
SELECT count(*) FROM designated;

WITH granted AS (
    UPDATE api_keys k SET scopes = k.scopes || ARRAY['operator']
      FROM tenants t
     WHERE t.name = k.tenant AND t.operator AND 'admin' = ANY (k.scopes) AND NOT 'operator' = ANY (k.scopes)
    RETURNING k.id, k.tenant
)
INSERT INTO api_key_audit (actor, action, key_id, tenant, detail)
SELECT 'changeset 020-operator-scope', 'grant-operator', id, tenant, '{"scopes_added": ["operator"]}' FROM granted;
--rollback UPDATE api_keys SET scopes = CASE WHEN scopes = ARRAY['operator'] THEN ARRAY['admin'] ELSE array_remove(scopes, 'operator') END WHERE 'operator' = ANY (scopes);
--rollback DELETE FROM api_key_audit WHERE action IN ('designate-operator', 'grant-operator');
--rollback ALTER TABLE api_key_audit DROP CONSTRAINT api_key_audit_action_valid;
--rollback ALTER TABLE api_key_audit ADD CONSTRAINT api_key_audit_action_valid CHECK (action IN ('create-tenant', 'create', 'revoke', 'rotate'));
--rollback ALTER TABLE api_keys DROP CONSTRAINT api_keys_operator_tenant;
--rollback ALTER TABLE api_keys DROP COLUMN holds_operator;
--rollback ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_valid;
--rollback ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_valid CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['wallets:read', 'wallets:write', 'admin']::text[]);
--rollback ALTER TABLE tenants DROP CONSTRAINT tenants_name_operator;
--rollback DROP INDEX tenants_one_operator;
--rollback ALTER TABLE tenants DROP COLUMN operator;
