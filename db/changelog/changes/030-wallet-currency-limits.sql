--liquibase formatted sql

--changeset wallet-service:030-wallet-currency-limits splitStatements:false
--comment: wallets get a currency (ISO 4217 or a tenant's asset) with its own scale, min_balance / max_balance, a status, metadata and an external id; money columns lose their fixed two decimals; tenant assets
-- Money columns become plain NUMERIC (no typmod): a wallet's scale says how many decimals its
-- amounts have (0 for JPY, 2 for USD, 3 for KWD, up to 18 for an asset). Dropping the typmod of a
-- NUMERIC column is binary-coercible: no table rewrite, existing values keep their two decimals.
-- The display scale of every stored value is the wallet's scale (apply_operations_v5 rounds each
-- amount to it, and sums of values of one scale keep it), so the text PostgreSQL prints is the
-- answer's text; wallets_money_scale says so for the wallet's own columns.
-- Largest amount and balance for scale s: 10^16 - 10^-s (16 integer digits, s decimals; for s = 2
-- the 9999999999999999.99 of the original contract). Balances may be negative down to
-- -(10^16 - 10^-s) when min_balance allows it (an overdraft or credit line).
-- Defaults are 0.00 (display scale 2) so that rows inserted with defaults (seeds, pgbench) are
-- the default 2-decimal wallet; the app inserts every column for other scales.
DROP VIEW event_log;
ALTER TABLE wallets
    ALTER COLUMN balance TYPE numeric,
    ALTER COLUMN balance SET DEFAULT 0.00,
    ALTER COLUMN held TYPE numeric,
    ALTER COLUMN held SET DEFAULT 0.00,
    ADD COLUMN currency text NOT NULL DEFAULT 'USD',
    ADD COLUMN scale smallint NOT NULL DEFAULT 2,
    ADD COLUMN min_balance numeric NOT NULL DEFAULT 0.00,
    ADD COLUMN max_balance numeric NOT NULL DEFAULT 9999999999999999.99,
    ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE',
    ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN external_id text;
ALTER TABLE operations
    ALTER COLUMN amount TYPE numeric,
    ALTER COLUMN balance_after TYPE numeric,
    ALTER COLUMN held TYPE numeric;
ALTER TABLE holds
    ALTER COLUMN amount TYPE numeric,
    ALTER COLUMN captured_amount TYPE numeric,
    ALTER COLUMN available_after TYPE numeric,
    ALTER COLUMN closed_available_after TYPE numeric;

-- The bounds below replace "balance >= 0" and "held <= balance": with min_balance < 0 a balance
-- may be negative and held may exceed it. What a movement may take (balance - held >= min_balance,
-- balance <= max_balance) is judged by apply_operations_v5 in the batch; a limit lowered or raised
-- later applies to later movements only, so it cannot be a CHECK on the row.
ALTER TABLE wallets DROP CONSTRAINT wallets_balance_non_negative;
ALTER TABLE wallets DROP CONSTRAINT wallets_held_within_balance;
ALTER TABLE operations DROP CONSTRAINT operations_balance_after_non_negative;
ALTER TABLE holds DROP CONSTRAINT holds_available_non_negative;
ALTER TABLE wallets ADD CONSTRAINT wallets_currency_valid CHECK (currency ~ '^[A-Z][A-Z0-9_]{1,15}$');
ALTER TABLE wallets ADD CONSTRAINT wallets_scale_valid CHECK (scale BETWEEN 0 AND 18);
ALTER TABLE wallets ADD CONSTRAINT wallets_money_scale CHECK (
    scale(balance) = scale AND scale(held) = scale AND scale(min_balance) = scale AND scale(max_balance) = scale) NOT VALID;
ALTER TABLE wallets ADD CONSTRAINT wallets_money_bounds CHECK (
    balance > -1e16 AND balance < 1e16 AND held >= 0 AND held < 1e16
    AND min_balance > -1e16 AND max_balance < 1e16 AND min_balance <= max_balance) NOT VALID;
ALTER TABLE wallets ADD CONSTRAINT wallets_status_valid CHECK (status IN ('ACTIVE', 'FROZEN', 'CLOSED'));
-- CLOSED only when nothing is left: the PATCH checks it for a clear 409, this says it again.
ALTER TABLE wallets ADD CONSTRAINT wallets_closed_empty CHECK (status <> 'CLOSED' OR (balance = 0 AND held = 0));
ALTER TABLE wallets ADD CONSTRAINT wallets_metadata_object CHECK (jsonb_typeof(metadata) = 'object');
ALTER TABLE wallets ADD CONSTRAINT wallets_external_id_valid CHECK (external_id ~ '^[\x20-\x7E]{1,255}$');
ALTER TABLE wallets VALIDATE CONSTRAINT wallets_money_scale;
ALTER TABLE wallets VALIDATE CONSTRAINT wallets_money_bounds;
ALTER TABLE operations ADD CONSTRAINT operations_money_bounds CHECK (amount < 1e16 AND balance_after > -1e16 AND balance_after < 1e16);
ALTER TABLE holds ADD CONSTRAINT holds_money_bounds CHECK (amount < 1e16);
-- "the wallet of user 42": one per tenant
CREATE UNIQUE INDEX wallets_tenant_external_id ON wallets (tenant, external_id) WHERE external_id IS NOT NULL;

-- A tenant's own assets (loyalty points, a token): a code that is not an ISO 4217 currency, and
-- its scale, which never changes (there is no update; a wallet copies it when created).
CREATE TABLE assets (
    tenant     text        NOT NULL REFERENCES tenants (name),
    code       text        NOT NULL,
    scale      smallint    NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    actor      text,
    CONSTRAINT assets_pkey PRIMARY KEY (tenant, code),
    CONSTRAINT assets_code_valid CHECK (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
    CONSTRAINT assets_scale_valid CHECK (scale BETWEEN 0 AND 18)
);
REVOKE ALL ON assets FROM PUBLIC;
GRANT SELECT, INSERT ON assets TO wallet_app;

-- event_log again, unchanged (it had to go while operations.amount changed type).
CREATE VIEW event_log AS
SELECT e.position, e.feed_txid, e.tenant, e.wallet_id, e.recorded_at,
       coalesce(o.seq, 0) AS seq,
       coalesce(o.seq, e.wallet_seq) AS wallet_seq,
       coalesce(e.id, md5(o.wallet_id::text || ':' || o.id::text)::uuid) AS id,
       coalesce(e.type, ledger_event_type(o.operation_type, o.status)) AS type,
       e.payload,
       e.seq_last,
       o.id AS operation_id, o.operation_type, o.amount, o.status, o.balance_after, o.counterparty_wallet_id,
       o.reverses_id, o.held, o.created_at
  FROM events e
  LEFT JOIN LATERAL (
       SELECT x.* FROM operations x
        WHERE x.wallet_id = e.wallet_id AND x.seq BETWEEN e.wallet_seq AND e.seq_last
        ORDER BY x.seq) o ON e.seq_last IS NOT NULL
 WHERE e.seq_last IS NULL OR o.seq IS NOT NULL;
REVOKE ALL ON event_log FROM PUBLIC;
GRANT SELECT ON event_log TO wallet_app;
--rollback DROP TABLE assets;
