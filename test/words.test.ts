import { expect } from "chai";
import { amountInWords, MAX_AMOUNT_IN_WORDS } from "../reports/words.js";
import {
  approxVi,
  formatDateVi,
  formatDecimalVi,
  formatDong,
  formatDongWithUnit,
  formatLongDateVi,
  parseIsoDate,
  periodVi,
} from "../reports/format.js";

// Expected texts written by hand from the reading rule (see reports/words.ts), not generated.
const WORDS: ReadonlyArray<[bigint, string]> = [
  [0n, "Không đồng"],
  [1n, "Một đồng"],
  [2n, "Hai đồng"],
  [3n, "Ba đồng"],
  [4n, "Bốn đồng"],
  [5n, "Năm đồng"],
  [6n, "Sáu đồng"],
  [7n, "Bảy đồng"],
  [8n, "Tám đồng"],
  [9n, "Chín đồng"],
  [10n, "Mười đồng"],
  [11n, "Mười một đồng"],
  [12n, "Mười hai đồng"],
  [13n, "Mười ba đồng"],
  [14n, "Mười bốn đồng"],
  [15n, "Mười lăm đồng"],
  [16n, "Mười sáu đồng"],
  [17n, "Mười bảy đồng"],
  [18n, "Mười tám đồng"],
  [19n, "Mười chín đồng"],
  [20n, "Hai mươi đồng"],
  [21n, "Hai mươi mốt đồng"],
  [22n, "Hai mươi hai đồng"],
  [23n, "Hai mươi ba đồng"],
  [24n, "Hai mươi tư đồng"],
  [25n, "Hai mươi lăm đồng"],
  [30n, "Ba mươi đồng"],
  [31n, "Ba mươi mốt đồng"],
  [44n, "Bốn mươi tư đồng"],
  [55n, "Năm mươi lăm đồng"],
  [99n, "Chín mươi chín đồng"],
  [100n, "Một trăm đồng"],
  [101n, "Một trăm linh một đồng"],
  [104n, "Một trăm linh bốn đồng"],
  [105n, "Một trăm linh năm đồng"],
  [110n, "Một trăm mười đồng"],
  [111n, "Một trăm mười một đồng"],
  [115n, "Một trăm mười lăm đồng"],
  [121n, "Một trăm hai mươi mốt đồng"],
  [205n, "Hai trăm linh năm đồng"],
  [999n, "Chín trăm chín mươi chín đồng"],
  [1000n, "Một nghìn đồng"],
  [1001n, "Một nghìn không trăm linh một đồng"],
  [1010n, "Một nghìn không trăm mười đồng"],
  [1015n, "Một nghìn không trăm mười lăm đồng"],
  [1021n, "Một nghìn không trăm hai mươi mốt đồng"],
  [1100n, "Một nghìn một trăm đồng"],
  [2024n, "Hai nghìn không trăm hai mươi tư đồng"],
  [10000n, "Mười nghìn đồng"],
  [10500n, "Mười nghìn năm trăm đồng"],
  [15000n, "Mười lăm nghìn đồng"],
  [21000n, "Hai mươi mốt nghìn đồng"],
  [100000n, "Một trăm nghìn đồng"],
  [105000n, "Một trăm linh năm nghìn đồng"],
  [500000n, "Năm trăm nghìn đồng"],
  [1000000n, "Một triệu đồng"],
  [1000001n, "Một triệu không trăm linh một đồng"],
  [1000010n, "Một triệu không trăm mười đồng"],
  [1001000n, "Một triệu không trăm linh một nghìn đồng"],
  [1005000n, "Một triệu không trăm linh năm nghìn đồng"],
  [1050000n, "Một triệu không trăm năm mươi nghìn đồng"],
  [1250000n, "Một triệu hai trăm năm mươi nghìn đồng"],
  [3000000n, "Ba triệu đồng"],
  [8000000n, "Tám triệu đồng"],
  [21000000n, "Hai mươi mốt triệu đồng"],
  [50000000n, "Năm mươi triệu đồng"],
  [214000000n, "Hai trăm mười bốn triệu đồng"],
  [214350000n, "Hai trăm mười bốn triệu ba trăm năm mươi nghìn đồng"],
  [383400000n, "Ba trăm tám mươi ba triệu bốn trăm nghìn đồng"],
  [402600000n, "Bốn trăm linh hai triệu sáu trăm nghìn đồng"],
  [800000000n, "Tám trăm triệu đồng"],
  [1000000000n, "Một tỷ đồng"],
  [1000000005n, "Một tỷ không trăm linh năm đồng"],
  [1000050000n, "Một tỷ không trăm năm mươi nghìn đồng"],
  [2000000000n, "Hai tỷ đồng"],
  [8700000000n, "Tám tỷ bảy trăm triệu đồng"],
  [
    10847182843n,
    "Mười tỷ tám trăm bốn mươi bảy triệu một trăm tám mươi hai nghìn tám trăm bốn mươi ba đồng",
  ],
  [527800000000n, "Năm trăm hai mươi bảy tỷ tám trăm triệu đồng"],
  [1000000000000n, "Một nghìn tỷ đồng"],
  [1105000000000n, "Một nghìn một trăm linh năm tỷ đồng"],
  [1000000005000n, "Một nghìn tỷ không trăm linh năm nghìn đồng"],
  [1001000000000n, "Một nghìn không trăm linh một tỷ đồng"],
  [2000005000000n, "Hai nghìn tỷ không trăm linh năm triệu đồng"],
  [1000000000000000n, "Một triệu tỷ đồng"],
  [
    999999999999999999n,
    "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ " +
      "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
  ],
  [-8000000n, "Âm tám triệu đồng"],
  [-1005n, "Âm một nghìn không trăm linh năm đồng"],
];

describe("reports/words: amountInWords", () => {
  it("has a table of at least 60 hand-written values", () => {
    expect(WORDS.length).to.be.at.least(60);
  });

  for (const [amount, expected] of WORDS) {
    it(`${amount} → ${expected}`, () => {
      expect(amountInWords(amount)).to.equal(expected.normalize("NFC"));
    });
  }

  it("returns NFC text", () => {
    const s = amountInWords(214_350_000n);
    expect(s).to.equal(s.normalize("NFC"));
  });

  it("throws above 10^18 - 1 (and below its negative)", () => {
    expect(MAX_AMOUNT_IN_WORDS).to.equal(999_999_999_999_999_999n);
    expect(() => amountInWords(10n ** 18n)).to.throw(RangeError);
    expect(() => amountInWords(-(10n ** 18n))).to.throw(RangeError);
    expect(() => amountInWords(10n ** 18n - 1n)).not.to.throw();
  });

  it("refuses a number instead of a bigint", () => {
    expect(() => amountInWords(5 as unknown as bigint)).to.throw(TypeError);
  });

  describe("zeroTens option", () => {
    it('"lẻ" replaces "linh"', () => {
      expect(amountInWords(101n, { zeroTens: "lẻ" })).to.equal("Một trăm lẻ một đồng");
      expect(amountInWords(1005000n, { zeroTens: "lẻ" })).to.equal(
        "Một triệu không trăm lẻ năm nghìn đồng",
      );
      expect(amountInWords(402600000n, { zeroTens: "lẻ" })).to.equal(
        "Bốn trăm lẻ hai triệu sáu trăm nghìn đồng",
      );
    });
    it('"linh" is the default and can be given explicitly', () => {
      expect(amountInWords(105n, { zeroTens: "linh" })).to.equal("Một trăm linh năm đồng");
    });
  });

  describe("thousand option", () => {
    it('"ngàn" replaces "nghìn", also in "nghìn tỷ"', () => {
      expect(amountInWords(10000n, { thousand: "ngàn" })).to.equal("Mười ngàn đồng");
      expect(amountInWords(1005000n, { thousand: "ngàn" })).to.equal(
        "Một triệu không trăm linh năm ngàn đồng",
      );
      expect(amountInWords(1105000000000n, { thousand: "ngàn" })).to.equal(
        "Một ngàn một trăm linh năm tỷ đồng",
      );
      expect(amountInWords(1000000000000n, { thousand: "ngàn" })).to.equal("Một ngàn tỷ đồng");
    });
    it("combines with zeroTens", () => {
      expect(amountInWords(1001n, { thousand: "ngàn", zeroTens: "lẻ" })).to.equal(
        "Một ngàn không trăm lẻ một đồng",
      );
    });
  });

  describe("fourAfterTens option", () => {
    it('"bốn" after mươi', () => {
      expect(amountInWords(24n, { fourAfterTens: "bốn" })).to.equal("Hai mươi bốn đồng");
      expect(amountInWords(2024n, { fourAfterTens: "bốn" })).to.equal(
        "Hai nghìn không trăm hai mươi bốn đồng",
      );
      expect(amountInWords(44000000n, { fourAfterTens: "bốn" })).to.equal(
        "Bốn mươi bốn triệu đồng",
      );
    });
    it('does not touch 4 after "mười" or "linh", nor a leading 4', () => {
      expect(amountInWords(14n, { fourAfterTens: "tư" })).to.equal("Mười bốn đồng");
      expect(amountInWords(104n, { fourAfterTens: "tư" })).to.equal("Một trăm linh bốn đồng");
      expect(amountInWords(4n, { fourAfterTens: "tư" })).to.equal("Bốn đồng");
      expect(amountInWords(24n, { fourAfterTens: "tư" })).to.equal("Hai mươi tư đồng");
    });
  });

  describe("unit option", () => {
    it("replaces the currency word", () => {
      expect(amountInWords(8000000n, { unit: "đồng chẵn" })).to.equal("Tám triệu đồng chẵn");
      expect(amountInWords(21n, { unit: "VNĐ" })).to.equal("Hai mươi mốt VNĐ");
    });
    it("can be empty", () => {
      expect(amountInWords(8000000n, { unit: "" })).to.equal("Tám triệu");
      expect(amountInWords(0n, { unit: "" })).to.equal("Không");
    });
  });
});

describe("reports/format: numbers", () => {
  it("formatDong groups thousands with dots", () => {
    expect(formatDong(0n)).to.equal("0");
    expect(formatDong(999n)).to.equal("999");
    expect(formatDong(1000n)).to.equal("1.000");
    expect(formatDong(8000000n)).to.equal("8.000.000");
    expect(formatDong(1250000n)).to.equal("1.250.000");
    expect(formatDong(10847182843n)).to.equal("10.847.182.843");
    expect(formatDong(999999999999999999n)).to.equal("999.999.999.999.999.999");
    expect(formatDong(-8000000n)).to.equal("-8.000.000");
    expect(formatDong(-100n)).to.equal("-100");
  });

  it("formatDongWithUnit appends the unit", () => {
    expect(formatDongWithUnit(8000000n)).to.equal("8.000.000 đồng");
    expect(formatDongWithUnit(1250000n, "₫")).to.equal("1.250.000 ₫");
  });

  it("formatDecimalVi uses a decimal comma and trims trailing zeros", () => {
    expect(formatDecimalVi("8.7")).to.equal("8,7");
    expect(formatDecimalVi("607.000")).to.equal("607");
    expect(formatDecimalVi("10.500")).to.equal("10,5");
    expect(formatDecimalVi("0.250")).to.equal("0,25");
    expect(formatDecimalVi("0.000")).to.equal("0");
    expect(formatDecimalVi("-0.000")).to.equal("0");
    expect(formatDecimalVi("-3.250")).to.equal("-3,25");
    expect(formatDecimalVi("1234567.125")).to.equal("1.234.567,125");
    expect(formatDecimalVi("1234567")).to.equal("1.234.567");
    expect(formatDecimalVi("007.5")).to.equal("7,5");
  });

  it("formatDecimalVi rejects anything that is not a plain decimal", () => {
    for (const bad of ["", "abc", "1,5", "1.2.3", "1e5", ".5", "5.", "NaN", "1 000"]) {
      expect(() => formatDecimalVi(bad), bad).to.throw(RangeError);
    }
  });
});

describe("reports/format: approxVi (press wording, never rounds up)", () => {
  const cases: ReadonlyArray<[bigint, string | null, string]> = [
    [214_350_000n, "trên", "214 triệu đồng"],
    [214_000_000n, null, "214 triệu đồng"],
    [214_999_999n, "trên", "214 triệu đồng"],
    [8_000_000n, null, "8 triệu đồng"],
    [8_700_000_000n, null, "8,7 tỷ đồng"],
    [8_790_000_000n, "trên", "8,7 tỷ đồng"],
    [8_000_000_000n, null, "8 tỷ đồng"],
    [8_050_000_000n, "trên", "8 tỷ đồng"],
    [999_999_999n, "trên", "999 triệu đồng"],
    [1_000_000_000n, null, "1 tỷ đồng"],
    [527_800_000_000n, null, "527,8 tỷ đồng"],
    [10_847_182_843n, "trên", "10,8 tỷ đồng"],
    [383_400_000n, "trên", "383 triệu đồng"],
    [1_105_000_000_000n, "trên", "1,1 nghìn tỷ đồng"],
    [1_000_000_000_000n, null, "1 nghìn tỷ đồng"],
    [15_000n, null, "15 nghìn đồng"],
    [10_500n, "trên", "10 nghìn đồng"],
    [1_000n, null, "1 nghìn đồng"],
    [999n, null, "999 đồng"],
    [0n, null, "0 đồng"],
  ];
  for (const [amount, qualifier, text] of cases) {
    it(`${amount} → ${qualifier ? qualifier + " " : ""}${text}`, () => {
      const r = approxVi(amount);
      expect(r.qualifier).to.equal(qualifier);
      expect(r.text).to.equal(text);
      expect(r.phrase).to.equal(qualifier ? `${qualifier} ${text}` : text);
    });
  }

  it("refuses negative amounts", () => {
    expect(() => approxVi(-1n)).to.throw(RangeError);
  });

  // Reads the figure back from the text, independently of approxVi's own `stated`.
  function parseStated(text: string): { stated: bigint; step: bigint } {
    const m = /^(\d{1,3}(?:\.\d{3})*)(?:,(\d))? (?:(nghìn tỷ|tỷ|triệu|nghìn) )?đồng$/.exec(text);
    if (!m) throw new Error(`unparseable: ${text}`);
    const whole = BigInt((m[1] ?? "").replace(/\./g, ""));
    const tenth = BigInt(m[2] ?? "0");
    const unit =
      m[3] === "nghìn tỷ"
        ? 10n ** 12n
        : m[3] === "tỷ"
          ? 10n ** 9n
          : m[3] === "triệu"
            ? 10n ** 6n
            : m[3] === "nghìn"
              ? 10n ** 3n
              : 1n;
    if (m[2] !== undefined) expect(unit >= 10n ** 9n, `decimal only for tỷ: ${text}`).to.equal(true);
    // The granularity of the stated figure: a tenth for tỷ and nghìn tỷ, else one unit.
    const step = unit >= 10n ** 9n ? unit / 10n : unit;
    return { stated: whole * unit + (tenth * unit) / 10n, step };
  }

  it("over many random amounts: stated ≤ exact, and 'trên' iff stated < exact", () => {
    // Deterministic xorshift so a failure is reproducible.
    let s = 0x2545f4914f6cdd1dn;
    const mask = (1n << 64n) - 1n;
    const next = (): bigint => {
      s ^= (s << 13n) & mask;
      s ^= s >> 7n;
      s ^= (s << 17n) & mask;
      return s;
    };
    for (let i = 0; i < 5000; i++) {
      const digits = Number(next() % 16n) + 1; // 1..16 digits
      let amount = next() % 10n ** BigInt(digits);
      // Also exercise round numbers, which must get no qualifier.
      if (i % 5 === 0) amount -= amount % 10n ** BigInt(Math.max(0, digits - 2));
      const r = approxVi(amount);
      const { stated, step } = parseStated(r.text);
      expect(stated, `${amount}: ${r.phrase}`).to.equal(r.stated);
      expect(stated <= amount, `${amount}: ${r.phrase}`).to.equal(true);
      expect(r.qualifier === "trên", `${amount}: ${r.phrase}`).to.equal(stated < amount);
      expect(r.phrase).to.equal(stated < amount ? `trên ${r.text}` : r.text);
      // Truncation only: less than one step of the stated figure is dropped.
      expect(amount - stated < step, `${amount}: ${r.phrase}`).to.equal(true);
    }
  });
});

describe("reports/format: dates", () => {
  it("formatDateVi pads the day, and the month only for 1 and 2", () => {
    expect(formatDateVi("2024-02-05")).to.equal("05/02/2024");
    expect(formatDateVi("2024-07-08")).to.equal("08/7/2024");
    expect(formatDateVi("2024-06-30")).to.equal("30/6/2024");
    expect(formatDateVi("2024-01-01")).to.equal("01/01/2024");
    expect(formatDateVi("2024-12-15")).to.equal("15/12/2024");
    expect(formatDateVi("2024-10-17")).to.equal("17/10/2024");
    expect(formatDateVi("2025-07-01")).to.equal("01/7/2025");
    expect(formatDateVi("2024-02-29")).to.equal("29/02/2024");
  });

  it("formatLongDateVi", () => {
    expect(formatLongDateVi("2024-02-05")).to.equal("ngày 05 tháng 02 năm 2024");
    expect(formatLongDateVi("2024-07-08")).to.equal("ngày 08 tháng 7 năm 2024");
    expect(formatLongDateVi("2024-11-20")).to.equal("ngày 20 tháng 11 năm 2024");
    expect(formatLongDateVi("2024-01-31")).to.equal("ngày 31 tháng 01 năm 2024");
  });

  it("periodVi", () => {
    expect(periodVi("2024-01-01", "2024-06-30")).to.equal("Từ ngày 01/01/2024 đến ngày 30/6/2024");
    expect(periodVi("2024-09-08", "2024-09-08")).to.equal("Từ ngày 08/9/2024 đến ngày 08/9/2024");
    expect(() => periodVi("2024-06-30", "2024-01-01")).to.throw(RangeError);
  });

  it("rejects bad input", () => {
    for (const bad of [
      "",
      "2024-7-8",
      "08/07/2024",
      "2024-13-01",
      "2024-00-10",
      "2024-02-30",
      "2023-02-29",
      "2100-02-29",
      "2024-04-31",
      "2024-01-00",
      "2024-01-01T00:00:00Z",
      " 2024-01-01",
    ]) {
      expect(() => formatDateVi(bad), bad).to.throw(RangeError);
      expect(() => formatLongDateVi(bad), bad).to.throw(RangeError);
    }
    expect(() => periodVi("2024-01-01", "2024-02-30")).to.throw(RangeError);
    expect(parseIsoDate("2000-02-29")).to.deep.equal({ year: 2000, month: 2, day: 29 });
  });
});
