/**
 * A separate process that uses an embedded cluster, for tests of what other processes do next
 * to it: `node --import tsx hold-embedded-postgres.ts <dataDir> <port>` starts (or joins) the
 * cluster, prints `READY <url>` and holds it until SIGTERM (then leaves it) or SIGKILL (a killed run).
 */
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';

const [dataDir, port] = process.argv.slice(2);
const postgres = await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port) });
process.on('SIGTERM', () => {
  void postgres.stop().then(() => process.exit(0));
});
console.log(`READY ${postgres.url}`);
setInterval(() => undefined, 60_000);
