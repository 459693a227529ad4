--liquibase formatted sql

--changeset wallet-service:013-reversal-within-batch splitStatements:false
--comment: apply_operations_v3 finds an original written earlier in the same batch (found by the fast-check model of test/wallets/transfer-engine.test.ts)
-- The version of 012 looked for the original only in the table, so a reversal sharing a batch
-- with its original was answered ORIGINAL_NOT_FOUND, where one-by-one processing applies it. Through
-- the API the two cannot share a batch (the service reads the committed original before it submits
-- the reversal), but the engine's contract is "exactly what one-by-one processing gives".
-- Same signature and result, so CREATE OR REPLACE keeps the grants of changeset 012.
CREATE OR REPLACE FUNCTION apply_operations_v3(
    p_wallet_ids uuid[], p_counterparties uuid[], p_reverses uuid[], p_tenants text[], p_actors text[], p_ids uuid[],
    p_types text[], p_amounts numeric[], p_keys text[], p_hashes text[], p_check_existing boolean)
RETURNS TABLE (o_idx int, o_outcome text, o_id uuid, o_wallet_id uuid, o_type text,
               o_amount numeric, o_balance_after numeric, o_status text, o_created_at timestamptz,
               o_counterparty uuid, o_counterparty_balance_after numeric, o_reverses uuid, o_lock_wait_ms double precision)
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
    n_rev    uuid[] := '{}';
    v_type   text;
    v_debit  boolean;
    orig     operations%ROWTYPE;
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
       OR coalesce(array_length(p_reverses, 1), 0) <> v_n
       OR array_position(p_tenants, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'apply_operations_v3: every operation needs a wallet, a counterparty slot, a tenant and an actor slot';
    END IF;
    FOR i IN 1..v_n LOOP
        IF (p_types[i] = 'TRANSFER_OUT' AND p_counterparties[i] IS NULL)
           OR (p_types[i] IN ('DEPOSIT', 'WITHDRAW') AND p_counterparties[i] IS NOT NULL)
           OR (p_types[i] = 'REVERSAL') <> (p_reverses[i] IS NOT NULL) OR p_counterparties[i] = p_wallet_ids[i]
           OR p_types[i] NOT IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT', 'REVERSAL') THEN
            RAISE EXCEPTION 'apply_operations_v3: operation % is malformed (type %, counterparty %)', i, p_types[i], p_counterparties[i];
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
        -- two wallets: a transfer, or the reversal of one (p_wallet_ids = the transfer's source)
        v_transfer := p_counterparties[i] IS NOT NULL;
        pos := array_position(w_ids, p_wallet_ids[i]);
        pos_to := CASE WHEN v_transfer THEN array_position(w_ids, p_counterparties[i]) END;
        o_counterparty := p_counterparties[i]; o_counterparty_balance_after := NULL; o_reverses := p_reverses[i];
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
            o_counterparty := r.counterparty_wallet_id; o_reverses := r.reverses_id;
            IF r.counterparty_wallet_id IS NOT NULL AND r.status = 'SUCCESS' THEN
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
                o_counterparty := n_cp[j]; o_reverses := n_rev[j];
                -- the other leg of an applied transfer (or of its reversal) is always the next row written
                IF n_cp[j] IS NOT NULL AND n_status[j] = 'SUCCESS' THEN
                    o_counterparty_balance_after := n_after[j + 1];
                END IF;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        -- A reversal: the original must be an applied deposit or withdrawal of this wallet, or an
        -- applied transfer from it to p_counterparties[i]; at most one applied reversal per original.
        v_type := p_types[i];
        IF p_types[i] = 'REVERSAL' THEN
            o_outcome := NULL;
            SELECT * INTO orig FROM operations o WHERE o.wallet_id = p_wallet_ids[i] AND o.id = p_reverses[i];
            IF NOT FOUND THEN
                -- The original may be earlier in this batch (its row is written at the end):
                -- one-by-one processing would see it, so the batch must too.
                FOR k IN 1..n_count LOOP
                    IF n_wallet[k] = p_wallet_ids[i] AND n_id[k] = p_reverses[i] THEN
                        orig.id := n_id[k]; orig.wallet_id := n_wallet[k]; orig.operation_type := n_type[k];
                        orig.amount := n_amount[k]; orig.status := n_status[k]; orig.counterparty_wallet_id := n_cp[k];
                        EXIT;
                    END IF;
                END LOOP;
            END IF;
            IF orig.id IS NULL OR (v_transfer AND (orig.operation_type <> 'TRANSFER_OUT' OR orig.counterparty_wallet_id <> p_counterparties[i]))
               OR (NOT v_transfer AND orig.operation_type = 'TRANSFER_OUT') THEN
                o_outcome := 'ORIGINAL_NOT_FOUND';
            ELSIF orig.status <> 'SUCCESS' OR orig.operation_type NOT IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT')
                  OR orig.amount <> p_amounts[i] THEN
                o_outcome := 'NOT_REVERSIBLE';
            ELSE
                SELECT * INTO r FROM operations o
                 WHERE o.wallet_id = p_wallet_ids[i] AND o.reverses_id = p_reverses[i] AND o.status = 'SUCCESS';
                IF NOT FOUND THEN
                    FOR k IN 1..n_count LOOP
                        IF n_rev[k] = p_reverses[i] AND n_wallet[k] = p_wallet_ids[i] AND n_status[k] = 'SUCCESS' THEN
                            r.id := n_id[k]; r.wallet_id := n_wallet[k]; r.operation_type := n_type[k]; r.amount := n_amount[k];
                            r.balance_after := n_after[k]; r.status := n_status[k]; r.created_at := v_now;
                            EXIT;
                        END IF;
                    END LOOP;
                END IF;
                IF r.id IS NOT NULL THEN
                    o_outcome := 'ALREADY_REVERSED';
                    o_id := r.id; o_wallet_id := r.wallet_id; o_type := r.operation_type; o_amount := r.amount;
                    o_balance_after := r.balance_after; o_status := r.status; o_created_at := r.created_at;
                    RETURN NEXT;
                    CONTINUE;
                END IF;
            END IF;
            IF o_outcome IN ('ORIGINAL_NOT_FOUND', 'NOT_REVERSIBLE') THEN
                o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i]; o_amount := p_amounts[i];
                o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
                RETURN NEXT;
                CONTINUE;
            END IF;
            -- a deposit is taken back; a withdrawal, or a transfer (to its source), is given back
            v_type := CASE WHEN orig.operation_type = 'DEPOSIT' THEN 'REVERSAL_OUT' ELSE 'REVERSAL_IN' END;
        END IF;
        v_debit := v_type IN ('WITHDRAW', 'TRANSFER_OUT', 'REVERSAL_OUT');

        v_bal := w_bal[pos];
        IF v_type = 'REVERSAL_IN' AND v_transfer THEN
            -- the reversal of a transfer: the target pays back, the source is credited
            IF p_amounts[i] > w_bal[pos_to] THEN
                o_outcome := 'REJECTED_FUNDS';
            ELSIF v_bal + p_amounts[i] > c_balance_max THEN
                o_outcome := 'REJECTED_LIMIT';
            ELSE
                o_outcome := 'APPLIED';
                v_bal := v_bal + p_amounts[i];
            END IF;
        ELSIF NOT v_debit THEN
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
        o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := v_type;
        o_amount := p_amounts[i]; o_balance_after := v_bal; o_created_at := v_now;

        IF o_status = 'SUCCESS' OR p_keys[i] IS NOT NULL THEN
            w_bal[pos] := v_bal;
            w_seq[pos] := w_seq[pos] + 1;
            n_count := n_count + 1;
            n_wallet[n_count] := p_wallet_ids[i];
            n_id[n_count] := p_ids[i];
            n_seq[n_count] := w_seq[pos];
            n_type[n_count] := v_type;
            n_amount[n_count] := p_amounts[i];
            n_after[n_count] := v_bal;
            n_status[n_count] := o_status;
            n_key[n_count] := p_keys[i];
            n_hash[n_count] := p_hashes[i];
            n_actor[n_count] := p_actors[i];
            n_cp[n_count] := p_counterparties[i];
            n_rev[n_count] := p_reverses[i];
        END IF;
        IF v_transfer AND o_status = 'SUCCESS' THEN
            v_bal_to := w_bal[pos_to] + CASE WHEN v_debit THEN p_amounts[i] ELSE -p_amounts[i] END;
            w_bal[pos_to] := v_bal_to;
            w_seq[pos_to] := w_seq[pos_to] + 1;
            n_count := n_count + 1;
            n_wallet[n_count] := p_counterparties[i];
            n_id[n_count] := p_ids[i];
            n_seq[n_count] := w_seq[pos_to];
            -- TRANSFER_IN; for the reversal of a transfer the target's leg, which points at its TRANSFER_IN
            n_type[n_count] := CASE WHEN v_debit THEN 'TRANSFER_IN' ELSE 'REVERSAL_OUT' END;
            n_amount[n_count] := p_amounts[i];
            n_after[n_count] := v_bal_to;
            n_status[n_count] := 'SUCCESS';
            n_key[n_count] := NULL;
            n_hash[n_count] := NULL;
            n_actor[n_count] := p_actors[i];
            n_cp[n_count] := p_wallet_ids[i];
            n_rev[n_count] := p_reverses[i];
            o_counterparty_balance_after := v_bal_to;
        END IF;
        RETURN NEXT;
    END LOOP;

    IF n_count > 0 THEN
        INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status,
                                idempotency_key, request_hash, actor, counterparty_wallet_id, reverses_id, created_at)
        SELECT u.wallet_id, u.id, u.seq, u.operation_type, u.amount, u.balance_after, u.status,
               u.idempotency_key, u.request_hash, u.actor, u.counterparty, u.reverses, v_now
          FROM unnest(n_wallet, n_id, n_seq, n_type, n_amount, n_after, n_status, n_key, n_hash, n_actor, n_cp, n_rev)
               AS u(wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash,
                    actor, counterparty, reverses);

        UPDATE wallets wl
           SET balance = u.balance, last_seq = u.seq, updated_at = v_now
          FROM unnest(w_ids, w_bal, w_seq, w_seq0) AS u(id, balance, seq, seq0)
         WHERE wl.id = u.id
           AND u.seq <> u.seq0;
    END IF;
END
$$;
-- No rollback statement: rolling back means re-running the function of changeset 012.
