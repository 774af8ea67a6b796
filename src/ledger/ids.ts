import { randomFillSync } from "node:crypto";

// Entry ids are UUIDs whose first 48 bits are the time they were made, in
// milliseconds (RFC 9562 version 7), and whose other 74 bits are random. An
// entry's id keys its row and every row that hangs off it (postings,
// donation, voucher, bank line, idempotency record), so time-ordered ids put
// each new row at the right-hand edge of those indexes, where the last ones
// went, instead of on a random page of an index that outgrows memory as the
// ledger does (a million-line bank import). They are still unique, still
// uuids, and carry no more than the recorded-at time the entry shows anyway.

const pool = Buffer.alloc(16 * 256);
let offset = pool.length;

export function newEntryId(nowMs: number = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 16);
  offset += 16;
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70; // version 7
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
