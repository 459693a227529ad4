/**
 * What became of one money-movement request (deposit or withdrawal, transfer, reversal, hold,
 * capture, void), decided once by its service: the answer, whether it replays a stored one, and how the request is counted.
 */
import { type Logger, logs } from '../lib/logger.js';
import type { CommandBatcher, SubmittedResult } from './command-batcher.js';
import type { RequestOutcome } from './names.js';
import { type DomainError, Overloaded } from './errors.js';
import type { Command } from './apply-script.js';

export type Submission<View> =
  | { kind: 'answered'; view: View; replayed: boolean; outcome: RequestOutcome }
  | { kind: 'refused'; error: DomainError; replayed: boolean; outcome: RequestOutcome };

/** A refusal, counted as its error says. */
export function refused<View>(error: DomainError, replayed = false): Submission<View> {
  return { kind: 'refused', error, replayed, outcome: error.outcome };
}

/**
 * Queues one command for group commit. A full queue (Overloaded) comes back as a value: the
 * command was not queued, so it was certainly not applied.
 */
export async function enqueue(batcher: Pick<CommandBatcher, 'submit'>, command: Command): Promise<SubmittedResult | Overloaded> {
  try {
    return await batcher.submit(command);
  } catch (error) {
    if (error instanceof Overloaded) return error;
    throw error;
  }
}

/**
 * The submission's own log line, beside the request's access line (src/plugins/access-log.ts):
 * at info for what needs a look (not applied, unknown, refused, replayed, retried), at debug for a
 * plain success; the object is built only when its level is on (a per-request cost). `fields`
 * names what was submitted and how it ended; the engine's figures are added here.
 */
export function logSubmission<View>(
  log: Logger, msg: string, submission: Submission<View>, submitted: SubmittedResult, fields: Record<string, unknown>,
): void {
  const usual = submission.outcome === 'SUCCESS' && !submission.replayed && submitted.attempts === 1;
  const level = usual ? 'debug' : 'info';
  if (!logs(log, level)) return;
  log[level]({
    ...fields, replayed: submission.replayed, attempts: submitted.attempts,
    transactionMs: Math.round(submitted.transactionMs * 100) / 100, batchSize: submitted.batchSize,
    queuedMs: Math.round(submitted.queuedMs * 100) / 100,
  }, msg);
}
