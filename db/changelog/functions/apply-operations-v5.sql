--liquibase formatted sql

--changeset wallet-service:apply-operations-v5 runOnChange:true splitStatements:false
--comment: apply_operations_v5: v4 plus each wallet's scale, currency, min_balance / max_balance and status, judged in the batch
-- Run-on-change like v4 (its header explains why); v4 stays beside it for the previous release
-- during a rolling upgrade (it knows no limits, status or scale: finish the roll before clients
-- create wallets with them). The tables' new columns come from changeset 030.
--
-- Contract: apply_operations_v4's (functions/apply-operations-v4.sql), plus, judged with the
-- wallet rows it locks anyway (no extra statement, no extra round trip):
-- * AMOUNT_SCALE: the amount has more decimals than its wallet's scale (o_scale says which);
--   nothing stored. Otherwise the amount is rounded to the scale (only zeros are added), so every
--   value written has the wallet's display scale and prints with exactly `scale` decimals.
-- * CURRENCY_MISMATCH: a transfer (or its reversal) between wallets of different currencies;
--   nothing stored.
-- * WALLET_CLOSED: a movement on a CLOSED wallet (either wallet of a transfer); WALLET_FROZEN: a
--   debit, a new hold or a capture on a FROZEN wallet (credits and voids are accepted; for the
--   reversal of a transfer the target is the one debited). Nothing stored; judged after the
--   lookups that find a stored row again, so a retry or a replay still finds its first outcome.
-- * Debits (withdrawals, transfers, reversal debits, new holds) may take balance - held down to the
--   wallet's min_balance (0 unless set: REJECTED_FUNDS as before); credits may take the balance up
--   to its max_balance (REJECTED_LIMIT). o_limit: the bound that refused (min_balance for
--   REJECTED_FUNDS, max_balance for REJECTED_LIMIT, of the wallet that refused).
CREATE OR REPLACE FUNCTION apply_operations_v5(
    p_wallet_ids uuid[], p_counterparties uuid[], p_reverses uuid[], p_holds uuid[], p_hold_seconds int[],
    p_tenants text[], p_actors text[], p_ids uuid[], p_types text[], p_amounts numeric[], p_keys text[], p_hashes text[],
    p_check_existing boolean)
RETURNS TABLE (o_idx int, o_outcome text, o_id uuid, o_wallet_id uuid, o_type text,
               o_amount numeric, o_balance_after numeric, o_status text, o_created_at timestamptz,
               o_counterparty uuid, o_counterparty_balance_after numeric, o_reverses uuid, o_held numeric,
               o_available numeric, o_hold_status text, o_hold_captured numeric, o_hold_expires_at timestamptz,
               o_hold_closed_at timestamptz, o_lock_wait_ms double precision, o_scale int, o_limit numeric)
-- SECURITY DEFINER: the app role may not write balances, holds or ledger rows itself (changeset
-- 018); it changes them only through this function, which runs as its owner. The search_path is
-- pinned so that no object of another schema can stand in for the tables it writes.
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_now    timestamptz := now();
    v_started timestamptz := clock_timestamp();
    v_n      int := coalesce(array_length(p_ids, 1), 0);
    w_ids    uuid[];
    w_bal    numeric[];
    w_held   numeric[];
    w_held0  numeric[];
    w_seq    bigint[];
    w_seq0   bigint[];
    w_tenant text[];
    w_scale  int[];
    w_min    numeric[];
    w_max    numeric[];
    w_status text[];
    w_cur    text[];
    v_amt    numeric;
    x_ids    uuid[];
    x_sums   numeric[];
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
    n_held   numeric[] := '{}';
    v_type   text;
    v_debit  boolean;
    v_held   numeric;
    v_avail  numeric;
    v_hold_status text;
    v_any_held boolean;
    orig     operations%ROWTYPE;
    h        holds%ROWTYPE;
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
       OR coalesce(array_length(p_reverses, 1), 0) <> v_n OR coalesce(array_length(p_holds, 1), 0) <> v_n
       OR coalesce(array_length(p_hold_seconds, 1), 0) <> v_n
       OR array_position(p_tenants, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'apply_operations_v5: every operation needs a wallet, counterparty, reversal and hold slots, a tenant and an actor slot';
    END IF;
    FOR i IN 1..v_n LOOP
        IF (p_types[i] = 'TRANSFER_OUT' AND p_counterparties[i] IS NULL)
           OR (p_types[i] IN ('DEPOSIT', 'WITHDRAW', 'HOLD', 'CAPTURE', 'VOID') AND p_counterparties[i] IS NOT NULL)
           OR (p_types[i] = 'REVERSAL') <> (p_reverses[i] IS NOT NULL) OR p_counterparties[i] = p_wallet_ids[i]
           OR (p_types[i] IN ('CAPTURE', 'VOID')) <> (p_holds[i] IS NOT NULL)
           OR (p_types[i] = 'HOLD') <> (p_hold_seconds[i] IS NOT NULL) OR p_hold_seconds[i] <= 0
           OR p_types[i] NOT IN ('DEPOSIT', 'WITHDRAW', 'TRANSFER_OUT', 'REVERSAL', 'HOLD', 'CAPTURE', 'VOID') THEN
            RAISE EXCEPTION 'apply_operations_v5: operation % is malformed (type %, counterparty %, hold %)', i, p_types[i],
                p_counterparties[i], p_holds[i];
        END IF;
    END LOOP;

    -- Sources and targets together, each (wallet, tenant) pair once, locked in id order.
    SELECT array_agg(w.id ORDER BY w.id), array_agg(w.balance ORDER BY w.id), array_agg(w.held ORDER BY w.id),
           array_agg(w.last_seq ORDER BY w.id), array_agg(w.tenant ORDER BY w.id), coalesce(bool_or(w.held > 0), false),
           array_agg(w.scale ORDER BY w.id), array_agg(w.min_balance ORDER BY w.id), array_agg(w.max_balance ORDER BY w.id),
           array_agg(w.status ORDER BY w.id), array_agg(w.currency ORDER BY w.id)
      INTO w_ids, w_bal, w_held, w_seq, w_tenant, v_any_held, w_scale, w_min, w_max, w_status, w_cur
      FROM (SELECT wl.id, wl.balance, wl.held, wl.last_seq, wl.tenant, wl.scale, wl.min_balance, wl.max_balance, wl.status,
                   wl.currency
              FROM wallets wl
             WHERE wl.id = ANY (p_wallet_ids || p_counterparties)
               AND (wl.id, wl.tenant) IN (SELECT u.w, u.t FROM unnest(p_wallet_ids || p_counterparties, p_tenants || p_tenants) AS u(w, t)
                                           WHERE u.w IS NOT NULL)
             ORDER BY wl.id
               FOR UPDATE) w;
    w_seq0 := w_seq;
    w_held0 := w_held;
    o_lock_wait_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;

    -- Lazy expiry: only a wallet with something on hold can have a hold to expire, so a batch of
    -- wallets with nothing held pays no extra statement (v_any_held comes with the lock).
    IF v_any_held THEN
        WITH expired AS (
            UPDATE holds hd SET status = 'EXPIRED', closed_at = hd.expires_at
             WHERE hd.wallet_id = ANY (w_ids) AND hd.status = 'HELD' AND hd.expires_at <= v_now
            RETURNING hd.wallet_id, hd.amount)
        SELECT array_agg(e.wallet_id), array_agg(e.total) INTO x_ids, x_sums
          FROM (SELECT wallet_id, sum(amount) AS total FROM expired GROUP BY wallet_id) e;
        FOR k IN 1..coalesce(array_length(x_ids, 1), 0) LOOP
            pos := array_position(w_ids, x_ids[k]);
            w_held[pos] := w_held[pos] - x_sums[k];
        END LOOP;
    END IF;

    FOR i IN 1..v_n LOOP
        o_idx := i;
        -- two wallets: a transfer, or the reversal of one (p_wallet_ids = the transfer's source)
        v_transfer := p_counterparties[i] IS NOT NULL;
        pos := array_position(w_ids, p_wallet_ids[i]);
        pos_to := CASE WHEN v_transfer THEN array_position(w_ids, p_counterparties[i]) END;
        o_counterparty := p_counterparties[i]; o_counterparty_balance_after := NULL; o_reverses := p_reverses[i];
        o_held := NULL; o_available := NULL; o_hold_status := NULL; o_hold_captured := NULL; o_hold_expires_at := NULL;
        o_hold_closed_at := NULL; o_scale := NULL; o_limit := NULL;
        IF pos IS NULL OR w_tenant[pos] <> p_tenants[i]
           OR (v_transfer AND (pos_to IS NULL OR w_tenant[pos_to] <> p_tenants[i])) THEN
            o_outcome := 'NOT_FOUND'; o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
            o_amount := p_amounts[i]; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;
        -- The wallet's scale and currency: refused before anything is looked up or written.
        o_scale := w_scale[pos];
        IF scale(p_amounts[i]) > w_scale[pos] OR (v_transfer AND w_cur[pos_to] <> w_cur[pos]) THEN
            o_outcome := CASE WHEN scale(p_amounts[i]) > w_scale[pos] THEN 'AMOUNT_SCALE' ELSE 'CURRENCY_MISMATCH' END;
            o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
            o_amount := p_amounts[i]; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_amt := round(p_amounts[i], w_scale[pos]);

        -- Holds: written at once (not gathered like ledger rows), so a later request of this batch
        -- on the same hold or key sees them, exactly as one-by-one processing would.
        IF p_types[i] IN ('HOLD', 'CAPTURE', 'VOID') THEN
            h := NULL;
            o_outcome := NULL;
            IF p_types[i] = 'HOLD' THEN
                IF p_check_existing THEN
                    SELECT * INTO h FROM holds hd WHERE hd.id = p_ids[i] AND hd.wallet_id = p_wallet_ids[i];
                    IF FOUND THEN
                        o_outcome := 'EXISTING';
                    END IF;
                END IF;
                IF h.id IS NULL AND p_keys[i] IS NOT NULL THEN
                    SELECT * INTO h FROM holds hd WHERE hd.wallet_id = p_wallet_ids[i] AND hd.idempotency_key = p_keys[i];
                    IF FOUND THEN
                        o_outcome := CASE WHEN h.request_hash = p_hashes[i] THEN 'REPLAY' ELSE 'KEY_CONFLICT' END;
                    END IF;
                END IF;
                IF h.id IS NULL AND w_status[pos] <> 'ACTIVE' THEN
                    o_outcome := CASE w_status[pos] WHEN 'FROZEN' THEN 'WALLET_FROZEN' ELSE 'WALLET_CLOSED' END;
                    o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
                    o_amount := v_amt; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
                    RETURN NEXT;
                    CONTINUE;
                END IF;
                IF h.id IS NULL THEN
                    v_avail := w_bal[pos] - w_held[pos];
                    IF v_avail - v_amt < w_min[pos] THEN
                        o_limit := w_min[pos];
                        o_outcome := 'REJECTED_FUNDS';
                        v_hold_status := 'REJECTED';
                    ELSE
                        o_outcome := 'APPLIED';
                        v_hold_status := 'HELD';
                        w_held[pos] := w_held[pos] + v_amt;
                        v_avail := v_avail - v_amt;
                    END IF;
                    h.id := p_ids[i]; h.wallet_id := p_wallet_ids[i]; h.amount := v_amt; h.status := v_hold_status;
                    h.expires_at := v_now + make_interval(secs => p_hold_seconds[i]); h.created_at := v_now;
                    h.closed_at := CASE WHEN v_hold_status = 'REJECTED' THEN v_now END; h.available_after := v_avail;
                    IF v_hold_status = 'HELD' OR p_keys[i] IS NOT NULL THEN
                        INSERT INTO holds (id, wallet_id, amount, status, expires_at, created_at, closed_at, available_after,
                                           actor, idempotency_key, request_hash)
                        VALUES (h.id, h.wallet_id, h.amount, h.status, h.expires_at, h.created_at, h.closed_at, h.available_after,
                                p_actors[i], p_keys[i], p_hashes[i]);
                    END IF;
                    IF v_hold_status = 'REJECTED' AND w_held[pos] > 0 THEN
                        o_held := w_held[pos];
                    END IF;
                END IF;
                -- the placing answer's (a replay repeats it, whatever became of the hold since)
                o_available := h.available_after;
            ELSE
                SELECT * INTO h FROM holds hd WHERE hd.id = p_holds[i] AND hd.wallet_id = p_wallet_ids[i];
                IF NOT FOUND THEN
                    o_outcome := 'HOLD_NOT_FOUND'; o_id := p_holds[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
                    o_amount := v_amt; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
                    RETURN NEXT;
                    CONTINUE;
                END IF;
                IF h.status <> 'HELD' THEN
                    IF p_check_existing AND h.close_id = p_ids[i] THEN
                        o_outcome := 'EXISTING';
                    ELSIF p_keys[i] IS NOT NULL AND h.close_key = p_keys[i] THEN
                        o_outcome := CASE WHEN h.close_hash = p_hashes[i] THEN 'REPLAY' ELSE 'KEY_CONFLICT' END;
                    ELSE
                        o_outcome := 'HOLD_CLOSED';
                    END IF;
                    o_available := h.closed_available_after;
                ELSIF p_types[i] = 'CAPTURE' AND v_amt > h.amount THEN
                    o_outcome := 'CAPTURE_EXCEEDS';
                ELSIF (p_types[i] = 'CAPTURE' AND w_status[pos] = 'FROZEN') OR w_status[pos] = 'CLOSED' THEN
                    o_outcome := CASE w_status[pos] WHEN 'FROZEN' THEN 'WALLET_FROZEN' ELSE 'WALLET_CLOSED' END;
                    o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
                    o_amount := v_amt; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
                    RETURN NEXT;
                    CONTINUE;
                ELSE
                    o_outcome := 'APPLIED';
                    w_held[pos] := w_held[pos] - h.amount;
                    IF p_types[i] = 'CAPTURE' THEN
                        -- never refused: the hold set the money aside (held <= balance)
                        w_bal[pos] := w_bal[pos] - v_amt;
                        w_seq[pos] := w_seq[pos] + 1;
                        n_count := n_count + 1;
                        n_wallet[n_count] := p_wallet_ids[i];
                        n_id[n_count] := h.id;
                        n_seq[n_count] := w_seq[pos];
                        n_type[n_count] := 'CAPTURE';
                        n_amount[n_count] := v_amt;
                        n_after[n_count] := w_bal[pos];
                        n_status[n_count] := 'SUCCESS';
                        n_key[n_count] := NULL;
                        n_hash[n_count] := NULL;
                        n_actor[n_count] := p_actors[i];
                        n_cp[n_count] := NULL;
                        n_rev[n_count] := NULL;
                        n_held[n_count] := NULL;
                    END IF;
                    UPDATE holds hd
                       SET status = CASE WHEN p_types[i] = 'CAPTURE' THEN 'CAPTURED' ELSE 'VOIDED' END,
                           captured_amount = CASE WHEN p_types[i] = 'CAPTURE' THEN v_amt END,
                           closed_at = v_now, closed_available_after = w_bal[pos] - w_held[pos], closed_actor = p_actors[i],
                           close_id = p_ids[i], close_key = p_keys[i], close_hash = p_hashes[i]
                     WHERE hd.id = h.id
                    RETURNING * INTO h;
                    o_available := h.closed_available_after;
                END IF;
            END IF;
            o_id := h.id; o_wallet_id := h.wallet_id; o_type := p_types[i]; o_amount := h.amount;
            o_balance_after := CASE WHEN o_outcome = 'APPLIED' AND p_types[i] = 'CAPTURE' THEN w_bal[pos] END;
            o_status := NULL; o_created_at := h.created_at;
            o_hold_status := h.status; o_hold_captured := h.captured_amount; o_hold_expires_at := h.expires_at;
            o_hold_closed_at := h.closed_at;
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
            o_counterparty := r.counterparty_wallet_id; o_reverses := r.reverses_id; o_held := r.held;
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
                o_counterparty := n_cp[j]; o_reverses := n_rev[j]; o_held := n_held[j];
                -- the other leg of an applied transfer (or of its reversal) is always the next row written
                IF n_cp[j] IS NOT NULL AND n_status[j] = 'SUCCESS' THEN
                    o_counterparty_balance_after := n_after[j + 1];
                END IF;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;

        -- A reversal: the original must be an applied deposit, withdrawal or capture of this
        -- wallet, or an applied transfer from it to p_counterparties[i]; at most one applied
        -- reversal per original.
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
            ELSIF orig.status <> 'SUCCESS' OR orig.operation_type NOT IN ('DEPOSIT', 'WITHDRAW', 'CAPTURE', 'TRANSFER_OUT')
                  OR orig.amount <> v_amt THEN
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
                o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i]; o_amount := v_amt;
                o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
                RETURN NEXT;
                CONTINUE;
            END IF;
            -- a deposit is taken back; a withdrawal, a capture or a transfer (to its source) is given back
            v_type := CASE WHEN orig.operation_type = 'DEPOSIT' THEN 'REVERSAL_OUT' ELSE 'REVERSAL_IN' END;
        END IF;
        v_debit := v_type IN ('WITHDRAW', 'TRANSFER_OUT', 'REVERSAL_OUT');
        -- Status: a CLOSED wallet takes no movement; a FROZEN one takes credits only (the reversal
        -- of a transfer debits its target).
        IF w_status[pos] = 'CLOSED' OR (v_transfer AND w_status[pos_to] = 'CLOSED')
           OR (v_debit AND w_status[pos] = 'FROZEN')
           OR (v_transfer AND NOT v_debit AND w_status[pos_to] = 'FROZEN') THEN
            o_outcome := CASE WHEN w_status[pos] = 'CLOSED' OR (v_transfer AND w_status[pos_to] = 'CLOSED') THEN 'WALLET_CLOSED'
                              ELSE 'WALLET_FROZEN' END;
            o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := p_types[i];
            o_amount := v_amt; o_balance_after := NULL; o_status := NULL; o_created_at := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;

        v_bal := w_bal[pos];
        v_held := NULL;
        IF v_type = 'REVERSAL_IN' AND v_transfer THEN
            -- the reversal of a transfer: the target pays back from what it has available
            IF w_bal[pos_to] - w_held[pos_to] - v_amt < w_min[pos_to] THEN
                o_outcome := 'REJECTED_FUNDS';
                o_limit := w_min[pos_to];
            ELSIF v_bal + v_amt > w_max[pos] THEN
                o_outcome := 'REJECTED_LIMIT';
                o_limit := w_max[pos];
            ELSE
                o_outcome := 'APPLIED';
                v_bal := v_bal + v_amt;
            END IF;
        ELSIF NOT v_debit THEN
            IF v_bal + v_amt > w_max[pos] THEN
                o_outcome := 'REJECTED_LIMIT';
                o_limit := w_max[pos];
            ELSE
                o_outcome := 'APPLIED';
                v_bal := v_bal + v_amt;
            END IF;
        ELSIF v_bal - w_held[pos] - v_amt < w_min[pos] THEN
            o_outcome := 'REJECTED_FUNDS';
            o_limit := w_min[pos];
            v_held := NULLIF(w_held[pos], 0);
        ELSIF v_transfer AND w_bal[pos_to] + v_amt > w_max[pos_to] THEN
            o_outcome := 'REJECTED_LIMIT';
            o_limit := w_max[pos_to];
        ELSE
            o_outcome := 'APPLIED';
            v_bal := v_bal - v_amt;
        END IF;
        o_status := CASE WHEN o_outcome = 'APPLIED' THEN 'SUCCESS' ELSE 'REJECTED' END;
        o_id := p_ids[i]; o_wallet_id := p_wallet_ids[i]; o_type := v_type;
        o_amount := v_amt; o_balance_after := v_bal; o_created_at := v_now; o_held := v_held;

        IF o_status = 'SUCCESS' OR p_keys[i] IS NOT NULL THEN
            w_bal[pos] := v_bal;
            w_seq[pos] := w_seq[pos] + 1;
            n_count := n_count + 1;
            n_wallet[n_count] := p_wallet_ids[i];
            n_id[n_count] := p_ids[i];
            n_seq[n_count] := w_seq[pos];
            n_type[n_count] := v_type;
            n_amount[n_count] := v_amt;
            n_after[n_count] := v_bal;
            n_status[n_count] := o_status;
            n_key[n_count] := p_keys[i];
            n_hash[n_count] := p_hashes[i];
            n_actor[n_count] := p_actors[i];
            n_cp[n_count] := p_counterparties[i];
            n_rev[n_count] := p_reverses[i];
            n_held[n_count] := v_held;
        END IF;
        IF v_transfer AND o_status = 'SUCCESS' THEN
            v_bal_to := w_bal[pos_to] + CASE WHEN v_debit THEN v_amt ELSE -v_amt END;
            w_bal[pos_to] := v_bal_to;
            w_seq[pos_to] := w_seq[pos_to] + 1;
            n_count := n_count + 1;
            n_wallet[n_count] := p_counterparties[i];
            n_id[n_count] := p_ids[i];
            n_seq[n_count] := w_seq[pos_to];
            -- TRANSFER_IN; for the reversal of a transfer the target's leg, which points at its TRANSFER_IN
            n_type[n_count] := CASE WHEN v_debit THEN 'TRANSFER_IN' ELSE 'REVERSAL_OUT' END;
            n_amount[n_count] := v_amt;
            n_after[n_count] := v_bal_to;
            n_status[n_count] := 'SUCCESS';
            n_key[n_count] := NULL;
            n_hash[n_count] := NULL;
            n_actor[n_count] := p_actors[i];
            n_cp[n_count] := p_wallet_ids[i];
            n_rev[n_count] := p_reverses[i];
            n_held[n_count] := NULL;
            o_counterparty_balance_after := v_bal_to;
        END IF;
        RETURN NEXT;
    END LOOP;

    IF n_count > 0 THEN
        INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status,
                                idempotency_key, request_hash, actor, counterparty_wallet_id, reverses_id, held, created_at)
        SELECT u.wallet_id, u.id, u.seq, u.operation_type, u.amount, u.balance_after, u.status,
               u.idempotency_key, u.request_hash, u.actor, u.counterparty, u.reverses, u.held, v_now
          FROM unnest(n_wallet, n_id, n_seq, n_type, n_amount, n_after, n_status, n_key, n_hash, n_actor, n_cp, n_rev, n_held)
               AS u(wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash,
                    actor, counterparty, reverses, held);
    END IF;
    -- w_held differs from the locked value when holds were expired, created or closed.
    IF n_count > 0 OR w_held IS DISTINCT FROM w_held0 THEN
        UPDATE wallets wl
           SET balance = u.balance, held = u.held, last_seq = u.seq, updated_at = v_now
          FROM unnest(w_ids, w_bal, w_held, w_seq, w_seq0) AS u(id, balance, held, seq, seq0)
         WHERE wl.id = u.id
           AND (u.seq <> u.seq0 OR wl.held <> u.held);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION apply_operations_v5(uuid[], uuid[], uuid[], uuid[], int[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_operations_v5(uuid[], uuid[], uuid[], uuid[], int[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) TO wallet_app;
--rollback DROP FUNCTION apply_operations_v5(uuid[], uuid[], uuid[], uuid[], int[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean);
