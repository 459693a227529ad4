--liquibase formatted sql

--changeset wallet-service:011-transfers splitStatements:false
--comment: transfers between wallets: two ledger legs (TRANSFER_OUT / TRANSFER_IN) sharing the transfer id, each naming the counterparty; apply_operations_v2 applies deposits, withdrawals and transfers in one batch
-- A transfer is two ledger rows written by the same statement of the same transaction:
--   (from_wallet, id = transfer id, TRANSFER_OUT, counterparty = to_wallet, the Idempotency-Key)
--   (to_wallet,   id = transfer id, TRANSFER_IN,  counterparty = from_wallet, no key)
-- The primary key (wallet_id, id) lets both legs carry the transfer id as their own id, so
-- GET /wallets/{w}/operations/{transfer id} finds each leg and the pair is found by id.
-- A refused transfer with an Idempotency-Key keeps only its REJECTED TRANSFER_OUT row (the key is
-- scoped to the source wallet; the target never saw it).
ALTER TABLE operations ADD COLUMN counterparty_wallet_id uuid REFERENCES wallets (id);

-- NOT VALID then VALIDATE: the scan of existing rows runs under SHARE UPDATE EXCLUSIVE, so the
-- previous release keeps writing while this changeset runs.
ALTER TABLE operations DROP CONSTRAINT operations_type_valid;
ALTER TABLE operations ADD CONSTRAINT operations_type_valid
    CHECK (operation_type IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT', 'TRANSFER_IN')) NOT VALID;
ALTER TABLE operations ADD CONSTRAINT operations_transfer_has_counterparty
    CHECK ((operation_type IN ('TRANSFER_OUT', 'TRANSFER_IN')) = (counterparty_wallet_id IS NOT NULL)) NOT VALID;
ALTER TABLE operations ADD CONSTRAINT operations_counterparty_not_self
    CHECK (counterparty_wallet_id <> wallet_id) NOT VALID;
-- The incoming leg exists only for an applied transfer and never holds the source's key.
ALTER TABLE operations ADD CONSTRAINT operations_transfer_in_applied
    CHECK (operation_type <> 'TRANSFER_IN' OR (status = 'SUCCESS' AND idempotency_key IS NULL)) NOT VALID;
ALTER TABLE operations VALIDATE CONSTRAINT operations_type_valid;
ALTER TABLE operations VALIDATE CONSTRAINT operations_transfer_has_counterparty;
ALTER TABLE operations VALIDATE CONSTRAINT operations_counterparty_not_self;
ALTER TABLE operations VALIDATE CONSTRAINT operations_transfer_in_applied;

-- GET /transfers/{id}: both legs by id. Partial: deposits and withdrawals cost no entry.
CREATE INDEX operations_transfer_legs ON operations (id) WHERE counterparty_wallet_id IS NOT NULL;

-- Same contract as apply_operations (changesets 003 and 010: o_outcome, lock order, tenant check),
-- plus transfers. p_types[i] = 'TRANSFER_OUT' with p_counterparties[i] = the target wallet is a
-- transfer from p_wallet_ids[i]; p_counterparties[i] is NULL for DEPOSIT and WITHDRAW.
-- Every wallet named as source or target is locked once, in id order (so no two batches can
-- deadlock, whatever mix of wallets and directions they carry); operations are judged in array
-- order against the running balances: a transfer is refused with REJECTED_FUNDS when the source
-- is short, REJECTED_LIMIT when the target would pass the maximum balance, else both legs apply.
-- o_counterparty_balance_after: the target's balance after an applied transfer (NULL otherwise).
-- apply_operations (010) stays: the previous release calls it during a rolling upgrade.
CREATE FUNCTION apply_operations_v2(
    p_wallet_ids uuid[], p_counterparties uuid[], p_tenants text[], p_actors text[], p_ids uuid[], p_types text[],
    p_amounts numeric[], p_keys text[], p_hashes text[], p_check_existing boolean)
RETURNS TABLE (o_idx int, o_outcome text, o_id uuid, o_wallet_id uuid, o_type text,
               o_amount numeric, o_balance_after numeric, o_status text, o_created_at timestamptz,
               o_counterparty uuid, o_counterparty_balance_after numeric, o_lock_wait_ms double precision)
LANGUAGE plpgsql AS $$
DECLARE
    c_balance_max CONSTANT numeric := 9999999999999999.99;
    v_now    timestamptz := now();
    v_started timestamptz := clock_timestamp();
    v_n      int := coalesce(array_length(p_ids, 1), 0);
    w_ids    uuid[];
    w_bal    numeric[];
    w_seq    bigint[];
    w_seq0   bigint[];
    w_tenant text[];
    n_count  int := 0;
    n_wallet uuid[] := '{}';
    n_id     uuid[] := '{}';
    n_seq    bigint[] := '{}';
    n_type   text[] := '{}';
    n_amount numeric[] := '{}';
    n_after  numeric[] := '{}';
    n_status text[] := '{}';
    n_key    text[] := '{}';
    n_hash   text[] := '{}';
    n_actor  text[] := '{}';
    n_cp     uuid[] := '{}';
    i int; j int; k int; pos int; pos_to int;
    v_bal numeric;
    v_bal_to numeric;
    v_transfer boolean;
    r operations%ROWTYPE;
BEGIN
    IF v_n = 0 THEN
        RETURN;
    END IF;
    IF coalesce(array_length(p_wallet_ids, 1), 0) <> v_n OR coalesce(array_length(p_tenants, 1), 0) <> v_n
       OR coalesce(array_length(p_actors, 1), 0) <> v_n OR coalesce(array_length(p_counterparties, 1), 0) <> v_n
       OR array_position(p_tenants, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'apply_operations_v2: every operation needs a wallet, a counterparty slot, a tenant and an actor slot';
    END IF;
    FOR i IN 1..v_n LOOP
        IF (p_types[i] = 'TRANSFER_OUT') <> (p_counterparties[i] IS NOT NULL) OR p_counterparties[i] = p_wallet_ids[i]
           OR p_types[i] NOT IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT') THEN
            RAISE EXCEPTION 'apply_operations_v2: operation % is malformed (type %, counterparty %)', i, p_types[i], p_counterparties[i];
        END IF;
    END LOOP;

    -- Sources and targets together, each (wallet, tenant) pair once, locked in id order.
    SELECT array_agg(w.id ORDER BY w.id), array_agg(w.balance ORDER BY w.id), array_agg(w.last_seq ORDER BY w.id),
           array_agg(w.tenant ORDER BY w.id)
      INTO w_ids, w_bal, w_seq, w_tenant
      FROM (SELECT wl.id, wl.balance, wl.last_seq, wl.tenant
              FROM wallets wl
             WHERE wl.id = ANY (p_wallet_ids || p_counterparties)
               AND (wl.id, wl.tenant) IN (SELECT u.w, u.t FROM unnest(p_wallet_ids || p_counterparties, p_tenants || p_tenants) AS u(w, t)
                                           WHERE u.w IS NOT NULL)
             ORDER BY wl.id
               FOR UPDATE) w;
    w_seq0 := w_seq;
    o_lock_wait_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;

    FOR i IN 1..v_n LOOP
        o_idx := i;
        v_transfer := p_types[i] = 'TRANSFER_OUT';
        pos := array_position(w_ids, p_wallet_ids[i]);
        pos_to := CASE WHEN v_transfer THEN array_position(w_ids, p_counterparties[i]) END;
        o_counterparty := p_counterparties[i]; o_counterparty_balance_after := NULL;
        IF pos IS NULL OR w_tenant[pos] <> p_tenants[i]
           OR (v_transfer AND (pos_to IS NULL OR w_tenant[pos_to] <> p_tenants[i])) THEN
            o_outcome := 'NOT_FOUND'; o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
            o_amount := p_amounts[i]; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- A stored row found again (retry after an ambiguous COMMIT, or an Idempotency-Key).
        r := NULL;
        IF p_check_existing THEN
            SELECT * INTO r FROM operations o WHERE o.wallet_id = p_wallet_ids[i] AND o.id = p_ids[i];
            IF FOUND THEN
                o_outcome := 'EXISTING';
            END IF;
        END IF;
        IF r.id IS NULL AND p_keys[i] IS NOT NULL THEN
            SELECT * INTO r FROM operations o WHERE o.wallet_id = p_wallet_ids[i] AND o.idempotency_key = p_keys[i];
            IF FOUND THEN
                o_outcome := CASE WHEN r.request_hash = p_hashes[i] THEN 'REPLAY' ELSE 'KEY_CONFLICT' END;
            END IF;
        END IF;
        IF r.id IS NOT NULL THEN
            o_id := r.id; o_wallet_id := r.wallet_id; o_type := r.operation_type; o_amount := r.amount;
            o_balance_after := r.balance_after; o_status := r.status; o_created_at := r.created_at;
            o_counterparty := r.counterparty_wallet_id;
            IF r.operation_type = 'TRANSFER_OUT' AND r.status = 'SUCCESS' THEN
                SELECT o.balance_after INTO o_counterparty_balance_after
                  FROM operations o WHERE o.wallet_id = r.counterparty_wallet_id AND o.id = r.id;
            END IF;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF p_keys[i] IS NOT NULL THEN
            -- the same key earlier in this batch
            j := NULL;
            FOR k IN 1..n_count LOOP
                IF n_key[k] = p_keys[i] AND n_wallet[k] = p_wallet_ids[i] THEN
                    j := k;
                    EXIT;
                END IF;
            END LOOP;
            IF j IS NOT NULL THEN
                o_outcome := CASE WHEN n_hash[j] = p_hashes[i] THEN 'REPLAY' ELSE 'KEY_CONFLICT' END;
                o_id := n_id[j]; o_wallet_id := n_wallet[j]; o_type := n_type[j];
                o_amount := n_amount[j]; o_balance_after := n_after[j]; o_status := n_status[j]; o_created_at := v_now;
                o_counterparty := n_cp[j];
                -- an applied transfer's incoming leg is always the next row written
                IF n_type[j] = 'TRANSFER_OUT' AND n_status[j] = 'SUCCESS' THEN
                    o_counterparty_balance_after := n_after[j + 1];
                END IF;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        v_bal := w_bal[pos];
        IF p_types[i] = 'DEPOSIT' THEN
            IF v_bal + p_amounts[i] > c_balance_max THEN
                o_outcome := 'REJECTED_LIMIT';
            ELSE
                o_outcome := 'APPLIED';
                v_bal := v_bal + p_amounts[i];
            END IF;
        ELSIF p_amounts[i] > v_bal THEN
            o_outcome := 'REJECTED_FUNDS';
        ELSIF v_transfer AND w_bal[pos_to] + p_amounts[i] > c_balance_max THEN
            o_outcome := 'REJECTED_LIMIT';
        ELSE
            o_outcome := 'APPLIED';
            v_bal := v_bal - p_amounts[i];
        END IF;
        o_status := CASE WHEN o_outcome = 'APPLIED' THEN 'SUCCESS' ELSE 'REJECTED' END;
        o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
        o_amount := p_amounts[i]; o_balance_after := v_bal; o_created_at := v_now;

        IF o_status = 'SUCCESS' OR p_keys[i] IS NOT NULL THEN
            w_bal[pos] := v_bal;
            w_seq[pos] := w_seq[pos] + 1;
            n_count := n_count + 1;
            n_wallet[n_count] := p_wallet_ids[i];
            n_id[n_count] := p_ids[i];
            n_seq[n_count] := w_seq[pos];
            n_type[n_count] := p_types[i];
            n_amount[n_count] := p_amounts[i];
            n_after[n_count] := v_bal;
            n_status[n_count] := o_status;
            n_key[n_count] := p_keys[i];
            n_hash[n_count] := p_hashes[i];
            n_actor[n_count] := p_actors[i];
            n_cp[n_count] := p_counterparties[i];
        END IF;
        IF v_transfer AND o_status = 'SUCCESS' THEN
            v_bal_to := w_bal[pos_to] + p_amounts[i];
            w_bal[pos_to] := v_bal_to;
            w_seq[pos_to] := w_seq[pos_to] + 1;
            n_count := n_count + 1;
            n_wallet[n_count] := p_counterparties[i];
            n_id[n_count] := p_ids[i];
            n_seq[n_count] := w_seq[pos_to];
            n_type[n_count] := 'TRANSFER_IN';
            n_amount[n_count] := p_amounts[i];
            n_after[n_count] := v_bal_to;
            n_status[n_count] := 'SUCCESS';
            n_key[n_count] := NULL;
            n_hash[n_count] := NULL;
            n_actor[n_count] := p_actors[i];
            n_cp[n_count] := p_wallet_ids[i];
            o_counterparty_balance_after := v_bal_to;
        END IF;
        RETURN NEXT;
    END LOOP;

    IF n_count > 0 THEN
        INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status,
                                idempotency_key, request_hash, actor, counterparty_wallet_id, created_at)
        SELECT u.wallet_id, u.id, u.seq, u.operation_type, u.amount, u.balance_after, u.status,
               u.idempotency_key, u.request_hash, u.actor, u.counterparty, v_now
          FROM unnest(n_wallet, n_id, n_seq, n_type, n_amount, n_after, n_status, n_key, n_hash, n_actor, n_cp)
               AS u(wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash,
                    actor, counterparty);

        UPDATE wallets wl
           SET balance = u.balance, last_seq = u.seq, updated_at = v_now
          FROM unnest(w_ids, w_bal, w_seq, w_seq0) AS u(id, balance, seq, seq0)
         WHERE wl.id = u.id
           AND u.seq <> u.seq0;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION apply_operations_v2(uuid[], uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_operations_v2(uuid[], uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) TO wallet_app;
--rollback DROP FUNCTION apply_operations_v2(uuid[], uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean);
--rollback DROP INDEX operations_transfer_legs;
--rollback ALTER TABLE operations DROP CONSTRAINT operations_transfer_in_applied;
--rollback ALTER TABLE operations DROP CONSTRAINT operations_counterparty_not_self;
--rollback ALTER TABLE operations DROP CONSTRAINT operations_transfer_has_counterparty;
--rollback ALTER TABLE operations DROP CONSTRAINT operations_type_valid;
--rollback ALTER TABLE operations ADD CONSTRAINT operations_type_valid CHECK (operation_type IN ('DEPOSIT', 'WITHDRAW'));
--rollback ALTER TABLE operations DROP COLUMN counterparty_wallet_id;
