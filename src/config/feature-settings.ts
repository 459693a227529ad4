/** Settings of the features: access control, holds, events and webhooks. */
import { dirname, join } from 'node:path';
import { section } from './section.js';
import { boolean, derivedText, hexKey, integer, text } from './setting.js';

export const authSection = section({
  title: 'Access control',
  intro: 'API keys, scopes, tenants and rate limits: [access control](access-control.md).',
  group: 'auth',
  settings: {
    required: boolean('AUTH_REQUIRED', {
      default: true, meaning: '`false`: no keys; every request acts as tenant `default` with `wallets:read` and `wallets:write` (only behind a gateway that authenticates)',
    }),
    firstRunKeyFile: derivedText('API_KEY_FILE', {
      meaning: 'where the first `npm start` on a fresh embedded database saves the key it creates (mode 0600)',
      // Beside the embedded cluster (.data/api-key by default), so each data directory has its own.
      derived: {
        text: '`api-key` beside `EMBEDDED_PG_DIR` (`.data/api-key`)',
        from: (settings) => join(dirname(String(settings.get('EMBEDDED_PG_DIR'))), 'api-key'),
      },
    }),
    keyCacheTtlMs: integer('KEY_CACHE_TTL_MS', {
      default: 5000, min: 100, max: 60000, unit: 'ms', meaning: 'a key is re-read from the database at least this often: the bound on revocation and expiry changes',
    }),
    keyCacheStaleMs: integer('KEY_CACHE_STALE_MS', {
      default: 5000, min: 0, max: 60000, unit: 'ms',
      meaning: 'past the TTL a known key is still answered from the cache this long while its refresh is pending (lookups busy, database down)',
    }),
    keyCacheEntriesMax: integer('KEY_CACHE_ENTRIES_MAX', {
      default: 10000, min: 10, max: 1000000, unit: 'keys',
      meaning: 'known keys remembered per process, and apart from them as many unknown ids; the oldest of each is forgotten beyond it',
    }),
    keyLookupsInFlightMax: integer('KEY_LOOKUPS_IN_FLIGHT_MAX', {
      default: 16, min: 1, max: 1000, unit: 'lookups',
      meaning: 'key lookups running at once per process, for refreshes of known keys and apart for other ids; beyond it a request that must wait gets 503 + `Retry-After`',
    }),
    lastUsedFlushMs: integer('KEY_LAST_USED_FLUSH_MS', {
      default: 60000, min: 1000, max: 3600000, unit: 'ms', meaning: '`last_used_at` is written at most this often per key and process',
    }),
    failuresPerSecond: integer('AUTH_FAILURES_PER_SECOND', {
      default: 10, min: 0, max: 1000000, unit: 'failures/s',
      meaning: 'failed authentications (and lookups of unknown key ids) per client address (`request.ip`, `TRUST_PROXY`) and process (0: no limit); beyond it 429 before any lookup',
    }),
    failuresBurst: integer('AUTH_FAILURES_BURST', {
      default: 100, min: 1, max: 1000000, unit: 'failures', meaning: 'the burst of failed authentications an address may make at once',
    }),
    rateLimitPerSecond: integer('RATE_LIMIT_PER_SECOND', {
      default: 50000, min: 0, max: 10000000, unit: 'requests/s', meaning: 'token bucket per key and process: sustained rate (0: no limit); beyond it 429',
    }),
    rateLimitBurst: integer('RATE_LIMIT_BURST', {
      default: 100000, min: 1, max: 100000000, unit: 'requests', meaning: 'token bucket size: the burst a key may send at once',
    }),
  },
});

export const walletsSection = section({
  title: 'Wallets',
  intro: 'Currencies, limits and status of wallets: [money movement](money-movement.md#currencies-and-scales).',
  group: 'wallets',
  settings: {
    defaultCurrency: text('DEFAULT_CURRENCY', {
      default: 'USD', meaning: 'the ISO 4217 currency of a wallet created without `currency` (checked at start-up; its minor unit is the wallet\'s scale)',
    }),
  },
});

export const holdsSection = section({
  title: 'Holds',
  intro: 'How long a hold lasts: [holds](money-movement.md#holds).',
  group: 'holds',
  settings: {
    // 7 days, as card authorisations usually last; at most 30.
    expiresInSecondsDefault: integer('HOLD_EXPIRES_IN_SECONDS_DEFAULT', {
      default: 604800, min: 1, max: 31536000, unit: 's', meaning: 'how long a hold lasts when `POST /wallets/{id}/holds` gives no `expires_in_seconds`',
    }),
    expiresInSecondsMax: integer('HOLD_EXPIRES_IN_SECONDS_MAX', {
      default: 2592000, min: 1, max: 31536000, unit: 's', meaning: 'the longest `expires_in_seconds` a hold may ask for (more is 422)',
    }),
  },
});

export const refusalsSection = section({
  title: 'Refusals kept for their Idempotency-Key',
  intro: 'A refused request with an `Idempotency-Key` is stored (REJECTED) so that its replay is the same 400; ' +
    'after the retention it is deleted: [retention](access-control.md#quotas).',
  group: 'refusals',
  settings: {
    // Stripe keeps keys 24 h; a ledger's clients reconcile over days, so a month by default.
    retentionHours: integer('IDEMPOTENCY_RETENTION_HOURS', {
      default: 720, min: 1, max: 87600, unit: 'h',
      meaning: 'refused ledger rows and holds older than this are deleted once their event left the outbox; a replay of their key after that is a new request',
    }),
    pruneIntervalMs: integer('IDEMPOTENCY_PRUNE_INTERVAL_MS', {
      default: 3600000, min: 100, max: 86400000, unit: 'ms', meaning: 'how often each process prunes refusals',
    }),
    pruneRowsMax: integer('IDEMPOTENCY_PRUNE_ROWS_MAX', {
      default: 10000, min: 1, max: 1000000, unit: 'rows', meaning: 'refused rows deleted per prune pass, at most, of ledger rows and of holds each',
    }),
  },
});

export const eventsSection = section({
  title: 'Events',
  intro: 'The transactional outbox and its retention: [events](events.md).',
  group: 'events',
  settings: {
    retentionHours: integer('EVENTS_RETENTION_HOURS', {
      default: 168, min: 1, max: 87600, unit: 'h', meaning: 'events (and finished webhook deliveries) older than this are deleted, unless a subscription still needs them',
    }),
    pruneIntervalMs: integer('EVENTS_PRUNE_INTERVAL_MS', {
      default: 60000, min: 100, max: 86400000, unit: 'ms', meaning: 'how often each process prunes',
    }),
    pruneRowsMax: integer('EVENTS_PRUNE_ROWS_MAX', {
      default: 10000, min: 1, max: 1000000, unit: 'rows', meaning: 'rows deleted per prune pass, at most, of events and of deliveries each',
    }),
  },
});

export const webhooksSection = section({
  title: 'Webhooks',
  intro: 'Delivery, retries, order and secrets: [events](events.md). A key may also come from a file: ' +
    '`WEBHOOK_SECRET_KEY_FILE`, `WEBHOOK_SECRET_KEY_PREVIOUS_FILE` (not both).',
  group: 'webhooks',
  settings: {
    dispatcherEnabled: boolean('WEBHOOK_DISPATCHER_ENABLED', {
      default: true, meaning: 'run the delivery dispatcher in this process (any number of processes may)',
    }),
    pollIntervalMs: integer('WEBHOOK_POLL_INTERVAL_MS', {
      default: 250, min: 10, max: 60000, unit: 'ms', meaning: 'how often an idle dispatcher looks for new events and due deliveries',
    }),
    concurrencyMax: integer('WEBHOOK_CONCURRENCY_MAX', {
      default: 16, min: 1, max: 1000, unit: 'runs', meaning: 'delivery runs in flight per process (one run: one (subscription, wallet) queue, sent in order)',
    }),
    attemptTimeoutMs: integer('WEBHOOK_ATTEMPT_TIMEOUT_MS', {
      default: 10000, min: 100, max: 120000, unit: 'ms', meaning: 'one attempt (connect, send, answer) may take this long',
    }),
    retryBaseDelayMs: integer('WEBHOOK_RETRY_BASE_DELAY_MS', {
      default: 1000, min: 10, max: 3600000, unit: 'ms', meaning: 'backoff base: a random 50-100% of min(max, base × 2^(attempt-1))',
    }),
    retryMaxDelayMs: integer('WEBHOOK_RETRY_MAX_DELAY_MS', {
      default: 3600000, min: 10, max: 86400000, unit: 'ms', meaning: 'backoff cap',
    }),
    retryWindowMs: integer('WEBHOOK_RETRY_WINDOW_MS', {
      default: 86400000, min: 1000, max: 604800000, unit: 'ms', meaning: 'an event not acknowledged this long after its first attempt is marked `failed` and its wallet\'s queue moves on',
    }),
    pauseAfterFailures: integer('WEBHOOK_PAUSE_AFTER_FAILURES', {
      default: 100, min: 1, max: 1000000, unit: 'attempts', meaning: 'failed attempts in a row after which a subscription is paused (`POST /api/v1/webhooks/{id}/resume`)',
    }),
    fanOutBatchMax: integer('WEBHOOK_FANOUT_BATCH_MAX', {
      default: 1000, min: 1, max: 100000, unit: 'rows', meaning: 'outbox rows (one per wallet per batch) read per subscription per dispatcher step',
    }),
    runMax: integer('WEBHOOK_RUN_MAX', {
      default: 100, min: 1, max: 10000, unit: 'events', meaning: 'events of one (subscription, wallet) queue read per run and sent in order, one at a time',
    }),
    yieldBusyPercent: integer('WEBHOOK_YIELD_BUSY_PERCENT', {
      default: 70, min: 1, max: 100, unit: '%', meaning: 'the money path first: while the event loop was busier than this (last ~200 ms), send at most `WEBHOOK_BUSY_RATE_MAX` events per second (100: never yield)',
    }),
    busyRateMax: integer('WEBHOOK_BUSY_RATE_MAX', {
      default: 100, min: 1, max: 1000000, unit: 'events/s', meaning: 'events sent per second while the process is busy ([delivery and the money path](events.md#delivery-and-the-money-path))',
    }),
    lagIntervalMs: integer('WEBHOOK_LAG_INTERVAL_MS', {
      default: 5000, min: 100, max: 600000, unit: 'ms', meaning: 'how often `events_outbox_lag_seconds` is measured',
    }),
    subscriptionsPerTenantMax: integer('WEBHOOK_SUBSCRIPTIONS_PER_TENANT_MAX', {
      default: 20, min: 1, max: 1000, unit: 'subscriptions', meaning: 'subscriptions a tenant may have',
    }),
    allowPrivateNetworks: boolean('WEBHOOK_ALLOW_PRIVATE_NETWORKS', {
      default: false, meaning: 'allow webhook URLs on any address, loopback and private ones included (SSRF guard off: local development and tests, never in production; [URLs and SSRF](events.md#urls-and-ssrf))',
    }),
    secretKeyHex: hexKey('WEBHOOK_SECRET_KEY', {
      meaning: '64 hex digits (`openssl rand -hex 32`): AES-256-GCM key for signing secrets at rest; unset: `npm start` on the embedded ' +
        'PostgreSQL makes one (`WEBHOOK_LOCAL_KEY_PATH`), a process on `DATABASE_URL` stores them as is and warns, Compose refuses to start',
    }),
    localSecretKeyFile: derivedText('WEBHOOK_LOCAL_KEY_PATH', {
      meaning: 'where `npm start` on the embedded PostgreSQL keeps the webhook secret key it makes when `WEBHOOK_SECRET_KEY` is unset (mode 0600; keep it with the data)',
      // Beside the embedded cluster, like API_KEY_FILE: each data directory has its own.
      derived: {
        text: '`webhook-secret-key` beside `EMBEDDED_PG_DIR` (`.data/webhook-secret-key`)',
        from: (settings) => join(dirname(String(settings.get('EMBEDDED_PG_DIR'))), 'webhook-secret-key'),
      },
    }),
    previousSecretKeyHex: hexKey('WEBHOOK_SECRET_KEY_PREVIOUS', {
      meaning: 'the key before a rotation: also opens stored secrets until `npm run webhook-secrets -- reseal` has sealed them with the new one ([secrets at rest](events.md#secrets-at-rest))',
    }),
  },
});
