/** The logger the domain takes: pino's, narrowed to what it calls (Fastify's request.log fits). */
import { levels, type Logger as PinoLogger } from 'pino';

export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error' | 'level'>;

/**
 * Whether `log` writes `level`: check it before building a log object on a per-request path (pino
 * drops a disabled line cheaply, but the object is built first). pino's own level values decide;
 * `silent` (not among them) writes nothing, and any other unknown level counts as enabled.
 */
export function logs(log: { level: string }, level: 'debug' | 'info'): boolean {
  if (log.level === 'silent') return false;
  return (levels.values[log.level] ?? 0) <= levels.values[level]!;
}
