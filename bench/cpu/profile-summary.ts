/**
 * The top of a V8 CPU profile (node --cpu-prof, written by the service when it stops): self time
 * by function and by where the code lives (a package, a file of ours, or V8's own buckets such as
 * garbage collection), as shares of the busy time and as µs per request. Pure but for the reading
 * of the profile files in summarizeProfiles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfUs: number;
}

export interface ProfileSummary {
  /** Sampled time minus (idle), µs. */
  busyUs: number;
  functions: ProfileEntry[];
  places: ProfileEntry[];
}

/** Where a frame's code lives: node_modules/<package>, a project path, node:internal, or V8's bucket. */
export function placeOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (modules) return modules[1]!;
  if (frame.url.startsWith('node:')) return frame.url.split('/').slice(0, 2).join('/');
  const project = /\/((?:src|tools|bench)\/.+)$/.exec(frame.url.replace(/^file:\/\//, ''));
  return project ? project[1]! : frame.url;
}

function top(map: Map<string, number>, n: number): ProfileEntry[] {
  return [...map].map(([name, selfUs]) => ({ name, selfUs })).sort((a, b) => b.selfUs - a.selfUs).slice(0, n);
}

/** A measured run: from and to, in ms since the profile started (about when the service started). */
export type Window = [fromMs: number, toMs: number];

/** Self time of the samples taken inside the windows (all samples when none are given). */
export function summarizeProfile(profile: CpuProfile, n = 15, windows?: Window[]): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let busyUs = 0;
  let atUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    atUs += us;
    if (windows && !windows.some(([from, to]) => atUs >= from * 1000 && atUs <= to * 1000)) return;
    if (!frame || frame.functionName === '(idle)' || us <= 0) return;
    busyUs += us;
    const place = placeOf(frame);
    const name = `${frame.functionName || '(anonymous)'} ${place}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  });
  return { busyUs, functions: top(byFunction, n), places: top(byPlace, n) };
}

export function renderProfileSummary(summary: ProfileSummary, requests: number, file: string): string {
  const perRequest = (us: number) => (requests > 0 ? (us / requests).toFixed(1) : '—');
  const share = (us: number) => `${((us / Math.max(summary.busyUs, 1)) * 100).toFixed(1)}%`;
  const lines = [
    `### Service CPU profile (${file})`,
    '',
    `The service's main thread was busy ${(summary.busyUs / 1e6).toFixed(1)} s during the measured runs, which answered ` +
      `${requests.toLocaleString('en-US')} requests: ${perRequest(summary.busyUs)} µs per request. Self time:`,
    '',
    '| where | self | µs/request |',
    '|---|--:|--:|',
    ...summary.places.map((e) => `| ${e.name} | ${share(e.selfUs)} | ${perRequest(e.selfUs)} |`),
    '',
    '| function | self | µs/request |',
    '|---|--:|--:|',
    ...summary.functions.map((e) => `| \`${e.name.replace(/\|/g, '\\|')}\` | ${share(e.selfUs)} | ${perRequest(e.selfUs)} |`),
  ];
  return lines.join('\n');
}

/**
 * The main-thread profiles written into dir since a time (the largest file per process is its main
 * thread), each summarized over the measured runs: windows in wall-clock ms, taken relative to
 * startedAtMs (when the service was started; its profiler starts a few tens of ms later).
 */
export function summarizeProfiles(dir: string, options: { startedAtMs: number; windows: Window[]; requests: number }): string | undefined {
  const sinceMs = options.startedAtMs;
  const relative = options.windows.map(([from, to]): Window => [from - options.startedAtMs, to - options.startedAtMs]);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= sinceMs);
  const mainThreads = new Map<string, string>();
  for (const file of files) {
    const pid = /\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1] ?? file;
    const current = mainThreads.get(pid);
    if (!current || statSync(file).size > statSync(current).size) mainThreads.set(pid, file);
  }
  if (mainThreads.size === 0) return undefined;
  return [...mainThreads.values()].map((file) =>
    renderProfileSummary(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 15, relative), options.requests, file)).join('\n\n');
}
