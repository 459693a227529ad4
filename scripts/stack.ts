/** `npm run stack`: PostgreSQL + PgBouncer + WEB_CONCURRENCY app workers, production-like, no Docker. */
import { runStack } from '../tools/stack/local-stack.js';

await runStack(process.env);
