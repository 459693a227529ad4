--liquibase formatted sql

--changeset wallet-service:033-wallet-app-privileges splitStatements:false
--comment: the app role keeps writing money only through the engine (changeset 018) with the wallet columns of 030: it may set a new wallet's currency, limits, metadata and external id, and PATCH limits, metadata and status; balances start at 0 at the wallet's scale
-- 018 let wallet_app insert (id, tenant) only and update nothing. A new wallet now also names its
-- currency, scale, limits, metadata and external id; PATCH changes metadata, limits and status.
-- Balances and holds stay out of reach: a new wallet's balance and held are the column defaults
-- (0.00), which the trigger below sets to the wallet's scale when that changes no value (so
-- wallets_money_scale holds for a JPY wallet's "0" and a KWD wallet's "0.000").
GRANT INSERT (currency, scale, min_balance, max_balance, metadata, external_id) ON wallets TO wallet_app;
GRANT UPDATE (metadata, min_balance, max_balance, status, updated_at) ON wallets TO wallet_app;

CREATE OR REPLACE FUNCTION wallets_pad_scale()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- To the wallet's scale when that changes no value (0.00 -> 0 for JPY, 0.00 -> 0.000 for KWD).
    IF NEW.balance = round(NEW.balance, NEW.scale) THEN NEW.balance := round(NEW.balance, NEW.scale); END IF;
    IF NEW.held = round(NEW.held, NEW.scale) THEN NEW.held := round(NEW.held, NEW.scale); END IF;
    IF NEW.min_balance = round(NEW.min_balance, NEW.scale) THEN NEW.min_balance := round(NEW.min_balance, NEW.scale); END IF;
    IF NEW.max_balance = round(NEW.max_balance, NEW.scale) THEN NEW.max_balance := round(NEW.max_balance, NEW.scale); END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER wallets_pad_scale BEFORE INSERT ON wallets FOR EACH ROW EXECUTE FUNCTION wallets_pad_scale();

-- Closing a wallet releases its lapsed holds first (only an empty wallet with no active hold may
-- close): the hold rows and wallets.held are the engine's to write, so the owner does it here, in
-- the caller's transaction (which holds the wallet's row lock).
CREATE OR REPLACE FUNCTION release_lapsed_holds(p_wallet uuid)
RETURNS numeric
LANGUAGE sql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    WITH expired AS (
        UPDATE holds hd SET status = 'EXPIRED', closed_at = hd.expires_at
         WHERE hd.wallet_id = p_wallet AND hd.status = 'HELD' AND hd.expires_at <= now()
        RETURNING hd.amount)
    UPDATE wallets w SET held = w.held - (SELECT coalesce(sum(amount), 0) FROM expired)
     WHERE w.id = p_wallet
    RETURNING w.held;
$$;
REVOKE ALL ON FUNCTION release_lapsed_holds(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_lapsed_holds(uuid) TO wallet_app;
--rollback DROP FUNCTION release_lapsed_holds(uuid);
--rollback DROP TRIGGER wallets_pad_scale ON wallets;
--rollback DROP FUNCTION wallets_pad_scale();
--rollback REVOKE UPDATE (metadata, min_balance, max_balance, status, updated_at) ON wallets FROM wallet_app;
--rollback REVOKE INSERT (currency, scale, min_balance, max_balance, metadata, external_id) ON wallets FROM wallet_app;
