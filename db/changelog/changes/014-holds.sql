--liquibase formatted sql

--changeset wallet-service:014-holds splitStatements:false
--comment: holds (authorize / capture / void): wallets.held, the holds table, the CAPTURE ledger type; apply_operations_v4 (db/changelog/functions/apply-operations-v4.sql) applies them
-- A hold reserves part of a wallet's balance: wallets.held is the sum of its HELD holds, and
-- balance - held is what withdrawals, transfers, reversal debits and new holds may take. The
-- CHECK below is the invariant's second line: the engine judges against balance - held first.
-- Holds are written only by apply_operations_v4, under their wallet's row lock (the same lock
-- every operation on the wallet takes), so a hold's state changes are serialised per wallet with
-- no lock of their own and no lock-order question.
-- Rolling upgrade: the previous release (apply_operations_v3) judges against the balance alone;
-- once the new release has created holds, a v3 withdrawal that would dig into them violates
-- wallets_held_within_balance and its batch fails as a whole (FAILED, nothing applied). Finish
-- the roll before clients create holds.
ALTER TABLE wallets ADD COLUMN held numeric(18,2) NOT NULL DEFAULT 0;
ALTER TABLE wallets ADD CONSTRAINT wallets_held_within_balance CHECK (held >= 0 AND held <= balance) NOT VALID;
ALTER TABLE wallets VALIDATE CONSTRAINT wallets_held_within_balance;

-- status: HELD (active, counted in wallets.held), CAPTURED (captured_amount taken by the CAPTURE
-- ledger row with the hold's id; the rest released), VOIDED, EXPIRED (released at expires_at,
-- written lazily by the next batch that locks the wallet), REJECTED (refused for funds and kept
-- only because it carried an Idempotency-Key, so that its replay is the same 400).
-- available_after: the wallet's balance - held right after the hold was judged (for REJECTED: the
-- available balance it was refused on); closed_available_after: the same after capture or void.
-- idempotency_key / request_hash: the creating request's key, scoped to the wallet's holds.
-- close_id / close_key / close_hash: the request that captured or voided it (close_id lets a
-- retry after an ambiguous COMMIT find its own capture; the key replays it).
CREATE TABLE holds (
    id                     uuid          PRIMARY KEY,
    wallet_id              uuid          NOT NULL REFERENCES wallets (id),
    amount                 numeric(18,2) NOT NULL,
    status                 text          NOT NULL,
    captured_amount        numeric(18,2),
    expires_at             timestamptz   NOT NULL,
    created_at             timestamptz   NOT NULL,
    closed_at              timestamptz,
    available_after        numeric(18,2) NOT NULL,
    closed_available_after numeric(18,2),
    actor                  text,
    closed_actor           text,
    idempotency_key        text,
    request_hash           text,
    close_id               uuid,
    close_key              text,
    close_hash             text,
    CONSTRAINT holds_amount_positive CHECK (amount > 0),
    CONSTRAINT holds_status_valid CHECK (status IN ('HELD', 'CAPTURED', 'VOIDED', 'EXPIRED', 'REJECTED')),
    CONSTRAINT holds_captured_within_amount
        CHECK ((status = 'CAPTURED') = (captured_amount IS NOT NULL) AND (captured_amount IS NULL OR (captured_amount > 0 AND captured_amount <= amount))),
    CONSTRAINT holds_closed_when_not_held CHECK ((status = 'HELD') = (closed_at IS NULL)),
    CONSTRAINT holds_expiry_after_creation CHECK (expires_at > created_at),
    CONSTRAINT holds_available_non_negative CHECK (available_after >= 0 AND (closed_available_after IS NULL OR closed_available_after >= 0)),
    CONSTRAINT holds_key_has_hash CHECK ((idempotency_key IS NULL) = (request_hash IS NULL)),
    CONSTRAINT holds_close_key_has_hash CHECK ((close_key IS NULL) = (close_hash IS NULL)),
    CONSTRAINT holds_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255 AND char_length(close_key) BETWEEN 1 AND 255)
);
-- Only keyed holds cost an entry.
CREATE UNIQUE INDEX holds_wallet_idempotency_key ON holds (wallet_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The lazy expiry pass and reconcile's held sum: active holds only, so closed ones cost nothing.
CREATE INDEX holds_active ON holds (wallet_id, expires_at) WHERE status = 'HELD';
-- A wallet's holds, newest first (and the foreign key's check on wallet deletion).
CREATE INDEX holds_wallet ON holds (wallet_id, created_at);
REVOKE ALL ON holds FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON holds TO wallet_app;

-- The ledger row of a capture: a debit whose id is the hold's id (the link is the primary key),
-- always applied (a capture takes money the hold already set aside), never carrying a key (the
-- capture's key lives on the hold, scoped to it) nor a counterparty.
-- operations.held: for a REJECTED row, what the wallet had on hold when it was refused (so the
-- refusal can be shown and re-judged: balance_after - held was available); NULL when nothing was.
ALTER TABLE operations ADD COLUMN held numeric(18,2);
ALTER TABLE operations DROP CONSTRAINT operations_type_valid;
ALTER TABLE operations ADD CONSTRAINT operations_type_valid
    CHECK (operation_type IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT', 'TRANSFER_IN', 'REVERSAL_OUT', 'REVERSAL_IN', 'CAPTURE')) NOT VALID;
ALTER TABLE operations ADD CONSTRAINT operations_capture_shape
    CHECK (operation_type <> 'CAPTURE' OR (status = 'SUCCESS' AND idempotency_key IS NULL AND counterparty_wallet_id IS NULL
                                           AND reverses_id IS NULL)) NOT VALID;
ALTER TABLE operations ADD CONSTRAINT operations_held_on_refusals
    CHECK (held IS NULL OR (status = 'REJECTED' AND held > 0)) NOT VALID;
ALTER TABLE operations VALIDATE CONSTRAINT operations_type_valid;
ALTER TABLE operations VALIDATE CONSTRAINT operations_capture_shape;
ALTER TABLE operations VALIDATE CONSTRAINT operations_held_on_refusals;
--rollback DROP FUNCTION IF EXISTS apply_operations_v4(uuid[], uuid[], uuid[], uuid[], int[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean);
--rollback ALTER TABLE operations DROP CONSTRAINT operations_held_on_refusals;
--rollback ALTER TABLE operations DROP CONSTRAINT operations_capture_shape;
--rollback ALTER TABLE operations DROP CONSTRAINT operations_type_valid;
--rollback ALTER TABLE operations ADD CONSTRAINT operations_type_valid CHECK (operation_type IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT', 'TRANSFER_IN', 'REVERSAL_OUT', 'REVERSAL_IN'));
--rollback ALTER TABLE operations DROP COLUMN held;
--rollback DROP TABLE holds;
--rollback ALTER TABLE wallets DROP CONSTRAINT wallets_held_within_balance;
--rollback ALTER TABLE wallets DROP COLUMN held;
