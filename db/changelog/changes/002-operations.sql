--liquibase formatted sql

--changeset wallet-service:002-operations
--comment: append-only ledger; every key starts with wallet_id so it can be distributed by wallet
CREATE TABLE operations (
    wallet_id       uuid          NOT NULL REFERENCES wallets (id),
    id              uuid          NOT NULL,
    -- position in the wallet's ledger (1, 2, 3, ...): orders history and the balance_after chain
    seq             bigint        NOT NULL,
    operation_type  text          NOT NULL,
    amount          numeric(18,2) NOT NULL,
    balance_after   numeric(18,2) NOT NULL,
    -- SUCCESS: applied. REJECTED: refused (400) but kept because it carried an Idempotency-Key,
    -- so a replay returns the same refusal. Rejections without a key are not stored.
    status          text          NOT NULL,
    idempotency_key text,
    request_hash    text,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT operations_pkey PRIMARY KEY (wallet_id, id),
    CONSTRAINT operations_wallet_seq_key UNIQUE (wallet_id, seq),
    CONSTRAINT operations_type_valid CHECK (operation_type IN ('DEPOSIT', 'WITHDRAW')),
    CONSTRAINT operations_amount_positive CHECK (amount > 0),
    CONSTRAINT operations_balance_after_non_negative CHECK (balance_after >= 0),
    CONSTRAINT operations_status_valid CHECK (status IN ('SUCCESS', 'REJECTED')),
    CONSTRAINT operations_key_has_hash CHECK ((idempotency_key IS NULL) = (request_hash IS NULL)),
    CONSTRAINT operations_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255)
);
-- Partial: operations without a key (most of them) cost no entry in this index.
CREATE UNIQUE INDEX operations_wallet_idempotency_key ON operations (wallet_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
--rollback DROP TABLE operations;
