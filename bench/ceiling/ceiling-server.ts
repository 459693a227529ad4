/**
 * The HTTP ceiling: a trivial node:http server that reads each request's body and answers with
 * the bytes the service answered to the same request once (status, headers, a body of the same
 * size). Whatever it reaches under the harness's load generator is the most any Node HTTP service
 * can reach on this machine with that load; the service's figures are read against it.
 * Started by ceiling.ts as its own process: CEILING_RESPONSE holds {status, headers, body}; it
 * prints "listening <port>" once ready and stops on SIGTERM.
 */
import { createServer } from 'node:http';

interface Canned {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const canned = JSON.parse(process.env.CEILING_RESPONSE ?? '') as Canned;
const body = Buffer.from(canned.body);
const headers = { ...canned.headers, 'content-length': String(body.length) };

const server = createServer((request, response) => {
  request.on('data', () => undefined);
  request.on('end', () => {
    response.writeHead(canned.status, headers);
    response.end(body);
  });
});
server.keepAliveTimeout = 65_000; // the service's default (HTTP_KEEP_ALIVE_TIMEOUT_MS)
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
