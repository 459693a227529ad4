-- One transfer, one transaction, between two different rows of 10,000: lock both rows in id order
-- (as the service does), update both balances, append both ledger legs (TRANSFER_OUT and
-- TRANSFER_IN, one transfer id, each naming the other wallet), commit.
-- transfer-setup.sql funds every wallet first (the balance CHECK refuses a negative balance).
\set from random(1, 10000)
\set other random(1, 9999)
\set to case when :other >= :from then :other + 1 else :other end
\set cents random(1, 10000)
BEGIN;
SELECT id FROM bench_wallets WHERE id IN (md5(:from::text)::uuid, md5(:to::text)::uuid) ORDER BY id FOR UPDATE;
UPDATE bench_wallets SET balance = balance - :cents / 100.0, last_seq = last_seq + 1, updated_at = now()
 WHERE id = md5(:from::text)::uuid RETURNING balance AS from_balance, last_seq AS from_seq \gset
UPDATE bench_wallets SET balance = balance + :cents / 100.0, last_seq = last_seq + 1, updated_at = now()
 WHERE id = md5(:to::text)::uuid RETURNING balance AS to_balance, last_seq AS to_seq \gset
INSERT INTO bench_operations (wallet_id, id, seq, operation_type, amount, balance_after, status, counterparty_wallet_id)
SELECT leg.wallet_id, t.id, leg.seq, leg.operation_type, :cents / 100.0, leg.balance_after, 'SUCCESS', leg.counterparty
  FROM (SELECT gen_random_uuid() AS id) AS t,
       (VALUES (md5(:from::text)::uuid, :from_seq, 'TRANSFER_OUT', :from_balance, md5(:to::text)::uuid),
               (md5(:to::text)::uuid, :to_seq, 'TRANSFER_IN', :to_balance, md5(:from::text)::uuid))
         AS leg (wallet_id, seq, operation_type, balance_after, counterparty);
END;
