/**
 * `npm run restore -- --target <restore point name | RFC 3339 time> --port <p> [--dir <path>]`:
 * point-in-time recovery from the HA stack's pgBackRest repository into a new instance on port p
 * (data in --dir, default STACK_HA_DIR/restore-<p>). The running cluster is left alone. The
 * restored instance keeps running until Ctrl-C (then it is stopped; its files stay).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { haSecretsFile, haStackDir, haStackFile, type HaStackFile } from './ha-stack.js';
import { restoreInstance } from './pitr.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
};

const target = option('--target');
const port = Number(option('--port'));
if (!target || !Number.isInteger(port) || port <= 0) {
  console.error('usage: npm run restore -- --target <restore point name | RFC 3339 time> --port <port> [--dir <path>]');
  process.exit(2);
}
const dir = haStackDir(process.env);
try {
  const stack = JSON.parse(readFileSync(haStackFile(dir), 'utf8')) as HaStackFile;
  const { superuserPassword } = JSON.parse(readFileSync(haSecretsFile(dir), 'utf8')) as { superuserPassword: string };
  const restored = await restoreInstance(stack.cluster, superuserPassword, {
    target, port, dir: option('--dir') ?? join(dir, `restore-${port}`), log: (m) => console.log(`[restore] ${m}`),
  });
  console.log(`[restore] ready: psql "postgres://postgres:***@127.0.0.1:${port}/postgres" (password in ${haSecretsFile(dir)}); ` +
    `npm run reconcile with DATABASE_URL pointing at it; Ctrl-C stops it`);
  const stop = () => void restored.stop().then(() => { console.log('[restore] stopped'); process.exit(0); });
  process.once('SIGINT', stop).once('SIGTERM', stop);
  setInterval(() => undefined, 1 << 30);
} catch (error) {
  console.error(`restore: ${(error as Error).message}`);
  process.exit(1);
}
