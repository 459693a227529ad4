-- Before the transfer workloads: every reference wallet funded generously, so that no transfer is
-- refused by the balance CHECK (1,000,000.00 against transfers of at most 100.00).
UPDATE bench_wallets SET balance = 1000000.00;
