/** Command-line options of `npm run faults`. Pure: parse and validate, or explain. */
import { parseStrict } from '../bench/options.js';

export interface FaultOptions {
  /** Shorter disturbances and a lower request rate. */
  quick: boolean;
  /** Fault names to run (all when empty). */
  only: string[];
  /** This run's results folder (default: faults/runs/<timestamp>, git-ignored). */
  outDir: string | undefined;
  /** Also replace the committed faults/results/latest.{md,json}. */
  publish: boolean;
  /** The HA fault suite (faults/ha-suite.ts: Patroni, etcd, three PostgreSQL nodes) instead. */
  ha: boolean;
  help: boolean;
}

export const usage = `Usage: npm run faults -- [options]

Starts a real stack in a temporary directory (embedded PostgreSQL, PgBouncer, 2 app processes),
injects each fault under load, checks every answer against the ledger, prints the per-fault table
and the results folder on stdout, and writes report.md and report.json to faults/runs/<timestamp>/
(git-ignored). Only --publish replaces faults/results/latest.*.

  --quick            shorter disturbances, lower request rate
  --only <list>      fault names, comma-separated (also --only=a,b; default all)
  --out <dir>        this run's results folder (default faults/runs/<timestamp>)
  --publish          also write faults/results/latest.{md,json}, the published results
  --ha               the HA fault suite instead (Patroni, etcd; faults/runs/<timestamp>-ha/, ha-latest.*)
  --help             this text
Exit status: 0 when no fault has a violation, 1 when any has, 2 on bad options.`;

export function parseFaultOptions(argv: string[]): FaultOptions {
  const values = parseStrict(argv, {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    out: { type: 'string' },
    publish: { type: 'boolean', default: false },
    ha: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  return {
    quick: values.quick === true,
    only: (values.only ?? []).flatMap((list) => list.split(',')).map((name) => name.trim()).filter(Boolean),
    outDir: values.out,
    publish: values.publish === true,
    ha: values.ha === true,
    help: values.help === true,
  };
}
