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

  it("are uuids to PostgreSQL, and order there as they do here", async () => {
    const s = await testSoquy();
    const ids = [newEntryId(1_700_000_000_000), newEntryId(1_700_000_000_500), newEntryId(1_750_000_000_000)];
    const { rows } = await s.db.knex.raw("select x::uuid as id from unnest(?::text[]) x order by x::uuid", [[...ids].reverse()]);
    expect(rows.map((r: { id: string }) => r.id)).to.deep.equal(ids);
  });
});
