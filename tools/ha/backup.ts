/**
 * `npm run backup [-- --type full|diff|incr] [-- --restore-point NAME]`: a pgBackRest backup of the
 * running HA stack's current primary into the local repository (full on the first run,
 * incremental afterwards unless --type says otherwise), then the repository's backup list.
 * --restore-point NAME only creates a named restore point (and waits until its WAL is archived).
 */
import { readFileSync } from 'node:fs';
import { haSecretsFile, haStackDir, haStackFile, type HaStackFile } from './ha-stack.js';
import { backup, type BackupType, createRestorePoint, listBackups } from './pgbackrest.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
};

try {
  const dir = haStackDir(process.env);
  const stack = JSON.parse(readFileSync(haStackFile(dir), 'utf8')) as HaStackFile;
  const info = stack.cluster;
  const point = option('--restore-point');
  if (point) {
    const { superuserPassword } = JSON.parse(readFileSync(haSecretsFile(dir), 'utf8')) as { superuserPassword: string };
    const url = `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${info.haproxy.primaryPort}/postgres`;
    console.log(`[backup] restore point ${JSON.stringify(point)} at ${await createRestorePoint(info, url, point)} (archived)`);
  } else {
    const type = option('--type') as BackupType | undefined;
    if (type && !['full', 'diff', 'incr'].includes(type)) throw new Error('--type must be full, diff or incr');
    await backup(info, type, (m) => console.log(`[backup] ${m}`));
    for (const b of await listBackups(info)) console.log(`[backup]   ${b.label} ${b.type} (stopped ${b.stop})`);
  }
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  console.error(`backup: ${e.code === 'ENOENT' ? 'no running HA stack (start one with `npm run stack -- --ha`)' : e.message}`);
  process.exit(1);
}
