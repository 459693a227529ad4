/**
 * Drives one load run with autocannon's programmatic API, in this process (the machine has two
 * cores: worker threads would only take CPU from the service and PostgreSQL). Bounded in time:
 * autocannon stops at durationS, and the run is abandoned if it has not finished by then plus
 * the request timeout plus a margin.
 */
import autocannon, { type Request, type Result } from 'autocannon';
import { benchAuth } from '../target/bench-auth.js';

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  durationS: number;
  /** Client-side timeout per request: well above the service's own operation budget. */
  requestTimeoutS: number;
  requests: Request[];
}

export interface LoadOutcome {
  result: Result;
  responses: number;
  elapsedS: number;
}

const stopMarginMs = 15_000;

export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  let responses = 0;
  const startedAt = performance.now();
  const instance = autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: options.durationS,
    timeout: options.requestTimeoutS,
    // Merged into every request's own headers (the API key, when the service checks keys).
    headers: benchAuth.headers,
    requests: options.requests,
  });
  instance.on('response', () => { responses++; });
  const bound = options.durationS * 1000 + options.requestTimeoutS * 1000 + stopMarginMs;
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      instance.stop();
      reject(new Error(`load run did not finish within ${bound} ms`));
    }, bound);
  });
  try {
    const result = await Promise.race([Promise.resolve(instance), overdue]);
    return { result, responses, elapsedS: (performance.now() - startedAt) / 1000 };
  } finally {
    clearTimeout(timer);
  }
}
