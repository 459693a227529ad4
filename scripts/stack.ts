/** `npm run stack`: PostgreSQL + PgBouncer + WEB_CONCURRENCY app workers, production-like, no Docker; `-- --ha`: the HA topology. */
import { runStack } from '../tools/stack/local-stack.js';

if (process.argv.slice(2).includes('--ha')) {
  // etcd + 3 Patroni nodes + HAProxy + PgBouncer + the workers (tools/ha/ha-stack.ts, docs/ha.md).
  const { runHaStack } = await import('../tools/ha/ha-stack.js');
  await runHaStack(process.env);
} else {
  await runStack(process.env);
}
