import { expect } from "chai";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { builtInLayouts } from "../src/imports/layouts.js";
import { xlsxRecords } from "../src/imports/statement.js";

// exceljs writes each worksheet it meets before the shared strings to a temporary file and removes
// it only once that worksheet has been read to the end; a reader that stops after the first worksheet,
// or an import that fails half-way, used to leave it behind (tens of MB for a real statement).
const mine = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`tmp-${process.pid}-`));

/** exceljs removes its files asynchronously: what is left after up to two seconds. */
async function left(before: string[]): Promise<string[]> {
  for (let i = 0; i < 40; i++) {
    const extra = mine().filter((f) => !before.includes(f));
    if (extra.length === 0) return extra;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return mine().filter((f) => !before.includes(f));
}

async function workbook(sheets: number, rows: number): Promise<Buffer> {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  for (let s = 0; s < sheets; s++) {
    const ws = wb.addWorksheet(`Sao kê ${s + 1}`);
    ws.addRow(["PageId", "Date", "Time", "DocumentNumber", "ReferenceNumber", "TransactionDetails", "DebitAmount", "CreditAmount", "Balance", "OffsetAccount"]);
    for (let i = 0; i < rows; i++) ws.addRow([1, "09/09/2024", "", "", String(1000 + i), `NGUYEN VAN ${i} ung ho`, null, 50_000, null, ""]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe("reading .xlsx statements leaves no temporary files", () => {
  const layout = builtInLayouts.agribank;

  it("after reading the first worksheet of a workbook of three", async () => {
    const before = mine();
    let read = 0;
    for await (const batch of xlsxRecords(Readable.from([await workbook(3, 500)]), layout)) read += batch.length;
    expect(read).to.equal(501);
    expect(await left(before)).to.deep.equal([]);
  });

  it("after a reader that stops half-way (an import refusing a line)", async () => {
    const before = mine();
    for await (const batch of xlsxRecords(Readable.from([await workbook(2, 500)]), layout)) {
      if (batch[0]!.lineNo > 10) break;
    }
    expect(await left(before)).to.deep.equal([]);
  });
});

describe("files a crashed import left behind", () => {
  it("uploads and worksheet copies are removed at start when their process is gone and they are an hour old; others stay", async () => {
    const { mkdtempSync, writeFileSync, utimesSync, existsSync, rmSync } = await import("node:fs");
    const path = (await import("node:path")).default;
    const { sweepStaleImportTemp } = await import("../src/imports/statement.js");
    const dir = mkdtempSync(path.join(tmpdir(), "soquy-sweep-"));
    try {
      const dead = 2 ** 22 + 17; // above Linux's default pid_max: no such process
      const files = {
        stale: path.join(dir, `tmp-${dead}-abcdefABCDEF`),
        fresh: path.join(dir, `tmp-${dead}-freshFRESH12`),
        alive: path.join(dir, `tmp-${process.pid}-aliveALIVE1`),
        other: path.join(dir, "tmp-report.txt"),
        upload: path.join(dir, `soquy-upload-${dead}-0123456789abcdef`),
      };
      for (const f of Object.values(files)) writeFileSync(f, "x");
      const old = new Date(Date.now() - 2 * 3_600_000);
      for (const f of [files.stale, files.alive, files.other, files.upload]) utimesSync(f, old, old);
      expect(sweepStaleImportTemp(dir).sort()).to.deep.equal([files.stale, files.upload].sort());
      expect([files.fresh, files.alive, files.other].every((f) => existsSync(f))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
