/** Settings of the process and its HTTP server: where it listens, how many, its limits and its logs. */
import { section } from './section.js';
import { choice, integer, filePath, text, trustProxy } from './setting.js';

/** Where the API listens unless HOST says otherwise: this machine only. The image sets 0.0.0.0. */
export const HOST_DEFAULT = 'localhost';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const serverSection = section({
  title: 'Server',
  intro: 'Where the API listens and how many processes serve it.',
  settings: {
    host: text('HOST', {
      default: HOST_DEFAULT,
      meaning: 'listening address; the default answers this machine only (127.0.0.1 and ::1): `0.0.0.0` serves the network (the container image sets it)',
    }),
    port: integer('PORT', { default: 8000, min: 0, max: 65535, meaning: 'listening port (0: any free port)' }),
    trustProxy: trustProxy('TRUST_PROXY', {
      meaning: 'proxies trusted for the client address (`X-Forwarded-For`), as Fastify\'s `trustProxy`; behind HAProxy: its network',
    }),
    tlsCertFile: filePath('TLS_CERT_FILE', {
      meaning: 'PEM file of the certificate (then intermediates): with `TLS_KEY_FILE` the API port serves HTTPS only, with ' +
        '`Strict-Transport-Security`; SIGHUP re-reads both ([TLS](deploy.md#tls))',
    }),
    tlsKeyFile: filePath('TLS_KEY_FILE', { meaning: 'PEM file of the certificate\'s private key (unencrypted)' }),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', {
      default: 16384, min: 256, max: 10485760, unit: 'bytes', meaning: 'request bodies above this get 413',
    }),
    webConcurrency: integer('WEB_CONCURRENCY', {
      default: 2, min: 1, max: 64, unit: 'processes',
      meaning: 'worker processes on one port when started through `src/cluster.ts` (`npm run stack`, the container); `npm start` runs one',
    }),
    clusterMetricsPort: integer('CLUSTER_METRICS_PORT', {
      default: 9464, min: 0, max: 65535,
      meaning: 'with `WEB_CONCURRENCY` workers: port where the cluster primary serves `/metrics` summed over all workers (0: off)',
    }),
    // The management listener has no API keys (its /metrics names wallet ids), hence loopback by
    // default; Compose sets 0.0.0.0 and only `expose`s the port to its own network.
    clusterMetricsHost: text('CLUSTER_METRICS_HOST', {
      default: '127.0.0.1', meaning: 'where that summed `/metrics` listener binds; it asks for no API key, so keep it off the public network',
    }),
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', {
      default: 10000, min: 0, max: 600000, unit: 'ms', meaning: 'after SIGTERM, in-flight requests get this long; then their connections are cut',
    }),
  },
});

export const observabilitySection = section({
  title: 'Logs, health and dashboard',
  intro: 'Logs are JSON with a request id (`x-request-id` is echoed); see [observability](observability.md).',
  settings: {
    logLevel: choice('LOG_LEVEL', { values: LOG_LEVELS, default: 'info', meaning: 'pino log level' }),
    logFormat: choice('LOG_FORMAT', {
      values: LOG_FORMATS, default: 'auto', meaning: '`json`: one JSON object per line; `pretty`: readable lines; `auto`: pretty when the output is a terminal',
    }),
    slowTransactionMs: integer('SLOW_TRANSACTION_MS', {
      default: 200, min: 1, max: 600000, unit: 'ms', meaning: 'transactions slower than this are logged as warnings',
    }),
    readyTimeoutMs: integer('READY_TIMEOUT_MS', {
      default: 2000, min: 50, max: 60000, unit: 'ms', meaning: '`/ready` answers 503 if the database has not answered within this',
    }),
    dashboardIntervalMs: integer('DASHBOARD_INTERVAL_MS', {
      default: 2000, min: 100, max: 60000, unit: 'ms', meaning: 'one `/dashboard` chart point per interval',
    }),
    dashboardHistoryLength: integer('DASHBOARD_HISTORY_LENGTH', {
      default: 180, min: 10, max: 10000, unit: 'points', meaning: '`/dashboard` chart points kept (180 × 2 s: 6 minutes)',
    }),
  },
});

export const httpSection = section({
  title: 'HTTP limits',
  intro: 'Node\'s HTTP server options against slow or oversized clients; see [limits](architecture.md#limits).',
  group: 'http',
  settings: {
    maxHeaderSizeBytes: integer('HTTP_MAX_HEADER_SIZE_BYTES', {
      default: 16384, min: 1024, max: 1048576, unit: 'bytes', meaning: 'request line and headers above this get 431',
    }),
    headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', {
      default: 10000, min: 100, max: 600000, unit: 'ms', meaning: 'the request line and headers must arrive within this (slowloris), else 408 and close',
    }),
    requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', {
      default: 30000, min: 100, max: 600000, unit: 'ms', meaning: 'the whole request (headers and body) must arrive within this, else 408 and close',
    }),
    keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', {
      default: 65000, min: 100, max: 600000, unit: 'ms', meaning: 'an idle keep-alive connection is closed after this (above load balancers\' usual 60 s)',
    }),
    socketTimeoutMs: integer('HTTP_SOCKET_TIMEOUT_MS', {
      default: 30000, min: 100, max: 600000, unit: 'ms', meaning: 'a socket with no activity at all for this long is destroyed',
    }),
    timeoutCheckIntervalMs: integer('HTTP_TIMEOUT_CHECK_INTERVAL_MS', {
      default: 1000, min: 10, max: 60000, unit: 'ms', meaning: 'how often Node checks the headers and request timeouts above',
    }),
  },
});

/** OTEL_TRACES_SAMPLER's values (the OpenTelemetry specification's names). */
export const TRACE_SAMPLERS = ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
  'always_on', 'always_off', 'traceidratio'] as const;

export const tracingSection = section({
  title: 'Tracing (OpenTelemetry)',
  intro: 'The standard OpenTelemetry variables; with neither endpoint set, tracing is off and none of its code is loaded. ' +
    'The exporter also reads its other `OTEL_EXPORTER_OTLP_*` variables (headers, timeout, compression) and the ' +
    '`OTEL_BSP_*` ones; see [observability](observability.md#tracing).',
  group: 'tracing',
  settings: {
    endpoint: text('OTEL_EXPORTER_OTLP_ENDPOINT', {
      default: '', meaning: 'OTLP/HTTP base URL (`http://collector:4318`): spans go to `<endpoint>/v1/traces`; set, tracing is on',
    }),
    tracesEndpoint: text('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', {
      default: '', meaning: 'the full URL spans are sent to (overrides `OTEL_EXPORTER_OTLP_ENDPOINT`); set, tracing is on',
    }),
    protocol: choice('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', {
      values: ['http/protobuf', 'http/json'], default: 'http/protobuf', meaning: 'OTLP/HTTP encoding of the spans',
    }),
    serviceName: text('OTEL_SERVICE_NAME', { default: 'wallet-service', meaning: 'the `service.name` of every span' }),
    sampler: choice('OTEL_TRACES_SAMPLER', {
      values: TRACE_SAMPLERS, default: 'parentbased_always_on', meaning: 'which traces are recorded (parentbased: as the incoming `traceparent` says)',
    }),
    samplerArg: text('OTEL_TRACES_SAMPLER_ARG', {
      default: '1', meaning: 'the ratio (0 to 1) of the `traceidratio` samplers',
    }),
  },
});
