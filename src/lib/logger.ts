/** The logger the domain takes: pino's, narrowed to what it calls (Fastify's request.log fits). */
import type { Logger as PinoLogger } from 'pino';

export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error' | 'level'>;

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * Whether `log` writes `level`: check it before building a log object on a per-request path (pino
 * drops a disabled line cheaply, but the object is built first). Unknown levels count as enabled.
 */
export function logs(log: { level: string }, level: 'debug' | 'info'): boolean {
  return (LEVELS[log.level] ?? 0) <= LEVELS[level]!;
}
