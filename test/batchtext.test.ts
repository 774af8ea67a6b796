import { expect } from "chai";
import { sqlText } from "../src/db/store.js";
import { verifyChain } from "../src/ledger/verify.js";
import { ledgerFixture, meta, testSoquy } from "./support/db.js";

// The group committer sends a batch's rows as SQL text (dollar-quoted, or
// escaped when the text holds the quote's tag): every text must reach the
// database exactly as it was, whatever quotes, backslashes or dollar signs
// it carries.

const awkward = [
  "", "plain", "it's", "back\\slash", "\\'", "$$", "$soquy$", "x$soquy$y", "ends with $soquy", "$soquy",
  "$", "$s", "$soquy$soquy$", "Nguyễn Văn Ánh", "line\nbreak", "'; select 1; --",
];

describe("batch rows as SQL text", () => {
  it("reads back every text exactly, quoted as the batch quotes it", async () => {
    const s = await testSoquy();
    const client = s.db.knex.client;
    const conn = await client.acquireConnection();
    try {
      for (const text of awkward) {
        const literal = sqlText(conn, text);
        const { rows } = await conn.query(`select ${literal}::text as t`);
        expect(rows[0].t, literal).to.equal(text);
        if (!text.includes("$soquy")) expect(literal.startsWith("$soquy$"), literal).to.equal(true);
      }
    } finally {
      client.releaseConnection(conn);
    }
  });

  it("records donations whose names and notes carry the quote's tag, and the chain holds", async () => {
    const f = await ledgerFixture("TAG", "2024-01-01", "Quỹ thường xuyên, nhận ủng hộ quanh năm");
    const names = ["Quỹ $soquy$ ẩn", "O'Brien \\ $soquy", "$$ Trần $soquy$soquy$"];
    const results = await Promise.all(names.map((name, i) => f.s.ledger.recordDonation(f.p, f.c.code, {
      receivedOn: "2025-03-10", amountDong: String(1000 * (i + 1)), method: "cash",
      donor: { name, kind: "individual", publishName: true }, note: `ghi chú ${name}`,
    }, meta())));
    for (const [i, r] of results.entries()) {
      const stored = await f.s.store.findEntry(f.committeeId, r.entry.id);
      expect(stored?.donation?.donorName).to.equal(names[i]);
      expect(stored?.donation?.note).to.equal(`ghi chú ${names[i]}`);
    }
    expect((await verifyChain(f.s.store, f.committeeId)).ok).to.equal(true);
  });
});
