/**
 * Readable log lines for a terminal (`LOG_FORMAT=pretty`, or `auto` on a TTY): pino writes its JSON
 * lines into this stream, which prints `12:00:00.123 INFO  request method=POST url=... statusCode=200`.
 * A line that is not JSON is passed through. Anywhere else the JSON lines are kept: they are what
 * log collectors read.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35m' };
/** pino's own fields, shown in the line's head or left out. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

export function formatLine(line: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(entry).filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const label = LEVELS[level] ?? String(level);
  const head = color && COLORS[level] ? `${COLORS[level]}${label}\x1b[0m` : label;
  return `${time} ${head} ${String(entry.msg ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`;
}

export function readableLogStream(out: NodeJS.WriteStream | Writable): Writable {
  const color = 'isTTY' in out && out.isTTY === true;
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line !== '') out.write(`${formatLine(line, color)}\n`);
      done();
    },
    final(done) {
      if (rest !== '') out.write(`${formatLine(rest, color)}\n`);
      done();
    },
  });
}
