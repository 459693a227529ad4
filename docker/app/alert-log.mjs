// A webhook receiver for Alertmanager that prints each notification as one JSON line on stdout
// (`docker compose logs alert-log`). The demo's receiver: a real deployment points
// docker/monitoring/alertmanager.yml at its pager or chat instead. No dependencies.
//   ALERT_LOG_PORT (9095); POST any path; bodies above 1 MiB are refused.
import { createServer } from 'node:http';

const port = Number(process.env.ALERT_LOG_PORT ?? 9095);
const bodyLimitBytes = 1024 * 1024;

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  const chunks = [];
  let size = 0;
  request.on('data', (chunk) => {
    size += chunk.length;
    if (size > bodyLimitBytes) {
      response.writeHead(413).end();
      request.destroy();
      return;
    }
    chunks.push(chunk);
  });
  request.on('end', () => {
    let alerts;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      alerts = (body.alerts ?? []).map((a) => ({
        status: a.status, alertname: a.labels?.alertname, severity: a.labels?.severity,
        instance: a.labels?.instance, summary: a.annotations?.summary, startsAt: a.startsAt,
      }));
      console.log(JSON.stringify({ time: new Date().toISOString(), receiver: body.receiver, status: body.status, alerts }));
      response.writeHead(200).end();
    } catch {
      response.writeHead(400).end();
    }
  });
});
server.listen(port, () => console.log(JSON.stringify({ msg: `alert-log listening on :${port}` })));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
