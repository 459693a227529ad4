/** Reconcile's fourth pass: holds against wallets and the ledger (see reconcile.ts, pass 4). Read-only SQL. */

export interface HoldMismatchRow {
  kind: 'held' | 'hold';
  wallet_id: string;
  message: string;
}

// Holds: the wallet's held against its HELD holds, each capture against its ledger row, and the
// lazy expiry's promise (a wallet written after a hold's expiry no longer counts it as HELD).
export const holdsSql = (filtered: boolean) => `
  WITH active AS (
    SELECT wallet_id, sum(amount) AS total FROM holds
     WHERE status = 'HELD' ${filtered ? 'AND wallet_id = ANY ($1::uuid[])' : ''}
     GROUP BY wallet_id
  )
  SELECT 'held' AS kind, w.id::text AS wallet_id,
         format('held %s, but its HELD holds sum to %s (balance %s)', w.held, coalesce(a.total, 0), w.balance) AS message
    FROM wallets w LEFT JOIN active a ON a.wallet_id = w.id
   WHERE (w.held <> coalesce(a.total, 0) OR w.held < 0) ${filtered ? 'AND w.id = ANY ($1::uuid[])' : ''}
  UNION ALL
  SELECT 'hold', h.wallet_id::text,
         format('hold %s is %s (amount %s, captured %s) but its CAPTURE ledger row is %s', h.id, h.status, h.amount,
                coalesce(h.captured_amount::text, 'nothing'), coalesce(o.amount::text || ' ' || o.status, 'missing'))
    FROM holds h LEFT JOIN operations o ON o.wallet_id = h.wallet_id AND o.id = h.id AND o.operation_type = 'CAPTURE'
   WHERE ((h.status = 'CAPTURED') <> (o.id IS NOT NULL) OR o.amount <> h.captured_amount OR h.captured_amount > h.amount
          OR o.status <> 'SUCCESS')
     ${filtered ? 'AND h.wallet_id = ANY ($1::uuid[])' : ''}
  UNION ALL
  SELECT 'hold', o.wallet_id::text, format('CAPTURE %s (seq %s, amount %s) has no hold', o.id, o.seq, o.amount)
    FROM operations o LEFT JOIN holds h ON h.id = o.id AND h.wallet_id = o.wallet_id
   WHERE o.operation_type = 'CAPTURE' AND h.id IS NULL ${filtered ? 'AND o.wallet_id = ANY ($1::uuid[])' : ''}
  UNION ALL
  SELECT 'hold', h.wallet_id::text,
         format('hold %s is still HELD although it expired at %s and the wallet was written at %s', h.id, h.expires_at, w.updated_at)
    FROM holds h JOIN wallets w ON w.id = h.wallet_id
   WHERE h.status = 'HELD' AND h.expires_at <= w.updated_at ${filtered ? 'AND h.wallet_id = ANY ($1::uuid[])' : ''}
   ORDER BY 2, 3`;
