/**
 * What became of one submitted money movement (operation, transfer, reversal), decided once by its
 * service: the answer, whether it replays a stored one, and how the request is counted.
 */
import type { RequestOutcome } from './operation-names.js';
import type { DomainError } from './wallet-errors.js';

export type Submission<View> =
  | { kind: 'answered'; view: View; replayed: boolean; outcome: RequestOutcome }
  | { kind: 'refused'; error: DomainError; replayed: boolean; outcome: RequestOutcome };

/** A refusal, counted as its error says. */
export function refused<View>(error: DomainError, replayed = false): Submission<View> {
  return { kind: 'refused', error, replayed, outcome: error.outcome };
}
