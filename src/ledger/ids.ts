import { randomFillSync } from "node:crypto";

// Entry ids are UUIDs whose first 48 bits are the time they were made, in
// milliseconds (RFC 9562 version 7). An entry's id keys its row and every row
// that hangs off it (postings, donation, voucher, bank line, idempotency
// record), so time-ordered ids put each new row at the right-hand edge of those
// indexes, where the last ones went, instead of on a random page of an index
// that outgrows memory as the ledger does (a million-line bank import).
//
// Ids made in the same millisecond are in order too: the 12 bits after the
// version count up within the millisecond (RFC 9562 section 6.2, method 1), and
// the other 62 bits are random. A bank import makes ~30 ids a millisecond; with
// random bits there, each new key landed somewhere inside the index's last page
// instead of after its last key, so PostgreSQL split pages in half (indexes
// ~45 % larger) and could not append to the last page directly: inserting a
// million entries' postings in id order costs about half as much index time.
// Should the clock step back a little, ids go
// on from the last millisecond used, so they never go back; 4,096 ids in one
// millisecond move on to the next. They are still unique (62 random bits beside
// the count), still uuids, and carry no more than the recorded-at time the entry
// shows anyway.

const pool = Buffer.alloc(16 * 256);
let offset = pool.length;
let lastMs = -1;
let count = 0;
/** How far back the clock may step and ids still go on from the last millisecond, rather than from its time. */
const STEP_BACK_MS = 10_000;
const COUNT_LIMIT = 0x1000;

export function newEntryId(nowMs: number = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 16);
  offset += 16;
  let ms = nowMs;
  if (ms <= lastMs && lastMs - ms < STEP_BACK_MS) {
    ms = lastMs;
    count += 1;
    if (count === COUNT_LIMIT) {
      ms += 1;
      count = 0;
    }
  } else {
    count = 0;
  }
  lastMs = ms;
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (count >> 8); // version 7, then the count's high 4 bits
  b[7] = count & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its text form, any case (PostgreSQL's uuid reads both): what an id from outside must be before a query. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}
