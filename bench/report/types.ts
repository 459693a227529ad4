/** The shape of a benchmark run's results (also the JSON written under bench/results/). */
import type { PgbenchResult, PgbenchWorkload } from '../pgbench/run-pgbench.js';

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface Comparison {
  /** pgbench clients of the figure compared with. */
  clients: number;
  tps: number;
  /** Service requests/s divided by pgbench TPS. */
  ratio: number;
}

/** --webhook: deliveries of this run's events to the local receiver. */
export interface WebhookFigures {
  events: number;
  /** Events received while the load ran. */
  deliveredDuringLoad: number;
  /** Receipt time minus the event's created_at, over every event of the run (ms). */
  lagMs: { p50: number; p99: number; max: number };
  /** From the end of the load until the receiver had every event of the run; null: not within the bound. */
  drainMs: number | null;
  /** Requests the receiver got from the run's start until its events had arrived (more than `events`: retries, duplicates). */
  requests?: number;
}

export interface ScenarioResult {
  webhook?: WebhookFigures;
  scenario: string;
  title: string;
  connections: number;
  durationS: number;
  responses: number;
  requestsPerS: number;
  latencyMs: LatencyMs;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  /** Connection errors and timeouts seen by the load generator. */
  errors: number;
  timeouts: number;
  /** Matching pgbench figure: same workload, same clients (or the nearest run below). */
  reference?: Comparison & { workload: PgbenchWorkload };
  /** Hot wallet only: against pgbench's best hot-row figure over 1, 10 and 100 clients. */
  hotBest?: Comparison;
  check: { ok: boolean; problems: string[]; summary: string };
  memory?: { peakRssBytes: number; lifetimeHwmBytes: number; samples: number };
  /** CPU time during the run from /proc, per answered request, when the processes run on this machine. */
  cpu?: CpuPerOperation;
  /** Against the HTTP ceiling at the same connection count. */
  ceiling?: { requestsPerS: number; ratio: number };
}

export interface CpuPerOperation {
  /** The service's processes (their threads included), µs of CPU per answered request. */
  serviceUs?: number;
  /** PostgreSQL: the postmaster and its children (backends, auxiliary processes), µs per request. */
  postgresUs?: number;
  /** The same as shares of one core over the run (1 = one core busy all the time). */
  serviceCores?: number;
  postgresCores?: number;
}

/** The trivial node:http server answering the same requests with the service's bytes (bench/ceiling). */
export interface CeilingResult {
  connections: number;
  requestsPerS: number;
  latencyMs: LatencyMs;
  non2xx: number;
  responseBytes: number;
  cpu?: { usPerRequest: number; cores: number };
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  node: string;
  postgres: string;
  pgbench?: string;
  autocannon: string;
  loadAverageAtStart: number[];
  gitCommit?: string;
  postgresSettings: Record<string, string>;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full' | 'custom';
  target: { kind: 'embedded' | 'url' | 'pgbouncer'; baseUrl: string };
  settings: { durationS: number; warmupS: number; connections: number[]; scenarios: string[] };
  machine: MachineInfo;
  pgbench: PgbenchResult[];
  pgbenchNote?: string;
  /** The HTTP ceiling at each connection count (absent with --no-ceiling). */
  ceiling?: CeilingResult[];
  scenarios: ScenarioResult[];
  ok: boolean;
  problems: string[];
}
