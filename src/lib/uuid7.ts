/**
 * Time-ordered ids (UUID version 7, RFC 9562) for the rows the money path inserts: operations,
 * transfers and holds. The ledger's primary key is (wallet_id, id); with random (version 4) ids
 * each insert lands on a random leaf of the wallet's part of that index, so a hot wallet's inserts
 * touch as many index pages as the batch has operations, each one a likely cache miss and, after a
 * checkpoint, a full-page image in the WAL, and the cost grows with the wallet's history. Ids that
 * grow with time all land at the end of the wallet's range, on a page already in memory.
 *
 * Layout (RFC 9562, 5.7, with the 12-bit counter of 6.2 method 1): 48 bits of Unix time in
 * milliseconds, the version (7), a 12-bit counter, the variant (10), 62 random bits. The counter
 * starts at a random value below 2048 in each new millisecond and counts up within it, so the ids
 * one process makes are strictly increasing (as text too): if the clock steps back, or 2048+ ids
 * are made in one millisecond, the time field stays at (or moves one past) the last one used. The
 * 62 random bits keep ids unguessable and unique across processes. Ids are still opaque: nothing
 * reads the time back out of them (created_at is the time of record).
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const COUNTER_MAX = 0xfff;

/** Random bytes drawn in blocks (one system call per 256 ids, as randomUUID() does). */
const pool = Buffer.alloc(10 * 256);
let poolOffset = pool.length;
let lastMs = 0;
let counter = 0;

/** The offset of 10 fresh random bytes in the pool. */
function randomBytes10(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 10;
  return at;
}

/** A new version-7 UUID in its canonical text form (lowercase, 8-4-4-4-12). `nowMs` only for tests. */
export function uuidv7(nowMs: number = Date.now()): string {
  const r = randomBytes10();
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff;
  } else if (counter < COUNTER_MAX) {
    counter++;
  } else {
    lastMs++; // the counter is spent (or the clock stepped back): borrow from the next millisecond
    counter = 0;
  }
  const t = lastMs.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8)}-${HEX[0x70 | (counter >>> 8)]}${HEX[counter & 0xff]}-` +
    `${HEX[0x80 | (pool[r + 2]! & 0x3f)]}${HEX[pool[r + 3]!]}-${HEX[pool[r + 4]!]}${HEX[pool[r + 5]!]}` +
    `${HEX[pool[r + 6]!]}${HEX[pool[r + 7]!]}${HEX[pool[r + 8]!]}${HEX[pool[r + 9]!]}`;
}
