import { expect } from "chai";
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import type { StatementHeader, StatementLine, StatementSummary, StatementTotals } from "../src/statements/types.js";
import {
  ledgerPageCount,
  renderStatementPdf,
  statementPageCount,
  STATEMENT_PAGE_LAYOUT,
  type PdfStatementInput,
} from "../reports/pdf.js";
import { amountInWords } from "../reports/words.js";
import { FONT_BOLD, FONT_REGULAR, installFastLayout, registerDejaVu, shapedLayout, type PdfkitEmbeddedFont } from "../reports/fonts.js";
import PDFDocument from "pdfkit";
import { formatDateVi as formatDate, formatDong } from "../reports/format.js";
import { ledgerColumn, ledgerRows, occurrences, overlap, within, wordPages } from "./support/pdftext.js";

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------
// A synthetic statement with real Vietnamese text: Phường 2, thị xã Kiến Tường, Tết Giáp
// Thìn 2024 — donations in January, 607 gift packages ("suất") to households of Khu phố 1–6
// in early February, one reversal, livelihood aid in May, and one late donation chosen so
// the closing balance is exactly 8.000.000 đồng ("Tám triệu đồng").

const DIGEST = "9f2c4e1ab7d35c08e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const POSITION = { seq: 12345, hash: "ab12cd34ef56ab78cd90ef12ab34cd56ef78ab90cd12ef34ab56cd78ef90ab12" };

const DONORS = [
  "Nguyễn Thị Thu Hà",
  "Công ty TNHH Lúa Vàng",
  "Trần Văn Đức",
  "Lê Thị Mỹ Duyên",
  "Phạm Quốc Việt",
  "Võ Thị Ngọc Ánh",
  "Huỳnh Văn Lợi",
  "Đặng Thị Thúy An",
  "Nhà hảo tâm ẩn danh",
  "Chùa Linh Sơn",
  "Trường THCS Kiến Tường",
  "Hội Doanh nhân trẻ thị xã Kiến Tường",
];
const SMALL = [3_000n, 10_000n, 52_222n, 5_888n, 1_000_000n, 500_000n, 2_000_000n, 200_000n];
const HOUSEHOLDS = ["Nguyễn Văn Tư", "Lê Thị Hồng", "Trần Văn Bảy", "Phạm Thị Lựu", "Võ Văn Ớt", "Huỳnh Thị Ửng", "Đỗ Văn Sự", "Bùi Thị Yến"];
const CATEGORIES = ["poor", "near_poor", "hardship", "policy_family"] as const;
const CATEGORY_WORDS: Record<string, string> = { poor: "hộ nghèo", near_poor: "hộ cận nghèo", hardship: "hộ có hoàn cảnh khó khăn", policy_family: "gia đình chính sách" };

interface Fixture {
  input: Omit<PdfStatementInput, "lines">;
  lines: StatementLine[];
}

function hex64(i: number): string {
  let h = "";
  let x = (i * 2654435761) >>> 0;
  while (h.length < 64) {
    x = (x * 1103515245 + 12345) >>> 0;
    h += x.toString(16).padStart(8, "0");
  }
  return h.slice(0, 64);
}

function isoDay(start: string, plusDays: number): string {
  const d = new Date(`${start}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString().slice(0, 10);
}

function tetFixture(): Fixture {
  const opening = 2_000_000n;
  const lines: StatementLine[] = [];
  const byMonth = new Map<string, { inDong: bigint; outDong: bigint }>();
  const cat = new Map<string, { amountDong: bigint; count: number }>();
  const area = new Map<string, { amountDong: bigint; count: number }>();
  const purpose = new Map<string, { amountDong: bigint; count: number }>();
  const received = { cash: 0n, bank: 0n, in_kind: 0n };
  let balance = opening;
  let seq = 1000;
  let pt = 0;
  let pc = 0;
  const add = (l: Omit<StatementLine, "seq" | "entryId" | "balanceDong" | "hash" | "verified"> & { verified?: boolean | null }): StatementLine => {
    seq += 1 + (seq % 3); // gaps: other campaigns share the committee's ledger
    balance = balance + l.inDong - l.outDong;
    lines.push({ ...l, verified: l.verified ?? null, seq, entryId: `e-${seq}`, balanceDong: balance, hash: hex64(seq) });
    const m = l.documentDate.slice(0, 7);
    const b = byMonth.get(m) ?? { inDong: 0n, outDong: 0n };
    b.inDong += l.inDong;
    b.outDong += l.outDong;
    byMonth.set(m, b);
    return lines.at(-1)!;
  };
  const bump = (map: Map<string, { amountDong: bigint; count: number }>, key: string, amount: bigint): void => {
    const r = map.get(key) ?? { amountDong: 0n, count: 0 };
    r.amountDong += amount;
    r.count += 1;
    map.set(key, r);
  };
  // January: donations (large ones first so the fund never goes below zero)
  for (let i = 0; i < 40; i++) {
    const donor = DONORS[i % DONORS.length] as string;
    const amount = i < 10 ? 20_000_000n : (SMALL[i % SMALL.length] as bigint);
    const bank = i % 3 !== 0;
    if (bank) received.bank += amount;
    else received.cash += amount;
    const date = isoDay("2024-01-02", Math.floor(i / 2));
    add({
      documentDate: date, recordedDate: i % 4 === 0 ? isoDay(date, 1) : date,
      voucherNo: `PT-2024-${String(++pt).padStart(6, "0")}`, kind: "donation",
      description: bank ? "Ủng hộ Quỹ Vì người nghèo – quà Tết, chuyển khoản" : "Ủng hộ Quỹ Vì người nghèo – quà Tết, tiền mặt",
      counterparty: donor, inDong: amount, outDong: 0n, quantity: null, unit: null,
      verified: bank ? true : null,
    });
  }
  // rice in kind
  received.in_kind += 7_500_000n;
  add({
    documentDate: "2024-01-25", recordedDate: "2024-01-25", voucherNo: `PT-2024-${String(++pt).padStart(6, "0")}`,
    kind: "donation", description: "Ủng hộ hiện vật: gạo thơm ST25 để trao quà Tết", counterparty: "Công ty TNHH Lúa Vàng",
    inDong: 7_500_000n, outDong: 0n, quantity: "500.000", unit: "kg",
  });
  // a mistaken donation and its reversal (a wrong line is corrected by a new line)
  add({
    documentDate: "2024-01-26", recordedDate: "2024-01-26", voucherNo: `PT-2024-${String(++pt).padStart(6, "0")}`,
    kind: "donation", description: "Ủng hộ quà Tết (ghi nhầm số tiền)", counterparty: "Lê Thị Mỹ Duyên",
    inDong: 5_000_000n, outDong: 0n, quantity: null, unit: null,
  });
  received.bank += 5_000_000n;
  add({
    documentDate: "2024-01-27", recordedDate: "2024-01-27", voucherNo: null,
    kind: "reversal", description: "Đảo bút toán ghi nhầm số tiền ngày 26/01/2024", counterparty: "Lê Thị Mỹ Duyên",
    inDong: 0n, outDong: 5_000_000n, quantity: null, unit: null,
  });
  received.bank -= 5_000_000n;
  // February: 607 gift packages, one khu phố a day
  // per khu phố: [poor, near_poor, hardship, policy_family]; 180 + 220 + 162 + 45 = 607
  const perArea = [[30, 36, 25, 7], [32, 41, 30, 9], [31, 38, 29, 8], [28, 33, 24, 6], [30, 40, 28, 8], [29, 32, 26, 7]];
  let gifts = 0;
  perArea.forEach((counts, a) => {
    const kp = `Khu phố ${a + 1}`;
    counts.forEach((n, c) => {
      const category = CATEGORIES[c] as string;
      for (let k = 0; k < n; k++) {
        const amount = category === "policy_family" ? 400_000n : 350_000n;
        const who = `${HOUSEHOLDS[(gifts + k) % HOUSEHOLDS.length]} (${kp})`;
        add({
          documentDate: isoDay("2024-02-01", a), recordedDate: isoDay("2024-02-01", a),
          voucherNo: `PC-2024-${String(++pc).padStart(6, "0")}`, kind: "disbursement",
          description: `Trao quà Tết Giáp Thìn cho ${CATEGORY_WORDS[category]}`,
          counterparty: who, inDong: 0n, outDong: amount, quantity: "1.000", unit: "suất",
        });
        bump(cat, category, amount);
        bump(area, kp, amount);
        bump(purpose, "gift_package", amount);
        gifts++;
      }
    });
  });
  // May: livelihood aid, with a description far too long for two lines
  add({
    documentDate: "2024-05-15", recordedDate: "2024-05-16", voucherNo: `PC-2024-${String(++pc).padStart(6, "0")}`,
    kind: "disbursement",
    description:
      "Hỗ trợ phương tiện sinh kế: mua 01 máy may công nghiệp cho hộ nghèo có lao động nữ, theo đề nghị của Ban công tác Mặt trận Khu phố 4 và biên bản họp xét ngày 10/5/2024 có chữ ký của đại diện các hộ dân, tổ trưởng tổ dân phố và cán bộ phụ trách; ĐOẠN NÀY PHẢI BỊ CẮT",
    counterparty: "Trần Văn Út (Khu phố 4)", inDong: 0n, outDong: 3_000_000n, quantity: "1", unit: "máy",
  });
  bump(cat, "poor", 3_000_000n);
  bump(area, "Khu phố 4", 3_000_000n);
  bump(purpose, "livelihood", 3_000_000n);
  // March: money moved in from the committee's For-the-Poor fund; June: gift money moved out to the new-rural fund,
  // each by a resolution (entries between campaigns: their own lines, never donations or payments)
  const fromVnn = { campaigns: [{ code: "VNN-2024", name: "Quỹ “Vì người nghèo” năm 2024" }], resolutionRef: "Nghị quyết số 05/NQ-BTT ngày 28/02/2024" };
  add({
    documentDate: "2024-03-01", recordedDate: "2024-03-01", voucherNo: null, kind: "general",
    description: "Nhận điều chuyển để trao quà bổ sung", counterparty: "", inDong: 10_000_000n, outDong: 0n, quantity: null, unit: null,
    transfer: fromVnn,
  });
  const toNtm = { campaigns: [{ code: "NTM-2024", name: "Chung sức xây dựng nông thôn mới 2024" }], resolutionRef: "Biên bản họp Ban Thường trực số 12/BB-MTTQ" };
  add({
    documentDate: "2024-06-10", recordedDate: "2024-06-10", voucherNo: null, kind: "general",
    description: "Điều chuyển số dư quà Tết", counterparty: "", inDong: 0n, outDong: 9_000_000n, quantity: null, unit: null,
    transfer: toNtm,
  });
  // June: the balancing donation, so the closing balance is 8.000.000
  const needed = 8_000_000n - balance;
  if (needed <= 0n) throw new Error(`fixture: balance already ${balance}`);
  received.bank += needed;
  add({
    documentDate: "2024-06-20", recordedDate: "2024-06-20", voucherNo: `PT-2024-${String(++pt).padStart(6, "0")}`,
    kind: "donation", description: "Ủng hộ Quỹ Vì người nghèo đợt cuối", counterparty: "Công ty TNHH Lúa Vàng",
    inDong: needed, outDong: 0n, quantity: null, unit: null, verified: false,
  });

  const inDong = lines.reduce((s, l) => s + l.inDong, 0n);
  const outDong = lines.reduce((s, l) => s + l.outDong, 0n);
  const header: StatementHeader = {
    verifiedOnly: false, format: "soquy-statement/2",
    committee: { code: "P2-KT", name: "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường" },
    campaign: { code: "TET-2024", name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2024-01-02", endsOn: "2024-06-30", targetDong: 250_000_000n },
    from: "2024-01-01",
    to: "2024-06-30",
    audience: "public",
    openingDong: opening,
    position: POSITION,
  };
  // the closing balance by asset: the cash box, the bank account and the rice still in the store
  const closingDong = opening + inDong - outDong;
  const totals: StatementTotals = {
    lines: lines.length, inDong, outDong, closingDong, closingByAsset: { cash: 2_450_000n, bank: closingDong - 2_450_000n - 750_000n, goods: 750_000n },
  };
  const toRows = (m: Map<string, { amountDong: bigint; count: number }>) => [...m].map(([key, v]) => ({ key, ...v }));
  const summary: StatementSummary = {
    receivedByMethod: received,
    disbursedByPurpose: toRows(purpose),
    disbursedByCategory: toRows(cat),
    disbursedByArea: toRows(area),
    quantitiesByUnit: [
      { unit: "kg", direction: "in", quantity: "500.000", valueDong: 7_500_000n },
      { unit: "suất", direction: "out", quantity: String(gifts), valueDong: purpose.get("gift_package")?.amountDong ?? 0n },
      { unit: "máy", direction: "out", quantity: "1", valueDong: 3_000_000n },
    ],
    byMonth: [...byMonth].sort(([a], [b]) => (a < b ? -1 : 1)).map(([month, v]) => ({ month, ...v })),
    transfers: {
      inDong: 10_000_000n, outDong: 9_000_000n,
      rows: [{ ...fromVnn, inDong: 10_000_000n, outDong: 0n, lines: 1 }, { ...toNtm, inDong: 0n, outDong: 9_000_000n, lines: 1 }],
    },
  };
  return {
    input: { header, totals, summary, digest: DIGEST, lineCount: lines.length, preparedBy: "Thúy An", place: "Kiến Tường" },
    lines,
  };
}

/** n plain lines (alternating donations and gifts), for pagination boundaries. */
function plainFixture(n: number, opening = 0n): Fixture {
  const lines: StatementLine[] = [];
  let balance = opening;
  for (let i = 0; i < n; i++) {
    const isIn = i % 2 === 0;
    const amount = isIn ? 1_000_000n + BigInt(i) : 350_000n;
    balance += isIn ? amount : -amount;
    lines.push({
      seq: i + 1, entryId: `e${i}`, documentDate: "2024-03-08", recordedDate: "2024-03-08",
      voucherNo: isIn ? `PT-${i}` : `PC-${i}`, kind: isIn ? "donation" : "disbursement",
      description: isIn ? "Ủng hộ quỹ" : "Trao quà", counterparty: isIn ? "Nguyễn Thị Thu Hà" : "Hộ ông Võ Văn Ớt",
      inDong: isIn ? amount : 0n, outDong: isIn ? 0n : amount, balanceDong: balance,
      quantity: isIn ? null : "1", unit: isIn ? null : "suất", verified: null, hash: hex64(i),
    });
  }
  const inDong = lines.reduce((s, l) => s + l.inDong, 0n);
  const outDong = lines.reduce((s, l) => s + l.outDong, 0n);
  const header: StatementHeader = {
    verifiedOnly: true, format: "soquy-statement/2",
    committee: { code: "GQ", name: "Thị trấn Gò Quao" },
    campaign: { code: "VNN-2022", name: "Quỹ “Vì người nghèo” năm 2022", kind: "fund", startsOn: "2022-01-01", endsOn: null, targetDong: null },
    from: "2022-01-01", to: "2022-06-30", audience: "auditor", openingDong: opening, position: { seq: n, hash: hex64(n) },
  };
  const summary: StatementSummary = {
    receivedByMethod: { cash: inDong, bank: 0n, in_kind: 0n },
    disbursedByPurpose: [], disbursedByCategory: [], disbursedByArea: [], quantitiesByUnit: [], byMonth: [],
    transfers: { inDong: 0n, outDong: 0n, rows: [] },
  };
  const closingDong = opening + inDong - outDong;
  return {
    input: {
      header, totals: { lines: n, inDong, outDong, closingDong, closingByAsset: { cash: closingDong, bank: 0n, goods: 0n } }, summary,
      digest: "0".repeat(63) + "1", lineCount: n,
    },
    lines,
  };
}

async function* stream<T>(items: T[], onReturn?: () => void): AsyncGenerator<T> {
  try {
    for (const it of items) {
      yield it;
    }
  } finally {
    onReturn?.();
  }
}

async function renderToFile(f: Fixture, path: string, lines: AsyncIterable<StatementLine> = stream(f.lines)): Promise<void> {
  await renderStatementPdf({ ...f.input, lines }, createWriteStream(path));
}

async function pdfPages(path: string): Promise<number> {
  const { stdout } = await run("pdfinfo", [path]);
  const m = /^Pages:\s+(\d+)/m.exec(stdout);
  if (!m) throw new Error(`pdfinfo: no page count\n${stdout}`);
  return Number(m[1]);
}

async function pdfText(path: string): Promise<string[]> {
  const { stdout } = await run("pdftotext", ["-layout", "-enc", "UTF-8", path, "-"], { maxBuffer: 64 * 1024 * 1024 });
  const pages = stdout.split("\f");
  if (pages.at(-1)?.trim() === "") pages.pop();
  return pages;
}

const parseDong = (s: string): bigint => BigInt(s.replace(/\./g, ""));

/** The figures that follow a row label on a page, e.g. "Cộng trang   1.000   350.000". */
function rowFigures(page: string, label: string): bigint[] | null {
  const line = page.split("\n").find((l) => l.includes(label));
  if (line === undefined) return null;
  const after = line.slice(line.indexOf(label) + label.length);
  return [...after.matchAll(/-?\d{1,3}(?:\.\d{3})*/g)].map((m) => parseDong(m[0]));
}

// ---------------------------------------------------------------------------------------

describe("statement PDF (reports/pdf.ts)", function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "soquy-pdf-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("page count", () => {
    // an independent simulation of the pagination rule
    function simulate(n: number): number {
      const L = STATEMENT_PAGE_LAYOUT;
      let remaining = n;
      let pages = 0;
      for (let first = true; ; first = false) {
        pages++;
        const cap = first ? L.firstPage : L.page;
        const capLast = first ? L.firstPageIfLast : L.pageIfLast;
        if (remaining <= capLast) break;
        remaining -= Math.min(cap, remaining - 1);
      }
      return pages + L.trailingPages;
    }

    it("has sane fixed capacities", () => {
      const L = STATEMENT_PAGE_LAYOUT;
      expect(L.firstPage).to.be.greaterThan(10);
      expect(L.page).to.be.greaterThan(L.firstPage);
      expect(L.firstPageIfLast).to.be.within(1, L.firstPage);
      expect(L.pageIfLast).to.be.within(1, L.page);
    });

    it("statementPageCount agrees with the pagination rule for 0..5000 lines", () => {
      for (let n = 0; n <= 5000; n++) expect(statementPageCount(n), `n=${n}`).to.equal(simulate(n));
      expect(statementPageCount(200_000)).to.equal(simulate(200_000));
      expect(statementPageCount(0)).to.equal(3);
      expect(ledgerPageCount(STATEMENT_PAGE_LAYOUT.firstPageIfLast)).to.equal(1);
      expect(ledgerPageCount(STATEMENT_PAGE_LAYOUT.firstPageIfLast + 1)).to.equal(2);
    });

    it("refuses a negative or fractional line count", () => {
      expect(() => statementPageCount(-1)).to.throw(RangeError);
      expect(() => statementPageCount(1.5)).to.throw(RangeError);
    });

    it("writes exactly statementPageCount pages at every pagination boundary", async () => {
      const L = STATEMENT_PAGE_LAYOUT;
      const ns = [0, 1, L.firstPageIfLast, L.firstPageIfLast + 1, L.firstPage, L.firstPage + 1, L.firstPage + L.pageIfLast, L.firstPage + L.pageIfLast + 1, L.firstPage + L.page + L.pageIfLast, L.firstPage + L.page + L.pageIfLast + 1];
      for (const n of ns) {
        const f = plainFixture(n);
        const path = join(dir, `plain-${n}.pdf`);
        await renderToFile(f, path);
        const M = statementPageCount(n);
        expect(await pdfPages(path), `n=${n}`).to.equal(M);
        const pages = await pdfText(path);
        expect(pages).to.have.length(M);
        pages.forEach((p, i) => expect(p, `n=${n} page ${i + 1}`).to.match(new RegExp(`Trang ${i + 1}/${M}\\b`)));
        // every line is printed once, and the page subtotals add up
        const seqCells = pages.slice(0, M - 2).join("\n");
        let sumIn = 0n;
        let sumOut = 0n;
        for (const p of pages.slice(0, M - 2)) {
          const fig = rowFigures(p, "Cộng trang");
          expect(fig, `n=${n}`).to.have.length(2);
          sumIn += fig?.[0] ?? 0n;
          sumOut += fig?.[1] ?? 0n;
        }
        expect(sumIn).to.equal(f.input.totals.inDong);
        expect(sumOut).to.equal(f.input.totals.outDong);
        expect((seqCells.match(/\bPT-\d+\b/g) ?? []).length + (seqCells.match(/\bPC-\d+\b/g) ?? []).length).to.equal(n);
      }
    });
  });

  describe("the Tết Giáp Thìn 2024 statement of Phường 2, thị xã Kiến Tường", () => {
    const f = tetFixture();
    let path: string;
    let pages: string[];
    let M: number;

    before(async () => {
      path = join(dir, "tet-2024.pdf");
      await renderToFile(f, path);
      pages = await pdfText(path);
      M = statementPageCount(f.input.lineCount);
    });

    it("has the promised number of pages", async () => {
      expect(f.input.lineCount).to.equal(654);
      expect(await pdfPages(path)).to.equal(M);
      expect(pages).to.have.length(M);
    });

    it("shows the Vietnamese text exactly (pdftotext round trip)", () => {
      const all = pages.join("\n");
      for (const s of [
        "ỦY BAN MTTQ VIỆT NAM PHƯỜNG 2, THỊ XÃ KIẾN TƯỜNG",
        "SỔ THU CHI QUỸ",
        "Quà Tết Giáp Thìn 2024",
        "Từ ngày 01/01/2024 đến ngày 30/6/2024",
        "Bản công khai",
        "Đơn vị tính: đồng",
        "Số dư đầu kỳ",
        "Số mang sang",
        "Cộng trang",
        "Mang sang trang sau",
        "Cộng phát sinh",
        "Số dư cuối kỳ",
        "Bằng chữ",
        "Người lập",
        "Kế toán",
        "Thủ quỹ",
        "Chủ tịch",
        "(Ký, họ tên)",
        "Kiến Tường, ngày …… tháng …… năm ……",
        "Thúy An",
        "Trang 1/",
        "Nguyễn Thị Thu Hà",
        "Công ty TNHH Lúa Vàng",
        "Đặng Thị Thúy An",
        "Huỳnh Thị Ửng (Khu phố 6)",
        "Hộ có hoàn cảnh khó khăn",
        "gạo thơm ST25",
        "Bút toán đảo",
        "Đã xác minh",
        "500 kg",
        "1 suất",
        "05/02/2024",
        "52.222",
        "ỹ", "ư", "ơ", "ạ", "Đ", "Ư", "ố", "ệ",
      ]) {
        expect(all, s).to.include(s);
      }
    });

    it("writes the closing balance in words", () => {
      expect(f.input.totals.closingDong).to.equal(8_000_000n);
      const ledgerLast = pages[M - 3] as string;
      expect(ledgerLast).to.include("Bằng chữ: Tám triệu đồng");
      expect(pages[M - 1]).to.include("Bằng chữ: Tám triệu đồng");
      expect(rowFigures(ledgerLast, "Số dư cuối kỳ")).to.deep.equal([8_000_000n]);
    });

    it("prints Trang N/M, the digest and the ledger position on every page", () => {
      pages.forEach((p, i) => {
        expect(p, `page ${i + 1}`).to.match(new RegExp(`Trang ${i + 1}/${M}\\b`));
        expect(p, `page ${i + 1}`).to.include(DIGEST);
        expect(p, `page ${i + 1}`).to.include(`Vị trí sổ cái: số thứ tự ${POSITION.seq}, hash ${POSITION.hash.slice(0, 16)}…`);
      });
    });

    it("has page subtotals that add up to the totals, and carries forward what it carried", () => {
      const ledger = pages.slice(0, M - 2);
      let sumIn = 0n;
      let sumOut = 0n;
      let carried: bigint[] | null = null;
      ledger.forEach((p, i) => {
        const sub = rowFigures(p, "Cộng trang");
        expect(sub, `page ${i + 1}`).to.have.length(2);
        sumIn += sub?.[0] ?? 0n;
        sumOut += sub?.[1] ?? 0n;
        if (i === 0) {
          expect(rowFigures(p, "Số dư đầu kỳ")).to.deep.equal([f.input.header.openingDong]);
          expect(p).not.to.include("Số mang sang");
        } else {
          expect(rowFigures(p, "Số mang sang"), `page ${i + 1}`).to.deep.equal(carried);
        }
        if (i < ledger.length - 1) {
          const fwd = rowFigures(p, "Mang sang trang sau");
          expect(fwd, `page ${i + 1}`).to.deep.equal([sumIn, sumOut, f.input.header.openingDong + sumIn - sumOut]);
          carried = fwd;
        } else {
          expect(p).not.to.include("Mang sang trang sau");
          expect(rowFigures(p, "Cộng phát sinh")).to.deep.equal([f.input.totals.inDong, f.input.totals.outDong]);
        }
      });
      expect(sumIn).to.equal(f.input.totals.inDong);
      expect(sumOut).to.equal(f.input.totals.outDong);
    });

    it("prints every line once, with its voucher, sequence number and short hash", () => {
      const ledger = pages.slice(0, M - 2).join("\n");
      for (const l of f.lines) {
        if (l.voucherNo !== null) expect(ledger.split(l.voucherNo).length - 1, l.voucherNo).to.equal(1);
        expect(ledger, String(l.seq)).to.match(new RegExp(`\\b${l.seq}\\b`));
        expect(ledger).to.include(l.hash.slice(0, 8));
      }
    });

    it("cuts a long description to two lines with an ellipsis, keeping the counterparty", () => {
      const ledger = pages.slice(0, M - 2).join("\n");
      expect(ledger).to.include("Hỗ trợ phương tiện sinh kế");
      expect(ledger).to.include("…");
      expect(ledger).not.to.include("PHẢI BỊ CẮT");
      // the description is cut, not the household it went to
      expect(ledger).to.include("– Trần Văn Út (Khu phố 4)");
    });

    it("has a summary page with the breakdowns and the chart", () => {
      const s = pages[M - 2] as string;
      for (const t of [
        "TỔNG HỢP THU CHI", "Tiền mặt", "Chuyển khoản", "Hiện vật",
        "Hộ nghèo", "Hộ cận nghèo", "Hộ có hoàn cảnh khó khăn", "Gia đình chính sách", "Khác",
        "Quà (suất quà)", "Hỗ trợ sinh kế", "Khu phố 1", "Khu phố 6", "607 suất", "500 kg",
        "Thu và chi theo tháng", "Triệu đồng", "Tháng", "01/2024", "02/2024", "6/2024",
      ]) {
        expect(s, t).to.include(t);
      }
      const gifts = f.input.summary.disbursedByPurpose.find((r) => r.key === "gift_package");
      expect(s).to.include(formatDong(gifts?.amountDong ?? 0n));
      expect((gifts?.amountDong ?? 0n) > 214_000_000n, "over 214 million").to.equal(true);
    });

    it("has a closing page with the figures, the page count and four signature blocks", () => {
      const s = pages[M - 1] as string;
      expect(s).to.include(`Sổ này có ${M} trang, đánh số từ trang 01 đến trang ${M}`);
      expect(s).to.include(POSITION.hash);
      for (const t of ["Người lập", "Kế toán", "Thủ quỹ", "Chủ tịch", "(Ký, họ tên, đóng dấu)", "Số dư cuối kỳ", "8.000.000 đồng"]) {
        expect(s, t).to.include(t);
      }
    });

    it("embeds DejaVu Sans and no other font", async () => {
      const { stdout } = await run("pdffonts", [path]);
      const rows = stdout.split("\n").slice(2).filter((l) => l.trim() !== "");
      expect(rows.length).to.be.within(1, 2);
      for (const r of rows) {
        expect(r).to.match(/\+DejaVuSans(-Bold)?\s/);
        expect(r).to.match(/\byes\s+yes\s+yes\b/); // embedded, subset, unicode map
      }
    });

    it("gives the same bytes for the same input", async () => {
      const again = join(dir, "tet-2024-again.pdf");
      await renderToFile(f, again);
      expect((await readFile(again)).equals(await readFile(path))).to.equal(true);
    });

    it("renders page 1, the summary and the closing page to PNG (kept in /tmp for a look)", async () => {
      const out = join(dir, "look");
      await run("pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", path, `${out}-page1`]);
      await run("pdftoppm", ["-png", "-r", "60", "-f", String(M - 1), "-l", String(M - 1), "-singlefile", path, `${out}-summary`]);
      await run("pdftoppm", ["-png", "-r", "60", "-f", String(M), "-l", String(M), "-singlefile", path, `${out}-closing`]);
      for (const name of ["page1", "summary", "closing"]) {
        const png = `${out}-${name}.png`;
        expect((await stat(png)).size).to.be.greaterThan(10_000);
        await copyFile(png, `/tmp/soquy-pdf-${name}.png`);
      }
      await copyFile(path, "/tmp/soquy-pdf-sample.pdf");
    });
  });

  describe("fast word layout (reports/fonts.ts)", () => {
    const VIETNAMESE =
      "aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ uùúủũụ ưừứửữự yỳýỷỹỵ đ " +
      "AÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ EÈÉẺẼẸ ÊỀẾỂỄỆ IÌÍỈĨỊ OÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ UÙÚỦŨỤ ƯỪỨỬỮỰ YỲÝỶỸỴ Đ";
    const corpus = (): string[] => {
      const f = tetFixture();
      const texts = [
        VIETNAMESE, "AV AW Ty Te To Va Vo Wa Yo LT L' \"Vì người nghèo\" “Quà” (1.000.000) 52.222 30/6/2024 08/7/2024",
        "Số dư đầu kỳ Số mang sang Cộng trang Mang sang trang sau Cộng phát sinh Số dư cuối kỳ Bằng chữ: Tám triệu đồng",
        "0123456789abcdef ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz .,;:!?-–—…/()[]#%&+=*'",
        ...f.lines.flatMap((l) => [l.description, l.counterparty, l.voucherNo ?? "", l.hash.slice(0, 8), String(l.seq), formatDong(l.balanceDong)]),
      ];
      // the runs pdfkit lays out: split after each space
      const runs = new Set<string>();
      for (const t of texts) for (const r of t.match(/[^ ]+ ?| /g) ?? []) runs.add(r);
      return [...runs];
    };

    for (const name of [FONT_REGULAR, FONT_BOLD]) {
      it(`gives the shaper's glyphs and advances for the statement's words (${name})`, () => {
        const doc = new PDFDocument({ autoFirstPage: false });
        registerDejaVu(doc);
        doc.font(name);
        const font = (doc as unknown as { _font: PdfkitEmbeddedFont })._font;
        expect(installFastLayout(font)).to.equal(true);
        let checked = 0;
        let kerned = 0;
        for (const run of corpus()) {
          const fast = font.layoutRun?.(run);
          const slow = shapedLayout(font, run);
          expect(fast, run).to.not.equal(undefined);
          expect(fast?.glyphs.map((g) => g.id), run).to.deep.equal(slow?.glyphs.map((g) => g.id));
          fast?.positions.forEach((p, i) => {
            const q = slow?.positions[i];
            expect(p.xAdvance, `${run} #${i}`).to.be.closeTo(q?.xAdvance ?? NaN, 1e-9);
            expect(p.advanceWidth, `${run} #${i}`).to.be.closeTo(q?.advanceWidth ?? NaN, 1e-9);
            expect([p.xOffset, p.yOffset, p.yAdvance]).to.deep.equal([q?.xOffset, q?.yOffset, q?.yAdvance]);
          });
          expect(fast?.advanceWidth, run).to.be.closeTo(slow?.advanceWidth ?? NaN, 1e-9);
          if (slow?.positions.some((q) => q.xAdvance !== q.advanceWidth)) kerned++;
          checked++;
        }
        expect(checked).to.be.greaterThan(500);
        expect(kerned, "runs with kerning (the comparison must cover it)").to.be.greaterThan(5);
      });
    }

    it("falls back to the shaper for combining marks (text not in NFC)", async () => {
      const doc = new PDFDocument({ autoFirstPage: false });
      registerDejaVu(doc);
      doc.font(FONT_REGULAR);
      const font = (doc as unknown as { _font: PdfkitEmbeddedFont })._font;
      installFastLayout(font);
      const nfd = "Việt Nam".normalize("NFD");
      expect(nfd).to.not.equal("Việt Nam");
      const fast = font.layoutRun?.(nfd);
      const slow = shapedLayout(font, nfd);
      expect(fast?.glyphs.map((g) => g.id)).to.deep.equal(slow?.glyphs.map((g) => g.id));
      expect(fast?.positions).to.deep.equal(slow?.positions);
    });

    it("the statement's text reads back the same from the PDF whatever its Unicode form", async () => {
      const f = plainFixture(2);
      const lines = f.lines.map((l) => ({ ...l, counterparty: "Nguyễn Thị Thu Hà".normalize("NFD") }));
      const path = join(dir, "nfd.pdf");
      await renderToFile(f, path, stream(lines));
      const pages = await pdfText(path);
      expect(pages[0]?.normalize("NFC")).to.include("Nguyễn Thị Thu Hà");
    });
  });

  describe("what an auditor signs", () => {
    let tet: string;
    before(async () => {
      tet = join(dir, "tet-signed.pdf");
      await renderToFile(tetFixture(), tet);
    });

    /** A statement of the given lines (in and out alternating with their amounts), its totals and balances worked out. */
    function linesFixture(rows: Array<Pick<StatementLine, "voucherNo" | "description" | "counterparty"> & Partial<StatementLine>>, name?: string): Fixture {
      const f = plainFixture(0, 50_000_000n);
      let balance = f.input.header.openingDong;
      const lines = rows.map((r, i): StatementLine => {
        const inDong = r.inDong ?? (i % 2 === 0 ? 1_000_000n : 0n);
        const outDong = r.outDong ?? (i % 2 === 0 ? 0n : 350_000n);
        balance += inDong - outDong;
        return {
          seq: i + 1, entryId: `e${i}`, documentDate: "2024-03-08", recordedDate: "2024-03-08", kind: i % 2 === 0 ? "donation" : "disbursement",
          quantity: null, unit: null, verified: null, hash: hex64(i), ...r, inDong, outDong, balanceDong: balance,
        };
      });
      const inDong = lines.reduce((a, l) => a + l.inDong, 0n);
      const outDong = lines.reduce((a, l) => a + l.outDong, 0n);
      const closingDong = f.input.header.openingDong + inDong - outDong;
      const header = name === undefined ? f.input.header : { ...f.input.header, committee: { ...f.input.header.committee, name } };
      return {
        input: { ...f.input, header, lineCount: lines.length, totals: { lines: lines.length, inDong, outDong, closingDong, closingByAsset: { cash: closingDong, bank: 0n, goods: 0n } } },
        lines,
      };
    }

    it("keeps every voucher number whole on one line inside its column, at any length the ledger allows", async () => {
      // PT/PC, a book code of up to 16 characters, the year, the number (at least 6 digits, up to an int's 10)
      const vouchers = [
        "PT-2024-000123", "PC-2024-000045", "PT-Q1-2024-000123", "PC-XA2-2024-001045", "PT-2024-2147483647",
        "PT-WWWWWWWWWWWWWWWW-2200-2147483647", "PC-MMMMMMMMMMMMMMMM-2200-2147483647",
      ];
      const f = linesFixture(vouchers.map((v) => ({ voucherNo: v, description: "Ủng hộ quỹ", counterparty: "Nguyễn Thị Thu Hà" })));
      const path = join(dir, "vouchers.pdf");
      await renderToFile(f, path);
      const page = (await wordPages(path))[0]!;
      const col = ledgerColumn("voucher");
      for (const v of vouchers) {
        const found = page.filter((w) => w.text === v);
        expect(found, v).to.have.length(1);
        expect(within(found[0]!, col), `${v} inside its column`).to.equal(true);
      }
      // nothing else in the table's column but the captions: no piece of a number wrapped onto a line of its own
      const bottom = page.find((w) => w.text === "Cộng")!.yMin;
      const rest = page.filter((w) => within(w, col) && w.yMin > 116 && w.yMax < bottom && !vouchers.includes(w.text)).map((w) => w.text);
      expect(rest).to.deep.equal(["Số", "hiệu", "chứng", "từ"]);
      // and the vouchers of a long statement (PT-2024-000001 …) likewise
      const all = (await wordPages(tet)).flat().filter((w) => /^P[TC]-/.test(w.text));
      expect(all.map((w) => w.text).sort()).to.deep.equal(tetFixture().lines.flatMap((l) => (l.voucherNo ? [l.voucherNo] : [])).sort());
      expect(all.every((w) => within(w, col))).to.equal(true);
    });

    for (const [what, name] of [
      ["a ward of Hồ Chí Minh City", "Ủy ban Mặt trận Tổ quốc Việt Nam phường Nguyễn Thái Bình, quận 1, Thành phố Hồ Chí Minh"],
      ["the longest name a committee may have (300 characters)",
        `Ủy ban Mặt trận Tổ quốc Việt Nam ${"xã Phước Long Thọ huyện Đất Đỏ tỉnh Bà Rịa – Vũng Tàu ".repeat(5)}`.slice(0, 299).trim()],
    ] as const) {
      it(`fits the committee's name in the heading whole, touching nothing else: ${what}`, async () => {
        expect(name.length).to.be.at.most(300);
        const f = linesFixture([{ voucherNo: "PT-2024-000001", description: "Ủng hộ quỹ", counterparty: "Nguyễn Thị Thu Hà" }], name);
        const path = join(dir, `committee-${name.length}.pdf`);
        await renderToFile(f, path);
        const page = (await wordPages(path))[0]!;
        const title = page.find((w) => w.text === "SỔ")!;
        const heading = page.filter((w) => w.yMax < title.yMin + 0.01);
        // the top-left block: the name, then "Mã đơn vị: <code>"; the right-hand block starts 300 pt from the right edge
        const left = heading.filter((w) => w.xMax < 841.89 - 28 - 300).sort((a, b) => (Math.abs(a.yMin - b.yMin) > 1 ? a.yMin - b.yMin : a.xMin - b.xMin));
        const expected = name.toLocaleUpperCase("vi").split(/\s+/);
        expect(left.map((w) => w.text)).to.deep.equal([...expected, "Mã", "đơn", "vị:", f.input.header.committee.code]);
        expect(heading.some((w) => w.text.includes("…"))).to.equal(false);
        // no word of the page's heading is drawn over another (the table starts below it)
        const top = page.filter((w) => w.yMax < 116);
        for (let i = 0; i < top.length; i++) {
          for (let j = i + 1; j < top.length; j++) expect(overlap(top[i]!, top[j]!), `${top[i]!.text} / ${top[j]!.text}`).to.equal(false);
        }
        expect(Math.min(...left.map((w) => w.yMax - w.yMin)), "still printed, not a speck").to.be.greaterThan(4);
      });
    }

    it("names a donor or a household once in a row", async () => {
      const rows = [
        { voucherNo: "PT-2024-000001", description: "Nhận ủng hộ tiền mặt của Nguyễn Văn An", counterparty: "Nguyễn Văn An" },
        { voucherNo: "PC-2024-000001", description: "Chi quà Tết cho Nguyễn Văn Tư (Khu phố 1)", counterparty: "Nguyễn Văn Tư (Khu phố 1)" },
        { voucherNo: null, description: "Nhận chuyển khoản FT24008 ngày 08/01/2024 vào tài khoản 0011009990001 của NGUYEN VAN BINH", counterparty: "NGUYEN VAN BINH" },
        { voucherNo: "PC-2024-000002", description: "Trao quà cho Lê Thị Hồng", counterparty: "Lê Thị Hồng (Khu phố 2)" },
        { voucherNo: "PT-2024-000002", description: "Nhận ủng hộ tiền mặt của Nhà hảo tâm", counterparty: "Nhà hảo tâm" },
        { voucherNo: "PC-2024-000003", description: "Chi quà Tết cho N.V.T. (Khu phố 3)", counterparty: "N.V.T. (Khu phố 3)" },
        {
          voucherNo: "PT-2024-000003", counterparty: "Trần Văn Đức",
          description: "Nhận ủng hộ tiền mặt đợt hai theo thư ngỏ của Ban Thường trực về quà Tết cho hộ nghèo, hộ cận nghèo và gia đình chính sách trên địa bàn phường, kèm biên nhận viết tay, của Trần Văn Đức",
        },
        { voucherNo: "PC-2024-000004", description: "Hỗ trợ sinh kế", counterparty: "Phạm Quốc Việt (Khu phố 4)" },
        // Another person by one mark: the description names Lê Văn Tư, the money went to Lê Văn Tú.
        { voucherNo: "PC-2024-000005", description: "Chi quà Tết cho Lê Văn Tư", counterparty: "Lê Văn Tú (Khu phố 5)" },
      ];
      const f = linesFixture(rows);
      const path = join(dir, "names-once.pdf");
      await renderToFile(f, path);
      const byRow = new Map(ledgerRows((await wordPages(path))[0]!).map((r) => [r.seq, r.description]));
      const once: Array<[number, string[]]> = [
        [1, ["Nguyễn Văn An"]], [2, ["Nguyễn Văn Tư", "Khu phố 1"]], [3, ["NGUYEN VAN BINH"]], [4, ["Lê Thị Hồng", "Khu phố 2"]],
        [5, ["Nhà hảo tâm"]], [6, ["N.V.T.", "Khu phố 3"]], [7, ["Trần Văn Đức"]], [8, ["Phạm Quốc Việt", "Khu phố 4"]],
      ];
      for (const [seq, names] of once) {
        const text = byRow.get(seq) ?? "";
        for (const n of names) expect(occurrences(text, n), `row ${seq}: ${text}`).to.equal(1);
      }
      expect(byRow.get(4)).to.equal("Trao quà cho Lê Thị Hồng – Khu phố 2");
      expect(byRow.get(8)).to.equal("Hỗ trợ sinh kế – Phạm Quốc Việt (Khu phố 4)");
      expect(byRow.get(7)).to.include("…").and.match(/– Trần Văn Đức$/); // cut before the name: the name kept, once
      expect(byRow.get(9)).to.equal("Chi quà Tết cho Lê Văn Tư – Lê Văn Tú (Khu phố 5)");
    });

    it("splits the closing balance into cash, bank and goods, each in figures, adding up to it", async () => {
      const f = tetFixture();
      const pages = await pdfText(tet);
      const M = pages.length;
      const split = f.input.totals.closingByAsset;
      expect(split.cash + split.bank + split.goods).to.equal(f.input.totals.closingDong);
      for (const page of [pages[M - 3]!, pages[M - 1]!]) {
        expect(rowFigures(page, "Tiền mặt (tồn quỹ tiền mặt)")).to.deep.equal([split.cash]);
        expect(rowFigures(page, "Tiền gửi ngân hàng")).to.deep.equal([split.bank]);
        expect(rowFigures(page, "Hiện vật (quy ra tiền)")).to.deep.equal([split.goods]);
      }
      const err = await renderStatementPdf({ ...f.input, totals: { ...f.input.totals, closingByAsset: { ...split, goods: split.goods + 1n } }, lines: stream(f.lines) },
        new PassThrough()).then(() => null, (e: unknown) => e);
      expect(String(err)).to.match(/RangeError: totals: cash .* ≠ closing/);
    });

    it("shows transfers between campaigns as their own lines and explains them in the summary", async () => {
      const f = tetFixture();
      const pages = await pdfText(tet);
      const M = pages.length;
      const words = await wordPages(tet);
      const rows = new Map(words.slice(0, M - 2).flatMap((p) => ledgerRows(p)).map((r) => [r.seq, r.description]));
      const moves = f.lines.filter((l) => l.transfer);
      expect(moves).to.have.length(2);
      expect(rows.get(moves[0]!.seq)).to.equal("Nhận điều chuyển để trao quà bổ sung – nhận từ VNN-2024 theo Nghị quyết số 05/NQ-BTT ngày 28/02/2024");
      expect(rows.get(moves[1]!.seq)).to.equal("Điều chuyển số dư quà Tết – chuyển sang NTM-2024 theo Biên bản họp Ban Thường trực số 12/BB-MTTQ");
      const ledgerLast = pages[M - 3]!;
      for (const m of moves) expect(ledgerLast.split("\n").find((l) => l.includes(formatDate(m.documentDate)) && l.includes("Điều chuyển")), m.description).to.not.equal(undefined);
      const summary = pages[M - 2]!.replace(/ +/g, " ");
      for (const t of [
        "7. Điều chuyển giữa các cuộc vận động", "Nhận từ cuộc vận động khác: 10.000.000 đồng", "Chuyển sang cuộc vận động khác: 9.000.000 đồng",
        "VNN-2024 – Quỹ", "NTM-2024 – Chung sức", "Theo: Nghị quyết số 05/NQ-BTT", "Theo: Biên bản họp Ban Thường trực",
      ]) expect(summary, t).to.include(t);
      expect(summary).to.include("VNN-2024 – Quỹ “Vì người nghèo” năm 2024").and.include("NTM-2024 – Chung sức xây dựng nông thôn mới 2024");
      expect(summary).to.include("Nhận về: 10.000.000 đồng · Chuyển đi: 0 đồng").and.include("Nhận về: 0 đồng · Chuyển đi: 9.000.000 đồng");
      const closing = pages[M - 1]!;
      expect(rowFigures(closing, "nhận điều chuyển từ cuộc vận động khác")).to.deep.equal([10_000_000n]);
      expect(rowFigures(closing, "chuyển sang cuộc vận động khác")).to.deep.equal([9_000_000n]);
      // a summary that does not match the lines marked as transfers is refused
      const wrong = { ...f.input.summary, transfers: { ...f.input.summary.transfers, outDong: 0n } };
      const sink = new PassThrough();
      sink.resume();
      const err = await renderStatementPdf({ ...f.input, summary: wrong, lines: stream(f.lines) }, sink).then(() => null, (e: unknown) => e);
      expect(String(err)).to.match(/lines between campaigns add up to in 10000000, out 9000000/);
    });

    it("writes amounts in words in the committee's own variants: linh or lẻ, nghìn or ngàn", async () => {
      const f = plainFixture(0, 1_105_000n);
      const standard = join(dir, "words-standard.pdf");
      await renderToFile(f, standard);
      const southern = join(dir, "words-southern.pdf");
      await renderStatementPdf({ ...f.input, words: { zeroTens: "lẻ", thousand: "ngàn" }, lines: stream(f.lines) }, createWriteStream(southern));
      const a = await pdfText(standard);
      const b = await pdfText(southern);
      for (const i of [0, 2]) {
        expect(a[i]).to.include("Bằng chữ: Một triệu một trăm linh năm nghìn đồng");
        expect(b[i]).to.include("Bằng chữ: Một triệu một trăm lẻ năm ngàn đồng");
      }
    });
  });

  describe("edge cases", () => {
    it("an empty period: opening carried straight to closing, zero in words", async () => {
      const f = plainFixture(0);
      const path = join(dir, "empty.pdf");
      await renderToFile(f, path);
      const pages = await pdfText(path);
      expect(pages).to.have.length(3);
      expect(pages[0]).to.include("Bằng chữ: Không đồng");
      expect(pages[0]).to.include("Bản dành cho kiểm toán");
      expect(pages[0]).to.include("ỦY BAN MTTQ VIỆT NAM THỊ TRẤN GÒ QUAO");
      expect(rowFigures(pages[0] as string, "Cộng trang")).to.deep.equal([0n, 0n]);
      expect(pages[1]).to.include("Không có số liệu trong kỳ");
      expect(pages[2]).to.include("……………, ngày …… tháng …… năm ……");
    });

    it("a negative closing balance is written in words with “Âm”", async () => {
      const f = plainFixture(3, -2_000_000n);
      const closing = f.input.totals.closingDong;
      expect(closing < 0n).to.equal(true);
      const path = join(dir, "negative.pdf");
      await renderToFile(f, path);
      const pages = await pdfText(path);
      expect(pages[0]).to.include(`Bằng chữ: ${amountInWords(closing)}`);
      expect(amountInWords(closing)).to.match(/^Âm /);
      expect(rowFigures(pages[0] as string, "Số dư cuối kỳ")).to.deep.equal([closing]);
    });

    it("rejects fewer lines than promised, and closes the cursor", async () => {
      const f = plainFixture(30);
      const sink = new PassThrough();
      sink.resume();
      let closed = false;
      const lines = stream(f.lines.slice(0, 29), () => (closed = true));
      let err: unknown;
      try {
        await renderStatementPdf({ ...f.input, lines }, sink);
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/lines ended after 29 of the promised 30/);
      expect(closed).to.equal(true);
      expect(sink.destroyed).to.equal(true);
    });

    it("rejects more lines than promised, and closes the cursor", async () => {
      const f = plainFixture(30);
      const more = plainFixture(31);
      let closed = false;
      const sink = new PassThrough();
      sink.resume();
      const err = await renderStatementPdf({ ...f.input, lines: stream(more.lines, () => (closed = true)) }, sink).then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(err)).to.match(/more lines than the promised 30/);
      expect(closed).to.equal(true);
    });

    it("rejects a line whose balance does not follow from the previous one", async () => {
      const f = plainFixture(10);
      const bad = f.lines.map((l, i) => (i === 4 ? { ...l, balanceDong: l.balanceDong + 1n } : l));
      const sink = new PassThrough();
      sink.resume();
      const err = await renderStatementPdf({ ...f.input, lines: stream(bad) }, sink).then(() => null, (e: unknown) => e);
      expect(String(err)).to.match(/balance/);
    });

    it("rejects totals that do not match the lines", async () => {
      const f = plainFixture(10);
      const sink = new PassThrough();
      sink.resume();
      const split = f.input.totals.closingByAsset;
      const totals = { ...f.input.totals, inDong: f.input.totals.inDong + 1n, closingDong: f.input.totals.closingDong + 1n, closingByAsset: { ...split, cash: split.cash + 1n } };
      const err = await renderStatementPdf({ ...f.input, totals, lines: stream(f.lines) }, sink).then(() => null, (e: unknown) => e);
      expect(String(err)).to.match(/totals say/);
    });

    it("rejects a lineCount that differs from totals.lines", async () => {
      const f = plainFixture(5);
      const err = await renderStatementPdf({ ...f.input, lineCount: 4, lines: stream(f.lines) }, new PassThrough()).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(RangeError);
    });

    it("waits for a slow reader (back-pressure) and still writes the whole file", async () => {
      const f = plainFixture(400);
      const slow = new PassThrough({ highWaterMark: 1024 });
      const chunks: Buffer[] = [];
      let reading = false;
      const pump = (): void => {
        if (reading) return;
        reading = true;
        setTimeout(() => {
          reading = false;
          let c: Buffer | null;
          while ((c = slow.read() as Buffer | null) !== null) chunks.push(c);
          if (!slow.readableEnded) pump();
        }, 2);
      };
      slow.on("readable", pump);
      const done = new Promise((r) => slow.on("end", r));
      await renderStatementPdf({ ...f.input, lines: stream(f.lines) }, slow);
      await done;
      const path = join(dir, "slow.pdf");
      const ws = createWriteStream(path);
      await new Promise<void>((r) => ws.end(Buffer.concat(chunks), () => r()));
      expect(await pdfPages(path)).to.equal(statementPageCount(400));
    });
  });
});
