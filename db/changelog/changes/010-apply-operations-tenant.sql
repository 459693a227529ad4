--liquibase formatted sql

--changeset wallet-service:010-apply-operations-tenant splitStatements:false
--comment: apply_operations takes each operation's tenant and key id: another tenant's wallet is NOT_FOUND in the same call that locks it, and each ledger row records its actor
-- Same contract as changeset 003 (its header explains o_outcome and the lock order), plus:
--   p_tenants[i]  the tenant of the key that sent operation i. Only wallets of that tenant are
--                 locked for it (another tenant's hot wallet cannot be made to queue behind a
--                 stranger's batch), and a wallet of another tenant is NOT_FOUND, exactly like a
--                 wallet that does not exist (no existence leak).
--   p_actors[i]   the key id stored in operations.actor (NULL under AUTH_REQUIRED=false).
-- The tenant-blind 7-argument version is dropped so that no caller can bypass the check.
DROP FUNCTION apply_operations(uuid[], uuid[], text[], numeric[], text[], text[], boolean);
CREATE FUNCTION apply_operations(
    p_wallet_ids uuid[], p_tenants text[], p_actors text[], p_ids uuid[], p_types text[], p_amounts numeric[],
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
    i int; j int; k int; pos int;
    v_bal numeric;
    r operations%ROWTYPE;
BEGIN
    IF v_n = 0 THEN
        RETURN;
    END IF;
    IF coalesce(array_length(p_wallet_ids, 1), 0) <> v_n OR coalesce(array_length(p_tenants, 1), 0) <> v_n
       OR coalesce(array_length(p_actors, 1), 0) <> v_n OR array_position(p_tenants, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'apply_operations: every operation needs a wallet, a tenant and an actor slot';
    END IF;

    SELECT array_agg(w.id ORDER BY w.id), array_agg(w.balance ORDER BY w.id), array_agg(w.last_seq ORDER BY w.id),
           array_agg(w.tenant ORDER BY w.id)
      INTO w_ids, w_bal, w_seq, w_tenant
      FROM (SELECT wl.id, wl.balance, wl.last_seq, wl.tenant
              FROM wallets wl
             WHERE wl.id = ANY (p_wallet_ids)
               AND (wl.id, wl.tenant) IN (SELECT u.w, u.t FROM unnest(p_wallet_ids, p_tenants) AS u(w, t))
             ORDER BY wl.id
               FOR UPDATE) w;
    w_seq0 := w_seq;
    -- time spent acquiring the row locks (the same value on every row)
    o_lock_wait_ms := extract(epoch FROM clock_timestamp() - v_started) * 1000;

    FOR i IN 1..v_n LOOP
        o_idx := i;
        pos := array_position(w_ids, p_wallet_ids[i]);
        -- The same wallet may be asked for by its own tenant and by another one in one batch.
        IF pos IS NULL OR w_tenant[pos] <> p_tenants[i] THEN
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
            n_actor[n_count] := p_actors[i];
        END IF;
        RETURN NEXT;
    END LOOP;

    IF n_count > 0 THEN
        INSERT INTO operations (wallet_id, id, seq, operation_type, amount, balance_after, status,
                                idempotency_key, request_hash, actor, created_at)
        SELECT u.wallet_id, u.id, u.seq, u.operation_type, u.amount, u.balance_after, u.status,
               u.idempotency_key, u.request_hash, u.actor, v_now
          FROM unnest(n_wallet, n_id, n_seq, n_type, n_amount, n_after, n_status, n_key, n_hash, n_actor)
               AS u(wallet_id, id, seq, operation_type, amount, balance_after, status, idempotency_key, request_hash, actor);

        UPDATE wallets wl
           SET balance = u.balance, last_seq = u.seq, updated_at = v_now
          FROM unnest(w_ids, w_bal, w_seq, w_seq0) AS u(id, balance, seq, seq0)
         WHERE wl.id = u.id
           AND u.seq <> u.seq0;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION apply_operations(uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_operations(uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean) TO wallet_app;
--rollback DROP FUNCTION apply_operations(uuid[], text[], text[], uuid[], text[], numeric[], text[], text[], boolean);
--rollback -- then re-run the body of changeset 003 to restore the tenant-blind version
