import { expect } from "chai";
import { normaliseKey } from "../src/ledger/service.js";
import { addDays } from "../src/ledger/earmarks.js";

// Donor and household identity keys are stored: however they are computed,
// they must come out as they always have.

describe("identity keys", () => {
  it("lower-cases exactly as the Vietnamese locale does, for every code point and in context", () => {
    const differ: string[] = [];
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      if (ch.toLowerCase() !== ch.toLocaleLowerCase("vi")) differ.push(c.toString(16));
    }
    expect(differ).to.deep.equal([]);
    // Context-dependent mappings: final sigma, I with a dot above, combining marks.
    for (const s of ["ΟΔΟΣ ΣΑΣ", "AΣ. Σ", "İstanbul", "I\u0307", "IÌĨ", "NGUYỄN VĂN ÁNH", "ĐẶNG THỊ  HỒNG", "Ǆ ǅ", "ΐ"]) {
      expect(s.toLowerCase(), s).to.equal(s.toLocaleLowerCase("vi"));
    }
  });

  it("normalises names to NFC, trimmed, lower case, single spaces", () => {
    expect(normaliseKey("  Nguyễn   Văn\tÁNH ")).to.equal("nguyễn văn ánh");
    expect(normaliseKey("Nguye\u0302\u0303n")).to.equal("nguyễn");
  });

  it("adds days to a date, remembered or not", () => {
    expect(addDays("2024-01-01", 90)).to.equal("2024-03-31");
    expect(addDays("2024-01-01", 90)).to.equal("2024-03-31");
    expect(addDays("2024-02-28", 1)).to.equal("2024-02-29");
    expect(addDays("2023-12-31", 1)).to.equal("2024-01-01");
  });
});
