/** Pairs each scenario with its pgbench reference. Pure. */
import type { PgbenchResult, PgbenchWorkload } from '../pgbench/run-pgbench.js';
import type { Comparison } from './types.js';

/** pgbench at the same clients, or else the run with the most clients below (PostgreSQL's max_connections caps it). */
export function referenceFor(results: PgbenchResult[], workload: PgbenchWorkload, connections: number): PgbenchResult | undefined {
  const candidates = results.filter((r) => r.workload === workload && r.clients <= connections);
  return candidates.sort((a, b) => b.clients - a.clients)[0];
}

/** pgbench's best hot-row figure over 1, 10 and 100 clients. */
export function bestHotRow(results: PgbenchResult[]): PgbenchResult | undefined {
  return results.filter((r) => r.workload === 'hot' && [1, 10, 100].includes(r.clients)).sort((a, b) => b.tps - a.tps)[0];
}

export function compare(requestsPerS: number, reference: PgbenchResult | undefined): Comparison | undefined {
  if (!reference || reference.tps <= 0) return undefined;
  return { clients: reference.clients, tps: reference.tps, ratio: requestsPerS / reference.tps };
}
