/**
 * Both legs or neither, whoever sent them: the one pairing check of transfer legs, used by the
 * benchmark's transfer check (bench/check/transfer-check.ts) and the fault suite's transfer-and-
 * hold judge (faults/check-transfers.ts). Every applied TRANSFER_OUT has an applied TRANSFER_IN
 * under the same id, with the same amount, each leg naming the other's wallet; every TRANSFER_IN
 * has its applied TRANSFER_OUT.
 */

/** A transfer leg as stored: both legs of one transfer share its id. */
export interface TransferLeg {
  id: string;
  wallet_id: string;
  operation_type: string;
  amount: string;
  status: string;
  counterparty_wallet_id: string | null;
}

export interface LegPairing {
  problems: string[];
  /** Transfer ids with one applied leg only: must be 0. */
  oneLegOnly: number;
}

const short = (id: string) => id.slice(0, 8);

export function checkLegPairs(legs: readonly TransferLeg[]): LegPairing {
  const outs = new Map(legs.filter((l) => l.operation_type === 'TRANSFER_OUT').map((l) => [l.id, l]));
  const ins = legs.filter((l) => l.operation_type === 'TRANSFER_IN');
  const insById = new Map(ins.map((l) => [l.id, l]));
  const pairing: LegPairing = { problems: [], oneLegOnly: 0 };
  for (const out of [...outs.values()].filter((l) => l.status === 'SUCCESS')) {
    const inLeg = insById.get(out.id);
    if (!inLeg) {
      pairing.oneLegOnly++;
      pairing.problems.push(`transfer ${out.id}: TRANSFER_OUT on ${short(out.wallet_id)} without its TRANSFER_IN`);
    } else if (inLeg.amount !== out.amount || inLeg.wallet_id !== out.counterparty_wallet_id || inLeg.counterparty_wallet_id !== out.wallet_id
      || inLeg.status !== 'SUCCESS') {
      pairing.problems.push(`transfer ${out.id}: legs disagree (${out.amount} → ${String(out.counterparty_wallet_id)}; ${inLeg.amount} ${inLeg.status} on ${inLeg.wallet_id})`);
    }
  }
  for (const inLeg of ins.filter((l) => outs.get(l.id)?.status !== 'SUCCESS')) {
    pairing.oneLegOnly++;
    pairing.problems.push(`transfer ${inLeg.id}: TRANSFER_IN on ${short(inLeg.wallet_id)} without its TRANSFER_OUT`);
  }
  return pairing;
}
