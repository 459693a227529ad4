/** Turns the app's pino JSON lines into one readable line each, for `npm run stack`'s terminal. */

const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const skipped = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);
const valueMaxChars = 120;

function scalar(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value.length > valueMaxChars ? `${value.slice(0, valueMaxChars)}…` : value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** `HH:MM:SS INFO  message key=value ...`, with nested req/res/err flattened one level. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || !('msg' in entry)) return line;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
  const level = (levels[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (skipped.has(key)) continue;
    const direct = scalar(value);
    if (direct !== undefined) {
      fields.push(`${key}=${direct}`);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
        if (key === 'err' && inner === 'stack') continue;
        const text = scalar(innerValue);
        if (text !== undefined) fields.push(`${key}.${inner}=${text}`);
      }
    }
  }
  return `${time} ${level} ${String(entry.msg)}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}
