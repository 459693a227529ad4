--liquibase formatted sql

--changeset wallet-service:032-wallet-listing
--comment: indexes for GET /api/v1/wallets: a tenant's wallets newest first, and metadata exact matches
-- The listing's order and keyset: (tenant, created_at DESC, id DESC); filters on currency, status
-- and time ride along it. metadata[key]=value filters become one `metadata @> '{...}'`, which a GIN
-- index with jsonb_path_ops answers (smaller and faster than the default jsonb_ops for @>, the
-- only operator used). Created plainly (not CONCURRENTLY: Liquibase runs a changeset in a
-- transaction); on a large existing table run it in a maintenance window or create the indexes
-- CONCURRENTLY by hand first (IF NOT EXISTS keeps this changeset then a no-op).
CREATE INDEX IF NOT EXISTS wallets_tenant_created ON wallets (tenant, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS wallets_metadata ON wallets USING gin (metadata jsonb_path_ops);
--rollback DROP INDEX wallets_metadata;
--rollback DROP INDEX wallets_tenant_created;
