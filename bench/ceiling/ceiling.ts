/**
 * Measures the HTTP ceiling in the benchmark's own run: the service's answer to one deposit is
 * captured (status, headers, body), a trivial node:http server (ceiling-server.ts, its own
 * process) replays it for every request, and the same load generator sends it the same requests
 * (the hot-deposit scenario's, built by the same code) at each connection count, with the
 * server's CPU time per request read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationTracker } from '../check/operation-tracker.js';
import { startCpuMeter } from '../cpu/proc-cpu.js';
import { runLoad } from '../load/run-load.js';
import type { CeilingResult } from '../report/types.js';
import { createWalletOverHttp, operationPath, operationRequest } from '../scenarios/scenario.js';
import { randomCents } from '../../src/lib/cents.js';
import { benchAuth } from '../target/bench-auth.js';
import { announcedPort, stopChild } from '../target/child-port.js';

const serverPath = join(dirname(fileURLToPath(import.meta.url)), 'ceiling-server.ts');
const startBoundMs = 30_000;
const stopBoundMs = 5_000;
/** Set by each server per connection or per response: the ceiling server's own node:http sets them too. */
const perResponseHeaders = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The service's answer to one deposit on a fresh wallet, as the ceiling server will replay it. */
export async function captureResponse(baseUrl: string): Promise<CannedResponse> {
  const walletId = await createWalletOverHttp(baseUrl);
  const response = await fetch(new URL(operationPath(walletId), baseUrl), {
    method: 'POST', headers: { 'content-type': 'application/json', ...benchAuth.headers },
    body: JSON.stringify({ operation_type: 'DEPOSIT', amount: '12.34' }), signal: AbortSignal.timeout(30_000),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { if (!perResponseHeaders.has(name)) headers[name] = value; });
  return { status: response.status, headers, body: await response.text() };
}

async function startCeilingServer(canned: CannedResponse): Promise<{ baseUrl: string; pid: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', serverPath], {
    env: { ...process.env, CEILING_RESPONSE: JSON.stringify(canned) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => stopChild(child, stopBoundMs);
  const port = await announcedPort(child, 'the ceiling server', startBoundMs);
  return { baseUrl: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}

export async function measureCeiling(options: {
  serviceUrl: string; connections: number[]; durationS: number; requestTimeoutS: number;
  log: (message: string) => void; onCleanup: (cleanup: () => Promise<void>) => void;
}): Promise<CeilingResult[]> {
  const canned = await captureResponse(options.serviceUrl);
  const server = await startCeilingServer(canned);
  options.onCleanup(server.stop);
  const results: CeilingResult[] = [];
  try {
    for (const connections of options.connections) {
      // The hot-deposit scenario's requests, built and answered by the same harness code.
      const tracker = new OperationTracker();
      const walletId = '00000000-0000-4000-8000-000000000000';
      const request = operationRequest(tracker, () => ({ walletId, type: 'DEPOSIT', cents: randomCents(1, 10_000) }));
      const meter = startCpuMeter({ other: server.pid });
      const outcome = await runLoad({
        baseUrl: server.baseUrl, connections, durationS: options.durationS, requestTimeoutS: options.requestTimeoutS, requests: [request],
      });
      const cpuS = meter.stop().other;
      const r = outcome.result;
      const requestsPerS = outcome.responses / Math.max(r.duration, 0.001);
      results.push({
        connections,
        requestsPerS,
        latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
        non2xx: r.non2xx,
        responseBytes: Buffer.byteLength(canned.body),
        ...(cpuS !== undefined && outcome.responses > 0
          ? { cpu: { usPerRequest: (cpuS * 1e6) / outcome.responses, cores: cpuS / Math.max(r.duration, 0.001) } }
          : {}),
      });
      options.log(`HTTP ceiling x${connections}: ${Math.round(requestsPerS)} req/s` +
        `${cpuS !== undefined ? `, ${Math.round((cpuS * 1e6) / Math.max(outcome.responses, 1))} µs CPU per request` : ''}`);
    }
  } finally {
    await server.stop();
  }
  return results;
}
