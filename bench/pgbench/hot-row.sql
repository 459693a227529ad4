-- One operation, one transaction, on the hot row: lock and update the wallet, append the ledger row, commit.
\set cents random(1, 10000)
BEGIN;
UPDATE bench_wallets SET balance = balance + :cents / 100.0, last_seq = last_seq + 1, updated_at = now()
 WHERE id = md5('1')::uuid RETURNING balance, last_seq \gset
INSERT INTO bench_operations (wallet_id, id, seq, operation_type, amount, balance_after, status)
VALUES (md5('1')::uuid, gen_random_uuid(), :last_seq, 'DEPOSIT', :cents / 100.0, :balance, 'SUCCESS');
END;
