/**
 * A dependency-free SVG chart: requests/s (top) and p99 latency (bottom), grouped by scenario,
 * one bar per connection count. Pure: takes the report, returns the SVG text.
 */
import { bestHotRow } from './compare.js';
import type { BenchReport, ScenarioResult } from './types.js';

const width = 960;
const panelHeight = 260;
const margin = { left: 70, right: 20, top: 50, bottom: 70 };
const colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A round axis maximum (1, 2 or 5 times a power of ten) at or above value. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((f) => f * power).find((candidate) => candidate >= value)) ?? 10 * power;
}

function compact(n: number): string {
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return n >= 10 ? Math.round(n).toString() : n.toFixed(1);
}

/** A horizontal reference line across a panel (e.g. pgbench's best), labelled in the panel's title row. */
export interface ReferenceLine {
  value: number;
  label: string;
  colour: string;
}

/** "1 client", "10 clients". */
export const clientsText = (n: number) => `${n} ${n === 1 ? 'client' : 'clients'}`;

/** Rough text width at a font size (SVG has no layout; sans-serif averages about 0.55 em a character). */
const textWidth = (text: string, fontSize: number) => text.length * fontSize * 0.55;

/**
 * The reference lines' labels sit in the title row, right-aligned and laid out right to left,
 * each behind a short dashed swatch: above the plot, so they never cover a bar or its value.
 */
export function referenceLabels(lines: ReferenceLine[], titleY: number): string[] {
  const out: string[] = [];
  let right = width - margin.right;
  for (const line of lines) {
    const textLeft = right - textWidth(line.label, 11);
    out.push(`<text x="${right.toFixed(1)}" y="${titleY}" font-size="11" fill="${line.colour}" text-anchor="end">${escapeXml(line.label)}</text>`);
    out.push(`<line x1="${(textLeft - 26).toFixed(1)}" x2="${(textLeft - 6).toFixed(1)}" y1="${titleY - 4}" y2="${titleY - 4}" ` +
      `stroke="${line.colour}" stroke-width="2" stroke-dasharray="6 4"/>`);
    right = textLeft - 40;
  }
  return out;
}

function panel(
  results: ScenarioResult[], scenarios: string[], connections: number[], top: number, title: string,
  value: (r: ScenarioResult) => number, lines: ReferenceLine[] = [],
): string[] {
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = panelHeight - 60;
  const values = results.map(value).concat(lines.map((l) => l.value));
  const yMax = niceMax(Math.max(0, ...values));
  const y = (v: number) => top + plotHeight - (v / yMax) * plotHeight;
  const out: string[] = [];
  out.push(`<text x="${margin.left}" y="${top - 12}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(...referenceLabels(lines, top - 12));
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    out.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${margin.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${compact(v)}</text>`);
  }
  const groupWidth = plotWidth / Math.max(1, scenarios.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, connections.length);
  scenarios.forEach((scenario, s) => {
    const groupLeft = margin.left + s * groupWidth + groupWidth * 0.1;
    connections.forEach((c, k) => {
      const result = results.find((r) => r.scenario === scenario && r.connections === c);
      if (!result) return;
      const v = value(result);
      const x = groupLeft + k * barWidth;
      const fill = result.check.ok ? colours[k % colours.length] : '#999';
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
        `height="${(top + plotHeight - y(v)).toFixed(1)}" fill="${fill}"><title>${escapeXml(`${result.title}, ${c} connections: ${compact(v)}`)}</title></rect>`);
      out.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" font-size="9" text-anchor="middle">${compact(v)}</text>`);
    });
    const label = results.find((r) => r.scenario === scenario)?.title ?? scenario;
    out.push(`<text x="${(groupLeft + groupWidth * 0.4).toFixed(1)}" y="${top + plotHeight + 16}" font-size="10" text-anchor="middle">${escapeXml(scenario)}</text>`);
    out.push(`<title>${escapeXml(label)}</title>`);
  });
  for (const line of lines) {
    out.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(line.value).toFixed(1)}" y2="${y(line.value).toFixed(1)}" ` +
      `stroke="${line.colour}" stroke-width="1.5" stroke-dasharray="6 4"><title>${escapeXml(line.label)}</title></line>`);
  }
  return out;
}

/** pgbench's best hot row, and the HTTP ceiling at the most connections measured. */
function referenceLines(report: BenchReport): ReferenceLine[] {
  const lines: ReferenceLine[] = [];
  const best = bestHotRow(report.pgbench);
  if (best) lines.push({ value: best.tps, label: `pgbench best hot row: ${compact(best.tps)} TPS (${clientsText(best.clients)})`, colour: '#c00' });
  const ceiling = [...(report.ceiling ?? [])].sort((a, b) => b.connections - a.connections)[0];
  if (ceiling) {
    lines.push({ value: ceiling.requestsPerS, label: `HTTP ceiling: ${compact(ceiling.requestsPerS)} req/s (${ceiling.connections} connections)`, colour: '#555' });
  }
  return lines;
}

export function renderSvgChart(report: BenchReport): string {
  const scenarios = [...new Set(report.scenarios.map((r) => r.scenario))];
  const connections = [...new Set(report.scenarios.map((r) => r.connections))].sort((a, b) => a - b);
  const height = margin.top + 2 * panelHeight + margin.bottom;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" font-size="15" text-anchor="middle">${escapeXml(
    `wallet-service benchmark ${report.startedAt} — ${report.machine.cores} cores, ${report.machine.cpuModel}`)}</text>`);
  parts.push(...panel(report.scenarios, scenarios, connections, margin.top + 20, 'Requests per second', (r) => r.requestsPerS,
    referenceLines(report)));
  parts.push(...panel(report.scenarios, scenarios, connections, margin.top + 20 + panelHeight, 'p99 latency (ms)', (r) => r.latencyMs.p99));
  const legendY = height - 20;
  connections.forEach((c, k) => {
    const x = margin.left + k * 140;
    parts.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${colours[k % colours.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${legendY}" font-size="12">${c} connections</text>`);
  });
  parts.push(`<text x="${width - margin.right}" y="${legendY}" font-size="11" text-anchor="end">grey bar: correctness check failed</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
