/** LOG_FORMAT=pretty (or auto on a terminal): pino's JSON lines become readable ones. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { formatLine, readableLogStream } from '../../src/lib/readable-log.js';

describe('readable log lines', () => {
  it('shows time, level, message and the fields, JSON for objects; non-JSON passes through', () => {
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(formatLine(JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', msg: 'request', method: 'POST', statusCode: 200, x: { a: 1 } }), false))
      .toBe('03:04:05.678 INFO  request method=POST statusCode=200 x={"a":1}');
    expect(formatLine(JSON.stringify({ level: 50, time, msg: 'boom' }), true)).toBe('03:04:05.678 \x1b[31mERROR\x1b[0m boom');
    expect(formatLine('[wallet-service] plain', false)).toBe('[wallet-service] plain');
  });

  it('formats what pino writes into it, line by line', () => {
    const out: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, done) { out.push(chunk.toString()); done(); } });
    const log = pino({ base: undefined }, readableLogStream(sink));
    log.info({ walletId: 'w1' }, 'hello');
    log.warn('careful');
    expect(out.join('')).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello walletId=w1\n\d\d:\d\d:\d\d\.\d{3} WARN {2}careful\n$/);
  });
});
