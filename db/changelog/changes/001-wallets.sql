--liquibase formatted sql

--changeset wallet-service:001-wallets
--comment: one row per wallet; the balance is the lock point for every operation on it
CREATE TABLE wallets (
    id         uuid          PRIMARY KEY,
    balance    numeric(18,2) NOT NULL DEFAULT 0,
    -- number of ledger rows written for this wallet; the next row gets last_seq + 1
    last_seq   bigint        NOT NULL DEFAULT 0,
    created_at timestamptz   NOT NULL DEFAULT now(),
    updated_at timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT wallets_balance_non_negative CHECK (balance >= 0),
    CONSTRAINT wallets_last_seq_non_negative CHECK (last_seq >= 0)
);
--rollback DROP TABLE wallets;
