/**
 * What became of one submitted money movement (operation, transfer, reversal), decided once by its
 * service: the answer, whether it replays a stored one, and how the request is counted.
 */
import type { OperationBatcher, SubmittedResult } from './operation-batcher.js';
import type { RequestOutcome } from './operation-names.js';
import { type DomainError, Overloaded } from './wallet-errors.js';
import type { OperationInput } from './wallet-repository.js';

export type Submission<View> =
  | { kind: 'answered'; view: View; replayed: boolean; outcome: RequestOutcome }
  | { kind: 'refused'; error: DomainError; replayed: boolean; outcome: RequestOutcome };

/** A refusal, counted as its error says. */
export function refused<View>(error: DomainError, replayed = false): Submission<View> {
  return { kind: 'refused', error, replayed, outcome: error.outcome };
}

/**
 * Queues one operation for group commit. A full queue (Overloaded) comes back as a value: the
 * operation was not queued, so it was certainly not applied.
 */
export async function enqueue(batcher: Pick<OperationBatcher, 'submit'>, input: OperationInput): Promise<SubmittedResult | Overloaded> {
  try {
    return await batcher.submit(input);
  } catch (error) {
    if (error instanceof Overloaded) return error;
    throw error;
  }
}
