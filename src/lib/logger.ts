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

/**
 * What pino censors wherever it appears in a log object: credentials in request and response
 * headers (API keys, cookies), whoever logs them (Fastify's serializers leave headers out today;
 * this is the guard for the line that adds them tomorrow). Paths are pino's: fast-redact, one
 * level of wildcard each.
 */
export const LOG_REDACT = {
  paths: [
    'headers.authorization', 'headers.cookie', 'headers["set-cookie"]', 'headers["x-api-key"]',
    '*.headers.authorization', '*.headers.cookie', '*.headers["set-cookie"]', '*.headers["x-api-key"]',
    'authorization', 'cookie',
  ],
  censor: '[redacted]',
};
