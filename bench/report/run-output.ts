/**
 * Where a benchmark or fault-suite run writes its results. A run goes to its own folder under the
 * git-ignored <tool>/runs/ (or --out); only --publish also writes <tool>/results/latest.*, the
 * files the docs link to and the repository keeps, so a quick trial never replaces them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface RunOutput {
  /** This run's folder: report.<ext> for each file. */
  runDir: string;
  /** With --publish: the folder whose <publishName>.<ext> files are replaced. */
  publishDir?: string;
  /** The published files' name without extension: latest (or <kind>-latest). */
  publishName: string;
}

/** Pure: the run's folder (a timestamp under <tool>/runs unless --out names one) and, when publishing, <tool>/results. */
export function planRunOutput(options: {
  root: string; tool: 'bench' | 'faults'; out?: string; publish: boolean; startedAt: string;
  /** Several kinds of run of one tool (the HA fault suite): `<stamp>-<kind>` folders, `<kind>-latest.*` files. */
  kind?: string;
}): RunOutput {
  const stamp = `${options.startedAt.replace(/[:.]/g, '-')}${options.kind ? `-${options.kind}` : ''}`;
  const runDir = options.out !== undefined ? resolve(options.out) : join(options.root, options.tool, 'runs', stamp);
  const publishName = options.kind ? `${options.kind}-latest` : 'latest';
  return { runDir, publishName, ...(options.publish ? { publishDir: join(options.root, options.tool, 'results') } : {}) };
}

/** Writes report.<ext> into the run's folder and, when publishing, latest.<ext>; returns the paths written. */
export function writeRunOutput(output: RunOutput, files: Record<string, string>): string[] {
  const written: string[] = [];
  for (const [dir, base] of [[output.runDir, 'report'], [output.publishDir, output.publishName]] as const) {
    if (dir === undefined) continue;
    mkdirSync(dir, { recursive: true });
    for (const [ext, text] of Object.entries(files)) {
      const path = join(dir, `${base}.${ext}`);
      writeFileSync(path, text);
      written.push(path);
    }
  }
  return written;
}

/** The lines printed on stdout at the end of a run: where its results are. */
export function describeRunOutput(output: RunOutput, cwd: string = process.cwd()): string {
  const shown = (path: string) => (relative(cwd, path).startsWith('..') ? path : relative(cwd, path) || '.');
  const lines = [`Results of this run: ${shown(output.runDir)}/`];
  lines.push(output.publishDir
    ? `Published: ${shown(output.publishDir)}/${output.publishName}.* (commit them to update the docs)`
    : `Not published: add --publish to replace the committed ${output.publishName}.* results`);
  return lines.join('\n');
}
