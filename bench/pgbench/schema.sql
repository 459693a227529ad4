-- Reference tables for pgbench, the same shape as wallets/operations (created and dropped by the
-- harness; never touched by the service). Wallet n has id md5(n)::uuid so that a pgbench script
-- can address it by number; wallet 1 is the hot row.
DROP TABLE IF EXISTS bench_operations;
DROP TABLE IF EXISTS bench_wallets;
CREATE TABLE bench_wallets (
    id         uuid          PRIMARY KEY,
    balance    numeric(18,2) NOT NULL DEFAULT 0,
    last_seq   bigint        NOT NULL DEFAULT 0,
    created_at timestamptz   NOT NULL DEFAULT now(),
    updated_at timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT bench_wallets_balance_non_negative CHECK (balance >= 0),
    CONSTRAINT bench_wallets_last_seq_non_negative CHECK (last_seq >= 0)
);
CREATE TABLE bench_operations (
    wallet_id       uuid          NOT NULL REFERENCES bench_wallets (id),
    id              uuid          NOT NULL,
    seq             bigint        NOT NULL,
    operation_type  text          NOT NULL,
    amount          numeric(18,2) NOT NULL,
    balance_after   numeric(18,2) NOT NULL,
    status          text          NOT NULL,
    idempotency_key text,
    request_hash    text,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT bench_operations_pkey PRIMARY KEY (wallet_id, id),
    CONSTRAINT bench_operations_wallet_seq_key UNIQUE (wallet_id, seq),
    CONSTRAINT bench_operations_wallet_idempotency_key UNIQUE (wallet_id, idempotency_key),
    CONSTRAINT bench_operations_type_valid CHECK (operation_type IN ('DEPOSIT', 'WITHDRAW')),
    CONSTRAINT bench_operations_amount_positive CHECK (amount > 0),
    CONSTRAINT bench_operations_balance_after_non_negative CHECK (balance_after >= 0),
    CONSTRAINT bench_operations_status_valid CHECK (status IN ('SUCCESS', 'REJECTED'))
);
INSERT INTO bench_wallets (id) SELECT md5(n::text)::uuid FROM generate_series(1, 10000) AS n;
ANALYZE bench_wallets;
