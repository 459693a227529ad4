/**
 * Who asks, as the domain sees it: the tenant whose wallets the request may touch (another
 * tenant's wallet is "not found", never "forbidden") and the key id recorded as the ledger's actor.
 */
export interface Caller {
  tenant: string;
  /** Key id; null under AUTH_REQUIRED=false. */
  actor: string | null;
}
