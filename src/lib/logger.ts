/** The logger the domain takes: pino's, narrowed to what it calls (Fastify's request.log fits). */
import type { Logger as PinoLogger } from 'pino';

export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error'>;
