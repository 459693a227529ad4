/** A cluster worker for cluster-metrics.test.ts: one counter, shared with the primary. */
import client from 'prom-client';
import { shareRegistryWithPrimary } from '../../src/metrics/cluster-metrics.js';

const registry = new client.Registry();
const counter = new client.Counter({ name: 'test_worker_requests_total', help: 'test', labelNames: ['kind'], registers: [registry] });
counter.inc({ kind: 'a' }, Number(process.env.WORKER_INCREMENT));
shareRegistryWithPrimary(registry);
process.send?.('ready');
