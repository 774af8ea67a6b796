import { expect } from "chai";
import { newEntryId } from "../src/ledger/ids.js";
import { testSoquy } from "./support/db.js";

describe("entry ids (UUID version 7)", () => {
  it("are RFC 9562 version 7 UUIDs whose first 48 bits are the time they were made", () => {
    const at = Date.UTC(2026, 11, 1, 19, 45, 39, 123);
    const id = newEntryId(at);
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).to.equal(at);
  });

  it("are unique, and ordered by the millisecond they were made in", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(newEntryId(1_700_000_000_000 + Math.floor(i / 1000)));
    expect(ids.size).to.equal(100_000);
    const later = [newEntryId(1_700_000_000_001), newEntryId(1_700_000_000_002), newEntryId(1_800_000_000_000)];
    expect([...later].sort()).to.deep.equal(later);
    expect(newEntryId(1_700_000_000_000) < later[0]!).to.equal(true);
  });

  it("made in the same millisecond, are in the order they were made, past 4,096 of them too", () => {
    const at = 1_760_000_000_000;
    const ids = Array.from({ length: 5_000 }, () => newEntryId(at));
    expect(new Set(ids).size).to.equal(5_000);
    expect([...ids].sort()).to.deep.equal(ids);
    const ms = (id: string) => parseInt(id.replace(/-/g, "").slice(0, 12), 16);
    expect(ms(ids[4_095]!)).to.equal(at);
    expect(ms(ids[4_096]!)).to.equal(at + 1); // the count ran out: on to the next millisecond
    // A clock that steps back a little does not take ids back; the next millisecond goes on from there.
    const back = newEntryId(at - 5);
    expect(back > ids[4_999]!).to.equal(true);
    expect(ms(back)).to.equal(at + 1);
    expect(newEntryId(at + 2) > back).to.equal(true);
    for (const id of ids) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("are uuids to PostgreSQL, and order there as they do here", async () => {
    const s = await testSoquy();
    const ids = [newEntryId(1_700_000_000_000), newEntryId(1_700_000_000_500), newEntryId(1_750_000_000_000)];
    const { rows } = await s.db.knex.raw("select x::uuid as id from unnest(?::text[]) x order by x::uuid", [[...ids].reverse()]);
    expect(rows.map((r: { id: string }) => r.id)).to.deep.equal(ids);
  });
});
