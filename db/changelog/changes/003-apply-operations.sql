--liquibase formatted sql

--changeset wallet-service:003-apply-operations splitStatements:false
--comment: applies a batch of operations in one call: one round trip, one lock per wallet, one insert
-- Applies operations in arrival order inside the caller's transaction and returns one row per input
-- (o_idx = position in the input arrays). Wallet rows are locked once, in id order, so two batches
-- that touch overlapping wallets always queue instead of deadlocking. Each operation is accepted or
-- rejected against the running balance, exactly as if the operations had arrived one by one.
--
-- o_outcome:
--   APPLIED         stored now with status SUCCESS
--   REJECTED_FUNDS  withdrawal above the balance (stored as REJECTED only when it has a key)
--   REJECTED_LIMIT  deposit past the balance limit (stored as REJECTED only when it has a key)
--   EXISTING        this operation id is already stored: an earlier attempt committed (retry check)
--   REPLAY          the idempotency key is already stored with the same request hash
--   KEY_CONFLICT    the idempotency key is already stored with a different request hash
--   NOT_FOUND       the wallet does not exist
-- For rejections o_balance_after is the unchanged balance (the refusal message quotes it).
CREATE FUNCTION apply_operations(
    p_wallet_ids uuid[], p_ids uuid[], p_types text[], p_amounts numeric[],
    p_keys text[], p_hashes text[], p_check_existing boolean)
RETURNS TABLE (o_idx int, o_outcome text, o_id uuid, o_wallet_id uuid, o_type text,
               o_amount numeric, o_balance_after numeric, o_status text, o_created_at timestamptz,
               o_lock_wait_ms double precision)
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
    i int; j int; k int; pos int;
    v_bal numeric;
    r operations%ROWTYPE;
BEGIN
    IF v_n = 0 THEN
        RETURN;
    END IF;

    SELECT array_agg(w.id ORDER BY w.id), array_agg(w.balance ORDER BY w.id), array_agg(w.last_seq ORDER BY w.id)
      INTO w_ids, w_bal, w_seq
      FROM (SELECT wl.id, wl.balance, wl.last_seq
              FROM wallets wl
             WHERE wl.id = ANY (p_wallet_ids)
             ORDER BY wl.id
               FOR UPDATE) w;
    w_seq0 := w_seq;
    -- time spent acquiring the row locks (the same value on every row)
    o_lock_wait_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;

    FOR i IN 1..v_n LOOP
        o_idx := i;
        pos := array_position(w_ids, p_wallet_ids[i]);
        IF pos IS NULL THEN
            o_outcome := 'NOT_FOUND'; o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
            o_amount := p_amounts[i]; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- A retry after an ambiguous COMMIT: the earlier attempt may have stored this very id.
        IF p_check_existing THEN
            SELECT * INTO r FROM operations o WHERE o.wallet_id = p_wallet_ids[i] AND o.id = p_ids[i];
            IF FOUND THEN
                o_outcome := 'EXISTING'; o_id := r.id; o_wallet_id := r.wallet_id; o_type := r.operation_type;
                o_amount := r.amount; o_balance_after := r.balance_after; o_status := r.status; o_created_at := r.created_at;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        IF p_keys[i] IS NOT NULL THEN
            SELECT * INTO r FROM operations o WHERE o.wallet_id = p_wallet_ids[i] AND o.idempotency_key = p_keys[i];
            IF FOUND THEN
                o_outcome := CASE WHEN r.request_hash = p_hashes[i] THEN 'REPLAY' ELSE 'KEY_CONFLICT' END;
                o_id := r.id; o_wallet_id := r.wallet_id; o_type := r.operation_type;
                o_amount := r.amount; o_balance_after := r.balance_after; o_status := r.status; o_created_at := r.created_at;
                RETURN NEXT;
                CONTINUE;
            END IF;
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
        ELSE
            IF p_amounts[i] > v_bal THEN
                o_outcome := 'REJECTED_FUNDS';
            ELSE
                o_outcome := 'APPLIED';
                v_bal := v_bal - p_amounts[i];
            END IF;
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
        END IF;
        RETURN NEXT;
    END LOOP;

    IF n_count > 0 THEN
        INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status,
                                idempotency_key, request_hash, created_at)
        SELECT u.wallet_id, u.id, u.seq, u.operation_type, u.amount, u.balance_after, u.status,
               u.idempotency_key, u.request_hash, v_now
          FROM unnest(n_wallet, n_id, n_seq, n_type, n_amount, n_after, n_status, n_key, n_hash)
               AS u(wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash);

        UPDATE wallets wl
           SET balance = u.balance, last_seq = u.seq, updated_at = v_now
          FROM unnest(w_ids, w_bal, w_seq, w_seq0) AS u(id, balance, seq, seq0)
         WHERE wl.id = u.id
           AND u.seq <> u.seq0;
    END IF;
END
$$;
--rollback DROP FUNCTION apply_operations(uuid[], uuid[], text[], numeric[], text[], text[], boolean);
