DROP TABLE IF EXISTS bench_operations;
DROP TABLE IF EXISTS bench_wallets;
