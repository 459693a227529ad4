/**
 * The live /dashboard page: static files (the page, its script, and uPlot from node_modules —
 * served by us, so it works offline and behind strict networks) plus one JSON endpoint that the
 * page polls. Kept apart from the API: no business code here, only the LiveStats snapshot.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { LiveStats } from '../metrics/live-stats.js';

const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');
const require = createRequire(import.meta.url);

interface StaticFile {
  body: Buffer;
  type: string;
}

function loadFiles(): Record<string, StaticFile> {
  const uplotDir = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return {
    '/dashboard': { body: readFileSync(join(publicDir, 'index.html')), type: 'text/html; charset=utf-8' },
    '/dashboard/dashboard.js': { body: readFileSync(join(publicDir, 'dashboard.js')), type: 'text/javascript; charset=utf-8' },
    '/dashboard/dashboard.css': { body: readFileSync(join(publicDir, 'dashboard.css')), type: 'text/css; charset=utf-8' },
    '/dashboard/vendor/uPlot.iife.min.js': { body: readFileSync(join(uplotDir, 'uPlot.iife.min.js')), type: 'text/javascript; charset=utf-8' },
    '/dashboard/vendor/uPlot.min.css': { body: readFileSync(join(uplotDir, 'uPlot.min.css')), type: 'text/css; charset=utf-8' },
  };
}

// Only our own origin; uPlot sizes elements through the style property, hence 'unsafe-inline' for styles.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

export function registerDashboard(app: FastifyInstance, live: LiveStats): void {
  const files = loadFiles();
  for (const [url, file] of Object.entries(files)) {
    // The page and its scripts hold no data: open, so a browser can load them and ask for a key.
    app.get(url, { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
      void reply.header('content-type', file.type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', contentSecurityPolicy)
        .header('x-content-type-options', 'nosniff');
      return reply.send(file.body);
    });
  }
  app.get('/dashboard/data', {
    config: { auth: 'operator' }, // every tenant's busiest wallets: the operator's view only
    schema: {
      tags: ['service'],
      summary: 'Data behind the /dashboard page',
      description: 'The last few minutes of this instance, one point per bucket (DASHBOARD_INTERVAL_MS): request ' +
        'rate, error percentages, p50/p99 latency, operations per second by outcome, retries, pool usage, ' +
        'group-commit batch sizes, and the busiest wallets of the last minute.',
    },
  }, async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return live.snapshot();
  });
}
