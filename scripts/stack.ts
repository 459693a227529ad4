/**
 * `npm run stack`: PostgreSQL + PgBouncer + WEB_CONCURRENCY app workers, production-like, no Docker;
 * `-- --ha`: the HA topology; `-- --citus`: Citus; `-- --tls`: the API over HTTPS with a
 * self-signed certificate for localhost (or TLS_CERT_FILE/TLS_KEY_FILE when set).
 */
import { runStack } from '../tools/stack/local-stack.js';

if (process.argv.slice(2).includes('--ha')) {
  // etcd + 3 Patroni nodes + HAProxy + PgBouncer + the workers (tools/ha/ha-stack.ts, docs/ha.md).
  const { runHaStack } = await import('../tools/ha/ha-stack.js');
  await runHaStack(process.env);
} else if (process.argv.slice(2).includes('--citus')) {
  // A Citus coordinator + workers + PgBouncer + the workers (tools/citus/citus-stack.ts, docs/scale-out.md).
  const { runCitusStack } = await import('../tools/citus/citus-stack.js');
  await runCitusStack(process.env);
} else {
  await runStack(process.env, { tls: process.argv.slice(2).includes('--tls') });
}
