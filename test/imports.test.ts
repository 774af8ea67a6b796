import { expect } from "chai";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { CsvError, readCsv } from "../src/imports/csv.js";
import { sampleFile } from "./support/bank.js";
import { builtInLayouts, parseStatementAmount, parseStatementDate } from "../src/imports/layouts.js";
import { matchTransfers, nameSimilarity } from "../src/imports/match.js";
import { donorFromMemo, isBankFee, normaliseMemo, UNKNOWN_DONOR } from "../src/imports/memo.js";
import { lineContent, lineKey, readStatement, type ReadSummary } from "../src/imports/statement.js";
import { LedgerError } from "../src/ledger/codes.js";

// The pure half of bank imports: amounts and dates as banks print them, the
// memo shapes that carry a sender's name, bank fees, line identity and the
// one-to-one matching, each against the text a real statement has.

describe("statement amounts and dates", () => {
  it("reads whole đồng in both separators and refuses everything else", () => {
    expect(parseStatementAmount("1.000.000", ".")).to.equal(1_000_000n);
    expect(parseStatementAmount("52.222", ".")).to.equal(52_222n);
    expect(parseStatementAmount("5.888", ".")).to.equal(5_888n);
    expect(parseStatementAmount("50,000", ",")).to.equal(50_000n);
    expect(parseStatementAmount("5,239,241,555", ",")).to.equal(5_239_241_555n);
    expect(parseStatementAmount("3000", ",")).to.equal(3_000n);
    expect(parseStatementAmount("50,000.00", ",")).to.equal(50_000n);
    for (const bad of ["50,000", "1.0000", "12.5", "-5.000", "5.000,50", "", "abc", "1 000"]) {
      expect(parseStatementAmount(bad, "."), bad).to.equal(null);
    }
    expect(parseStatementAmount("50.000", ",")).to.equal(null);
  });

  it("reads real calendar dates in the layout's format only", () => {
    expect(parseStatementDate("01/09/2024", "dd/mm/yyyy")).to.equal("2024-09-01");
    expect(parseStatementDate("9/1/2024", "mm/dd/yyyy")).to.equal("2024-09-01");
    expect(parseStatementDate("2024-09-01", "yyyy-mm-dd")).to.equal("2024-09-01");
    expect(parseStatementDate("31/09/2024", "dd/mm/yyyy")).to.equal(null);
    expect(parseStatementDate("29/02/2023", "dd/mm/yyyy")).to.equal(null);
    expect(parseStatementDate("2024-09-01", "dd/mm/yyyy")).to.equal(null);
  });
});

describe("memo shapes", () => {
  const cases: [string, string | null, string][] = [
    ["MBVCB.6900235838.DANG QUANG LAN ung ho dong bao bi bao lu.CT tu 7089080942 DANG QUANG LAN toi 0011009990001 MAT TRAN TO QUOC PHUONG THU", null, "DANG QUANG LAN"],
    ["933055.010924.117187.LY THI YEN Ung ho dong bao mien Bac khac phuc bao so 3", null, "LY THI YEN"],
    ["02009704050109766069306820247384.10785.218851.Vietcombank:0011009990001:LY KIM BINH gia dinh chuc ba con binh an", null, "LY KIM BINH"],
    ["CKSOTAIKHOAN 773999824558984 LY THI GIANG chuyen tien tu Viettel Money 84931948167 0011009990001", null, "LY THI GIANG"],
    ["Chuyen tien den tu NAPAS Noi dung: VU THI GIANG ung ho dong bao bi bao lu\nFT24257276559961 (CT1111)", "ACC – A/C", "VU THI GIANG"],
    ["CT nhanh 247 den: HOANG DUC GIANG\nchung tay vuot qua bao lu (CT1111)", "VND-TGTT-HOANG DUC GIANG –\nA/C", "HOANG DUC GIANG"],
    ["IBFT NGUYEN VAN AN chuyen tien ung ho", null, "NGUYEN VAN AN"],
    ["ZaloPay TRAN THI BICH ung ho mien Bac", null, "TRAN THI BICH"],
    ["MOMO-0987654321-LE VAN TAM-ung ho", null, "LE VAN TAM"],
    ["NGO THU BINH UNG HO CAC TINH BI BAO LU", null, "NGO THU BINH"],
    ["Nguyễn Văn An ủng hộ", null, UNKNOWN_DONOR],
    ["362224.010924.94383.ung ho dong bao bi bao lu FT24255987477473", null, UNKNOWN_DONOR],
    ["UNG HO CAC TINH BI BAO LU", null, UNKNOWN_DONOR],
    ["ung ho", "PHAM THI MAI – A/C", "PHAM THI MAI"],
    ["ung ho", "MBBANK IBFT – A/C", UNKNOWN_DONOR],
  ];
  for (const [memo, counterparty, name] of cases) {
    it(`${JSON.stringify(memo.slice(0, 60))} → ${name}`, () => {
      expect(donorFromMemo(memo, counterparty)).to.equal(name);
    });
  }

  it("recognises the bank's own fees and nothing else", () => {
    expect(isBankFee("THU PHI DICH VU SMS CHU DONG THANG 08/2024. SDT: 0904000111. So tien 55000 VND")).to.equal(true);
    expect(isBankFee("Phí quản lý tài khoản tháng 9")).to.equal(true);
    expect(isBankFee("PHI SMS BANKING T9/2024")).to.equal(true);
    expect(isBankFee("Chi ho tro ho ngheo Nguyen Van Phi")).to.equal(false);
    expect(isBankFee("Chuyen tien ho tro ba con vung lu")).to.equal(false);
  });
});

describe("line identity", () => {
  const base = { date: "2024-09-01", docRef: "5218.88299", amountDong: 3000n, direction: "C" as const, memo: "ung ho  dong bao\nbi bao lu" };

  it("is the same for the same content whatever the whitespace and case of the memo, and differs by ordinal and account", () => {
    const a = lineContent("0011009990001", base);
    const b = lineContent("0011009990001", { ...base, memo: "UNG HO DONG BAO BI BAO LU" });
    expect(a).to.equal(b);
    expect(normaliseMemo(base.memo)).to.equal("UNG HO DONG BAO BI BAO LU");
    expect(lineKey(a, 1)).to.equal(lineKey(b, 1)).and.to.match(/^[0-9a-f]{64}$/);
    expect(lineKey(a, 1)).not.to.equal(lineKey(a, 2));
    expect(lineContent("0011009990002", base)).not.to.equal(a);
    expect(lineContent("0011009990001", { ...base, direction: "D" })).not.to.equal(a);
    expect(lineContent("0011009990001", { ...base, docRef: "5218.88298" })).not.to.equal(a);
  });

  it("numbers identical lines of a day 1, 2, 3 and restarts the next day", async () => {
    const line = (d: string) => `1,${d}/09/2024,5078.1,,10.000,,ung ho`;
    const file = ["PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails", line("01"), line("01"), line("01"), line("02")].join("\n");
    const summary: ReadSummary = { lines: 0, balanceChecks: 0, openingDong: null, closingDong: null, firstDate: null, lastDate: null };
    const got = [];
    for await (const l of readStatement(Readable.from([file]), { bankAccount: "1", layout: builtInLayouts.vcb, opening: async () => 0n }, summary)) {
      got.push([l.lineNo, l.ordinal]);
    }
    expect(got).to.deep.equal([[2, 1], [3, 2], [4, 3], [5, 1]]);
    expect(summary).to.include({ lines: 4, closingDong: 40_000n, firstDate: "2024-09-01", lastDate: "2024-09-02" });
  });

  it("gives the line of a multi-line record where it starts", async () => {
    const header = "PageId,Date,Time,DocumentNumber,ReferenceNumber,TransactionDetails,DebitAmount,CreditAmount,Balance,OffsetAccount";
    const file = `${header}\n1,11/09/2024,08:03:29,,,"CT nhanh 247 den: A B\nung ho",,"20,000",,"X –\nA/C"\n1,11/09/2024,08:03:30,,,x,,"abc",,\n`;
    const summary: ReadSummary = { lines: 0, balanceChecks: 0, openingDong: null, closingDong: null, firstDate: null, lastDate: null };
    let error: unknown;
    try {
      for await (const _ of readStatement(Readable.from([file]), { bankAccount: "1", layout: builtInLayouts.vietinbank, opening: async () => 0n }, summary));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(LedgerError);
    expect((error as LedgerError).message).to.match(/^line 5: "abc" in column CreditAmount/);
  });
});

describe("matching hand-recorded transfers", () => {
  const line = (key: string, date: string, amount: bigint, memo: string, donorName: string | null) => ({ key, date, amountDong: amount, docRef: "", memo, donorName });
  const entry = (entryId: string, date: string, amount: bigint, donorName: string, bankReference: string | null = null) => ({ entryId, date, amountDong: amount, donorName, bankReference });

  it("pairs one to one by amount, window and name or reference, best first", () => {
    const lines = [
      line("l1", "2024-09-01", 6000n, "DANG QUANG LAN ung ho", "DANG QUANG LAN"),
      line("l2", "2024-09-01", 6000n, "DANG QUANG LAN ung ho lan 2", "DANG QUANG LAN"),
      line("l3", "2024-09-02", 5000n, "ung ho FT24259357737536", null),
      line("l4", "2024-09-02", 7000n, "NGUYEN VAN AN", "NGUYEN VAN AN"),
    ];
    const entries = [
      entry("e1", "2024-09-02", 6000n, "Đặng Quang Lân"),
      entry("e2", "2024-09-02", 5000n, "Người gửi", "FT24259357737536"),
      entry("e3", "2024-09-09", 7000n, "Nguyễn Văn An"), // outside the window
      entry("e4", "2024-09-02", 7000n, "Trần Thị Bình"), // nobody by that name
    ];
    const m = matchTransfers(lines, entries);
    expect(m.map((x) => [x.key, x.entryId, x.by])).to.deep.equal([["l3", "e2", "reference"], ["l1", "e1", "name"]]);
    expect(nameSimilarity("Đặng Quang Lân", "DANG QUANG LAN")).to.equal(1);
  });
});

describe("the CSV reader", () => {
  // csv-parse, with the options the import used before, is the reference: the same records, cells and start lines.
  const reference = (text: string) => (parse(text, { bom: true, info: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number; empty_lines: number } }[])
    .reduce((acc: { out: [number, string[]][]; end: number; empty: number }, r) => {
      acc.out.push([acc.end + 1 + (r.info.empty_lines - acc.empty), r.record]);
      acc.end = r.info.lines;
      acc.empty = r.info.empty_lines;
      return acc;
    }, { out: [], end: 0, empty: 0 }).out;
  const read = async (chunks: (Buffer | string)[]) => {
    const out: [number, string[]][] = [];
    for await (const batch of readCsv(Readable.from(chunks), { maxRecord: 64 * 1024 })) for (const r of batch) out.push([r.lineNo, r.cells]);
    return out;
  };
  const tricky = [
    "a,b,c\n1,2,3\n",
    "\ufeffa,b\r\n1,2\r\n\r\n3,4",
    'a,b\n"x, ""quoted""\nover lines",2\n\n\n"",\n"é đ ủ",4\n',
    'h1,h2\n"multi\nline\n",x\n,\n',
    "only\n\n\nlast",
  ];

  it("reads what csv-parse reads, however the bytes are cut into chunks", async () => {
    for (const text of tricky) {
      const want = reference(text);
      const bytes = Buffer.from(text, "utf8");
      expect(await read([bytes]), JSON.stringify(text)).to.deep.equal(want);
      for (let cut = 1; cut < bytes.length; cut++) {
        expect(await read([bytes.subarray(0, cut), bytes.subarray(cut)]), `${JSON.stringify(text)} cut at ${cut}`).to.deep.equal(want);
      }
      expect(await read([...bytes].map((b) => Buffer.from([b]))), `${JSON.stringify(text)} byte by byte`).to.deep.equal(want);
    }
    for (const name of ["vcb", "agribank", "vietinbank"] as const) {
      const bytes = readFileSync(sampleFile(name));
      const chunks: Buffer[] = [];
      for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 3) % 4093 + 1) chunks.push(bytes.subarray(at, at + size));
      expect(await read(chunks), name).to.deep.equal(reference(bytes.toString("utf8")));
    }
  });

  it("refuses what is not CSV, naming the line where the record starts", async () => {
    const refused = async (text: string) => {
      try {
        await read([text]);
      } catch (error) {
        if (error instanceof CsvError) return [error.line, error.reason] as const;
        throw error;
      }
      throw new Error(`read ${JSON.stringify(text.slice(0, 60))}…`);
    };
    expect(await refused("a,b\n1,2\n1,2,3\n")).to.deep.equal([3, "3 fields where the header has 2"]);
    expect(await refused('a,b\n1,x"y\n')).to.deep.equal([2, "a quote inside the unquoted field 2"]);
    expect(await refused('a,b\n"1"x,2\n')).to.deep.equal([2, "text after the closing quote of field 1"]);
    expect(await refused('a,b\n1,2\n"never\nclosed,2\n')).to.deep.equal([3, "a quoted field is never closed"]);
    expect((await refused(`a\n"${"x".repeat(70_000)}"\n`))[1]).to.equal("a record is longer than 65536 characters");
    expect((await refused(`a\n${"x".repeat(70_000)}`))[1]).to.equal("a record is longer than 65536 characters");
  });

  it("ends records with the first line break it meets, as csv-parse did (a \\r in a \\n file is text)", async () => {
    expect(await read(["a,b\n1,2\r\n3,4\r5\n"])).to.deep.equal([[1, ["a", "b"]], [2, ["1", "2\r"]], [3, ["3", "4\r5"]]]);
    expect(await read(["a,b\r\n1,2\n3\r\n"])).to.deep.equal([[1, ["a", "b"]], [2, ["1", "2\n3"]]]);
    expect(await read(["a,b\r1,2\r"])).to.deep.equal([[1, ["a", "b"]], [2, ["1", "2"]]]);
    // A \r\n inside quotes is one line break (csv-parse counted two, and gave later lines wrong numbers).
    expect(await read(['h1,h2\r\n"multi\r\nline\r\n",x\r\n,\r\n'])).to.deep.equal([[1, ["h1", "h2"]], [2, ["multi\r\nline\r\n", "x"]], [5, ["", ""]]]);
  });
});
