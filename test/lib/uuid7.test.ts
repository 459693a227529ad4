import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/lib/uuid7.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('uuidv7', () => {
  it('is a version-7 UUID whose first 48 bits are the Unix time in milliseconds', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(id).toMatch(V7);
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(after + 1);
  });

  it('makes strictly increasing ids, as text too, many within one millisecond', () => {
    const ids = Array.from({ length: 50_000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(V7);
  });

  it('stays increasing when the clock steps back or a millisecond runs out of counter values', () => {
    const at = Date.now() + 60_000; // ahead of anything made so far
    const ids = [uuidv7(at)];
    for (let i = 0; i < 5000; i++) ids.push(uuidv7(at)); // more than the 12-bit counter holds
    ids.push(uuidv7(at - 10_000)); // the clock stepped back
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(timeOf(ids[0]!)).toBe(at);
    expect(timeOf(ids.at(-1)!)).toBeGreaterThan(at); // borrowed from the next millisecond, never gone back
    expect(timeOf(ids.at(-1)!)).toBeLessThanOrEqual(at + 3);
  });

  it('keeps 62 random bits: ids made in the same millisecond differ beyond the counter', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7(Date.now() + 120_000));
    const tails = new Set(ids.map((id) => id.slice(19)));
    expect(tails.size).toBe(ids.length);
  });
});
