import { describe, expect, it } from 'vitest';
import { parseFaultOptions } from '../../faults/options.js';

describe('npm run faults options', () => {
  it('writes to an ignored run folder by default and publishes only with --publish', () => {
    expect(parseFaultOptions([])).toEqual({ quick: false, only: [], outDir: undefined, publish: false, ha: false, help: false });
    expect(parseFaultOptions(['--ha', '--quick']).ha).toBe(true);
    expect(parseFaultOptions(['--quick', '--publish', '--out', '/tmp/f'])).toMatchObject({ quick: true, publish: true, outDir: '/tmp/f' });
  });

  it('takes --only as --only=a,b or repeated', () => {
    expect(parseFaultOptions(['--only=pgbouncer-kill,postgres-crash']).only).toEqual(['pgbouncer-kill', 'postgres-crash']);
    expect(parseFaultOptions(['--only', 'a', '--only', 'b, c']).only).toEqual(['a', 'b', 'c']);
  });

  it('refuses unknown options instead of ignoring them', () => {
    expect(() => parseFaultOptions(['--qiuck'])).toThrow(/Unknown option/);
    expect(() => parseFaultOptions(['extra'])).toThrow();
  });
});
