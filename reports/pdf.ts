// The campaign statement as a PDF "sổ thu chi quỹ" a treasurer can sign: A4 landscape,
// Vietnamese, DejaVu Sans embedded (reports/fonts.ts).
//
// Layout, in order:
// - ledger pages: the heading on page 1 (committee, "SỔ THU CHI QUỸ", campaign, period,
//   audience), then the table: ngày ghi sổ, ngày chứng từ, số hiệu chứng từ, diễn giải,
//   số lượng, thu, chi, tồn, ghi chú, số thứ tự / hash. Page 1 opens with "Số dư đầu kỳ",
//   every later page with "Số mang sang"; every page closes with "Cộng trang" and either
//   "Mang sang trang sau" or, on the last ledger page, "Cộng phát sinh", "Số dư cuối kỳ",
//   "Bằng chữ: …" and the closing balance's split: cash (the cash box), bank, goods;
//   a line that moves money between campaigns says so ("Điều chuyển"), with the other
//   campaign and the resolution;
// - one summary page (received by method, disbursed by purpose / category / area,
//   quantities by unit, a bar chart of money in and out by month, transfers between
//   campaigns by other campaign and resolution);
// - for the auditor, pages listing the committee's people (PEOPLE_PER_PAGE a page);
// - one closing page: the figures again (the closing balance split by cash, bank and
//   goods), "Sổ này có … trang", the place and date line
//   and the four signature blocks (Người lập, Kế toán, Thủ quỹ, Chủ tịch).
// Every page's footer: "Trang N/M", the ledger position and the statement digest.
//
// Pagination is fixed before rendering: every ledger row has the same height (the
// description is cut to two lines with an ellipsis), the summary tables have a fixed
// number of rows, so the page count depends on the line count only
// (statementPageCount) and "Trang N/M" is printed without buffering pages. Pages are
// streamed out as they are made (no bufferPages, back-pressure honoured between pages)
// and pdfkit's per-font layout cache is cleared on every page, so memory stays flat.
//
// Speed (200.000 lines ≈ 8.700 pages in about half a minute): words are laid out by the
// fast path of reports/fonts.ts (cmap + learned pair kerning, checked against the
// shaper), and text is written as PDF text operators directly, one BT…ET block per row,
// with the text that repeats on every page recorded once and replayed.
//
// reports/ imports no database or HTTP code: only the statement types.

import type {
  Audience,
  StatementHeader,
  StatementLine,
  StatementPerson,
  StatementSummary,
  StatementTotals,
} from "../src/statements/types.js";
import { FONT_BOLD, FONT_REGULAR, FONT_REGULAR_PATH, installFastLayout, loadPdfkit, registerDejaVu, type PdfkitEmbeddedFont } from "./fonts.js";
import { formatDateVi, formatDecimalVi, formatDong, formatLongDateVi, periodVi } from "./format.js";
import { amountInWords, DEFAULT_WORD_VARIANTS, type WordVariants } from "./words.js";
import type { PreparedStatement } from "../src/statements/builder.js";

export interface PdfStatementInput {
  header: StatementHeader;
  totals: StatementTotals;
  summary: StatementSummary;
  /** SHA-256 hex of the canonical statement (the CSV bytes); printed on every page footer. */
  digest: string;
  /** Streamed from a database cursor, in sequence order. */
  lines: AsyncIterable<StatementLine>;
  /** Known in advance (= totals.lines), so "Trang N/M" is printed without buffering pages. */
  lineCount: number;
  /**
   * The committee's people (auditor's statement only): printed on pages of their own after the summary,
   * so an approver who began acting just before the period's end shows.
   */
  people?: StatementPerson[] | undefined;
  /** Name printed under "Người lập". */
  preparedBy?: string;
  /** Names printed under the other signature blocks. */
  signatories?: { accountant?: string; treasurer?: string; chair?: string };
  /** Place on the date line ("Kiến Tường, ngày … tháng … năm …"); dots when absent. */
  place?: string;
  /** ISO date on the date line; "ngày … tháng … năm …" left to fill by hand when absent. */
  signedOn?: string;
  /** How the committee writes amounts in words ("linh"/"lẻ", "nghìn"/"ngàn"); the standard words when absent. */
  words?: WordVariants | undefined;
}

// ---------------------------------------------------------------------------------------
// Geometry (points; A4 landscape 841.89 × 595.28)

const MARGIN_X = 28;
const X0 = MARGIN_X;
const TABLE_W = 786;
const X1 = X0 + TABLE_W;

/** Lowest y any table row may reach; the footer sits below. */
const CONTENT_BOTTOM = 553;
const FOOTER_RULE_Y = 557;

/** Ledger rows. */
const ROW_H = 19; // a statement line: two text lines of 7 pt
const ROW_FONT = 7;
const ROW_PAD_TOP = 2.2;
const ROW_LINE_STEP = 8.2;
const SPECIAL_H = 13; // opening, carried forward, subtotal and total rows; the closing balance's split
const WORDS_H = 22; // "Bằng chữ: …" (up to two lines)
const HEADER_H = 22; // column captions

/** Where the table starts on page 1 (below the heading) and on later pages. */
const FIRST_TABLE_TOP = 116;
const NEXT_TABLE_TOP = 38;

const CELL_PAD = 2.5;

interface Column {
  key: "recorded" | "document" | "voucher" | "description" | "quantity" | "in" | "out" | "balance" | "note" | "seq";
  title: string[];
  width: number;
  x: number;
}

const COLUMN_SPEC: Array<Omit<Column, "x">> = [
  { key: "recorded", title: ["Ngày", "ghi sổ"], width: 47 },
  { key: "document", title: ["Ngày", "chứng từ"], width: 47 },
  { key: "voucher", title: ["Số hiệu", "chứng từ"], width: 78 }, // "PT-2024-000123", "PT-Q1-2024-000123" at full size
  { key: "description", title: ["Diễn giải", "(nội dung – người nộp / người nhận)"], width: 0 },
  { key: "quantity", title: ["Số lượng"], width: 52 },
  { key: "in", title: ["Số tiền", "thu"], width: 70 },
  { key: "out", title: ["Số tiền", "chi"], width: 70 },
  { key: "balance", title: ["Tồn", "quỹ"], width: 76 },
  { key: "note", title: ["Ghi chú"], width: 56 },
  { key: "seq", title: ["Số TT /", "hash"], width: 52 },
];

const COLUMNS: Column[] = (() => {
  const fixed = COLUMN_SPEC.reduce((s, c) => s + c.width, 0);
  let x = X0;
  return COLUMN_SPEC.map((c) => {
    const width = c.key === "description" ? TABLE_W - fixed : c.width;
    const col = { ...c, width, x };
    x += width;
    return col;
  });
})();

/** Where each ledger column stands on the page (points from the left edge), for readers of the layout. */
export const LEDGER_COLUMNS: ReadonlyArray<Readonly<{ key: Column["key"]; x: number; width: number }>> = Object.freeze(
  COLUMNS.map((c) => Object.freeze({ key: c.key, x: c.x, width: c.width })),
);

function column(key: Column["key"]): Column {
  const c = COLUMNS.find((k) => k.key === key);
  if (c === undefined) throw new Error(`no column ${key}`);
  return c;
}
const COL = {
  recorded: column("recorded"),
  document: column("document"),
  voucher: column("voucher"),
  description: column("description"),
  quantity: column("quantity"),
  in: column("in"),
  out: column("out"),
  balance: column("balance"),
  note: column("note"),
  seq: column("seq"),
};

/** The closing balance's split: cash, bank deposits, goods. */
const ASSET_ROWS = 3;

// Row budget of a ledger page. A page that is not the last ends with "Cộng trang" and
// "Mang sang trang sau"; the last ledger page ends with "Cộng trang", "Cộng phát sinh",
// "Số dư cuối kỳ", "Bằng chữ" and the split of the closing balance.
const FIRST_ROWS_TOP = FIRST_TABLE_TOP + HEADER_H + SPECIAL_H; // after "Số dư đầu kỳ"
const NEXT_ROWS_TOP = NEXT_TABLE_TOP + HEADER_H + SPECIAL_H; // after "Số mang sang"
const END_ROWS_H = 2 * SPECIAL_H;
const FINAL_ROWS_H = 3 * SPECIAL_H + WORDS_H + ASSET_ROWS * SPECIAL_H;

/** Lines per ledger page (fixed numbers: pagination depends on the line count only). */
export const STATEMENT_PAGE_LAYOUT = Object.freeze({
  /** Lines on page 1 when more pages follow. */
  firstPage: Math.floor((CONTENT_BOTTOM - FIRST_ROWS_TOP - END_ROWS_H) / ROW_H),
  /** Lines page 1 can hold when it is also the last ledger page. */
  firstPageIfLast: Math.floor((CONTENT_BOTTOM - FIRST_ROWS_TOP - FINAL_ROWS_H) / ROW_H),
  /** Lines on a later ledger page when more pages follow. */
  page: Math.floor((CONTENT_BOTTOM - NEXT_ROWS_TOP - END_ROWS_H) / ROW_H),
  /** Lines a later ledger page can hold when it is the last ledger page. */
  pageIfLast: Math.floor((CONTENT_BOTTOM - NEXT_ROWS_TOP - FINAL_ROWS_H) / ROW_H),
  /** Pages after the ledger: the summary page and the closing (signature) page. */
  trailingPages: 2,
});

/**
 * How many lines go on a ledger page, given the lines still to place. The last ledger
 * page takes everything left when it fits with the closing rows; a page that is not the
 * last leaves at least one line for the next page, so the closing rows never stand alone.
 */
function linesOnPage(first: boolean, remaining: number): { take: number; last: boolean } {
  const L = STATEMENT_PAGE_LAYOUT;
  const cap = first ? L.firstPage : L.page;
  const capLast = first ? L.firstPageIfLast : L.pageIfLast;
  if (remaining <= capLast) return { take: remaining, last: true };
  return { take: Math.min(cap, remaining - 1), last: false };
}

/**
 * Ledger pages for n lines, with F1 = firstPage, L1 = firstPageIfLast, C = page,
 * L = pageIfLast:  n ≤ L1 → 1, otherwise 2 + ⌈max(0, n − F1 − L) / C⌉.
 */
export function ledgerPageCount(lineCount: number): number {
  if (!Number.isSafeInteger(lineCount) || lineCount < 0) {
    throw new RangeError(`lineCount must be a whole number ≥ 0: ${lineCount}`);
  }
  const L = STATEMENT_PAGE_LAYOUT;
  if (lineCount <= L.firstPageIfLast) return 1;
  return 2 + Math.ceil(Math.max(0, lineCount - L.firstPage - L.pageIfLast) / L.page);
}

/** The number of pages the PDF of a statement with lineCount lines has ("M" in "Trang N/M"), people pages included. */
export function statementPageCount(lineCount: number, people?: number): number {
  return ledgerPageCount(lineCount) + STATEMENT_PAGE_LAYOUT.trailingPages + peoplePageCount(people);
}

/** Rows of the people table on one page. */
export const PEOPLE_PER_PAGE = 36;
const PEOPLE_ROW_H = 12;

/** Pages listing the committee's people: none when no list is given, at least one when it is (even empty). */
export function peoplePageCount(people: number | undefined): number {
  return people === undefined ? 0 : Math.max(1, Math.ceil(people / PEOPLE_PER_PAGE));
}

const ROLE_LABEL: Record<StatementPerson["role"], string> = {
  treasurer: "Thủ quỹ / kế toán", approver: "Người duyệt", auditor: "Kiểm tra viên", admin: "Quản trị viên",
};

// ---------------------------------------------------------------------------------------
// Words

const AUDIENCE_LABEL: Record<Audience, string> = {
  public: "Bản công khai",
  auditor: "Bản dành cho kiểm toán",
};

const METHOD_LABEL: Array<[keyof StatementSummary["receivedByMethod"], string]> = [
  ["cash", "Tiền mặt"],
  ["bank", "Chuyển khoản"],
  ["in_kind", "Hiện vật"],
];

const PURPOSE_LABEL: Record<string, string> = {
  gift_package: "Quà (suất quà)",
  house_new: "Xây mới nhà Đại đoàn kết",
  house_repair: "Sửa chữa nhà Đại đoàn kết",
  livelihood: "Hỗ trợ sinh kế",
  schooling: "Hỗ trợ học tập",
  health: "Hỗ trợ y tế",
  relief_cash: "Cứu trợ",
  infrastructure: "Công trình",
  regular_support: "Trợ cấp thường xuyên",
  other: "Khác",
};

/** Categories always listed, in this order, even when nothing went to them. */
const CATEGORY_LABEL: Array<[string, string]> = [
  ["poor", "Hộ nghèo"],
  ["near_poor", "Hộ cận nghèo"],
  ["hardship", "Hộ có hoàn cảnh khó khăn"],
  ["policy_family", "Gia đình chính sách"],
  ["other", "Khác"],
];

/** The closing balance's split, in the order the cash book (sổ quỹ) and the bank book are kept. */
const ASSET_LABEL: Array<[keyof StatementTotals["closingByAsset"], string]> = [
  ["cash", "Tiền mặt (tồn quỹ tiền mặt)"],
  ["bank", "Tiền gửi ngân hàng"],
  ["goods", "Hiện vật (quy ra tiền)"],
];

/** A line's note when it moves money between campaigns (and when it reverses such a line). */
const TRANSFER_NOTE = "Điều chuyển";
const TRANSFER_REVERSAL_NOTE = "Đảo điều chuyển";

const SIGNERS: Array<{ title: string; hint: string }> = [
  { title: "Người lập", hint: "(Ký, họ tên)" },
  { title: "Kế toán", hint: "(Ký, họ tên)" },
  { title: "Thủ quỹ", hint: "(Ký, họ tên)" },
  { title: "Chủ tịch", hint: "(Ký, họ tên, đóng dấu)" },
];

const ELLIPSIS = "…";

// ---------------------------------------------------------------------------------------
// Colours

const INK = "#000000";
const MUTED = "#333333";
const GRID = "#8a96a3";
const RULE = "#c9d1d9";
const HEAD_FILL = "#e3e9f0";
const SPECIAL_FILL = "#f1f4f7";
const IN_COLOUR = "#2e7d32";
const OUT_COLOUR = "#c62828";

// ---------------------------------------------------------------------------------------
// Drawing helpers over pdfkit

type Align = "left" | "right" | "center";

/** The parts of pdfkit's EmbeddedFont (0.20) the text emitter uses. */
interface EmbeddedFontInternals extends PdfkitEmbeddedFont {
  id: string;
  ascender: number;
  layoutCache?: Record<string, unknown>;
  encode(text: string): [string[], Array<{ xAdvance: number; advanceWidth: number; xOffset: number; yOffset: number }>];
  widthOfString(text: string, size: number): number;
  ref(): unknown;
}

function clean(text: string): string {
  return text.normalize("NFC").replace(/\s+/g, " ").trim();
}

/**
 * Text compared for a name: no case or punctuation, words apart by one space. Diacritics stay: "Lê Văn Tư" and
 * "Lê Văn Tú" are two people, and a description naming one must not hide the other from the auditor.
 */
function fold(text: string): string {
  return text.normalize("NFC").toLocaleLowerCase("vi").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/** Whether text names who, as whole words (a one-word name of under four letters is too short to tell). */
function names(folded: string, who: string): boolean {
  const w = fold(who);
  return (w.includes(" ") || w.length >= 4) && folded.includes(` ${w} `);
}

/**
 * What of a counterparty a description does not already name: "" when it names all of it; the
 * household's area alone when it names the household ("Nguyễn Văn Tư (Khu phố 1)"); else all of it.
 */
function unnamed(description: string, party: string): string {
  const folded = ` ${fold(description)} `; // once a line
  if (names(folded, party)) return "";
  const m = /^(.*\S)\s*\(([^()]+)\)$/.exec(party);
  if (m && names(folded, m[1]!)) return names(folded, m[2]!) ? "" : m[2]!.trim();
  return party;
}

type GlyphPositions = ReturnType<EmbeddedFontInternals["encode"]>[1];

interface RunInfo {
  /** TJ operands: hex glyph strings and kerning adjustments. */
  tj: string;
  /** Advance in 1000ths of the font size. */
  width: number;
  /** Some glyph has an x/y offset: the run needs positioned output. */
  offsets: boolean;
}

/** Bound of the per-font run cache (entries); cleared when a page starts above it. */
const MAX_CACHED_RUNS = 20_000;

/** PDF number: at most 3 decimals, no exponent. */
function num(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return Object.is(r, -0) ? "0" : String(r);
}

function rgb(hex: string): string {
  const v = Number.parseInt(hex.slice(1), 16);
  return `${num(((v >> 16) & 255) / 255)} ${num(((v >> 8) & 255) / 255)} ${num((v & 255) / 255)} rg`;
}

/**
 * Drawing on a pdfkit document. Text is written as PDF text operators directly (the same
 * operators pdfkit's text() writes, without its per-call option handling, save/restore
 * and re-measuring): text of one row is batched into one BT … ET block. Shapes go through
 * pdfkit; pending text is flushed before any shape so the painting order is kept.
 */
class Canvas {
  private readonly regular: EmbeddedFontInternals;
  private readonly bold: EmbeddedFontInternals;
  private pending: string[] = [];
  private pendingTf = "";
  private pageHeight = 0;
  /** Per font: run text ("word " or "word") → its TJ piece and width. Bounded. */
  private readonly runs = new Map<EmbeddedFontInternals, Map<string, RunInfo>>();
  private recording: string[] | null = null;

  constructor(readonly doc: PDFKit.PDFDocument) {
    registerDejaVu(doc);
    const load = (name: string): EmbeddedFontInternals => {
      doc.font(name);
      const f = (doc as unknown as { _font: EmbeddedFontInternals })._font;
      for (const m of ["encode", "widthOfString", "ref"] as const) {
        if (typeof f[m] !== "function") throw new Error(`pdfkit internals changed: EmbeddedFont.${m} missing`);
      }
      if (typeof f.id !== "string" || typeof f.ascender !== "number") throw new Error("pdfkit internals changed: EmbeddedFont.id/ascender");
      installFastLayout(f);
      this.runs.set(f, new Map());
      return f;
    };
    this.regular = load(FONT_REGULAR);
    this.bold = load(FONT_BOLD);
  }

  /** At a new page: clear pdfkit's layout caches (see clearLayoutCache) and note the page size. */
  startPage(): void {
    this.pending = [];
    this.pendingTf = "";
    this.pageHeight = (this.doc as unknown as { page: { height: number } }).page.height;
    this.clearLayoutCache();
    // Both fonts are declared on every page (their resources are tiny), so recorded text
    // can be replayed without tracking which font it used.
    const page = (this.doc as unknown as { page: { fonts: Record<string, unknown> } }).page;
    for (const f of [this.regular, this.bold]) page.fonts[f.id] = f.ref();
  }

  /**
   * pdfkit keeps every laid-out word of every page in a per-font cache that is never
   * emptied (~0.13 MB a page for a ledger); it is dropped at each new page. The run cache
   * here is bounded by size instead: the words of a ledger repeat from page to page.
   */
  clearLayoutCache(): void {
    for (const f of [this.regular, this.bold]) {
      if (f.layoutCache !== undefined) f.layoutCache = Object.create(null) as Record<string, unknown>;
      const runs = this.runs.get(f);
      if (runs !== undefined && runs.size > MAX_CACHED_RUNS) runs.clear();
    }
  }

  private fontOf(bold: boolean): EmbeddedFontInternals {
    return bold ? this.bold : this.regular;
  }

  /**
   * One run (pdfkit splits text after each space and lays out each run on its own): its
   * TJ operands, with pdfkit's kerning adjustments, and its width in 1000ths of the size.
   */
  private run(f: EmbeddedFontInternals, text: string): RunInfo {
    const cache = this.runs.get(f) as Map<string, RunInfo>;
    let r = cache.get(text);
    if (r === undefined) {
      const [encoded, positions] = f.encode(text);
      let tj = "";
      let last = 0;
      let width = 0;
      let offsets = false;
      for (let i = 0; i < positions.length; i++) {
        const p = positions[i] as GlyphPositions[number];
        width += p.xAdvance;
        if (p.xOffset !== 0 || p.yOffset !== 0) offsets = true;
        const adj = p.xAdvance - p.advanceWidth;
        if (adj !== 0) {
          tj += `<${encoded.slice(last, i + 1).join("")}> ${num(-adj)} `;
          last = i + 1;
        }
      }
      if (last < encoded.length) tj += `<${encoded.slice(last).join("")}>`;
      r = { tj: tj.trimEnd(), width, offsets };
      cache.set(text, r);
    }
    return r;
  }

  /** The runs of a text, as pdfkit splits it (after each space or tab). */
  private runsOf(f: EmbeddedFontInternals, text: string): RunInfo[] {
    const out: RunInfo[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 32 || ch === 9) {
        out.push(this.run(f, text.slice(start, i + 1)));
        start = i + 1;
      }
    }
    if (start < text.length) out.push(this.run(f, text.slice(start)));
    return out;
  }

  /** Width in points, as pdfkit measures it. */
  width(text: string, size: number, bold = false): number {
    return (this.unitWidth(this.fontOf(bold), text) * size) / 1000;
  }

  private unitWidth(f: EmbeddedFontInternals, text: string): number {
    let w = 0;
    for (const r of this.runsOf(f, text)) w += r.width;
    return w;
  }

  /** One line of text, top at y, aligned within [x, x + width]. */
  text(text: string, x: number, y: number, size: number, opts: { bold?: boolean; width?: number; align?: Align; color?: string } = {}): void {
    if (text === "") return;
    const f = this.fontOf(opts.bold ?? false);
    const runs = this.runsOf(f, text);
    let left = x;
    if (opts.width !== undefined && opts.align !== undefined && opts.align !== "left") {
      let w = 0;
      for (const r of runs) w += r.width;
      w = (w * size) / 1000;
      left = opts.align === "right" ? x + opts.width - w : x + (opts.width - w) / 2;
    }
    this.emit(f, size, text, runs, left, y, opts.color);
  }

  /**
   * A figure or a number that must stay exact and whole on one line (an amount, a voucher number): shrunk to
   * fit its cell, never cut, never wrapped, however long.
   */
  figure(text: string, x: number, y: number, width: number, size: number, bold = false, align: Align = "right"): void {
    if (text === "") return;
    const f = this.fontOf(bold);
    const runs = this.runsOf(f, text);
    let w1000 = 0;
    for (const r of runs) w1000 += r.width;
    const w = (w1000 * size) / 1000;
    const s = w <= width ? size : (size * width) / w;
    const ws = (w1000 * s) / 1000;
    const left = align === "right" ? x + width - ws : align === "center" ? x + (width - ws) / 2 : x;
    this.emit(f, s, text, runs, left, y);
  }

  /** The text operators pdfkit's _fragment writes for plain text, top-left at (x, y). */
  private emit(f: EmbeddedFontInternals, size: number, text: string, runs: RunInfo[], x: number, y: number, color?: string): void {
    if (runs.length === 0) return;
    const by = this.pageHeight - y - (f.ascender / 1000) * size;
    const out = this.recording ?? this.pending;
    const tf = `/${f.id} ${num(size)} Tf`;
    if (tf !== this.pendingTf) {
      out.push(tf);
      this.pendingTf = tf;
    }
    if (color !== undefined) out.push(rgb(color));
    out.push(`1 0 0 1 ${num(x)} ${num(by)} Tm`);
    if (runs.some((r) => r.offsets)) {
      this.emitPositioned(f, size, text, x, by, out);
    } else {
      let tj = "";
      for (const r of runs) tj += tj === "" ? r.tj : ` ${r.tj}`;
      out.push(`[${tj}] TJ`);
    }
    if (color !== undefined) out.push("0 g");
  }

  /** Text with glyphs the shaper placed (offsets, e.g. combining marks): as pdfkit does it. */
  private emitPositioned(f: EmbeddedFontInternals, size: number, text: string, x: number, by: number, out: string[]): void {
    const [encoded, positions] = f.encode(text);
    const scale = size / 1000;
    let tj = "";
    let last = 0;
    let cx = x;
    let moved = false;
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i] as GlyphPositions[number];
      if (p.xOffset !== 0 || p.yOffset !== 0) {
        if (last < i) tj += `<${encoded.slice(last, i).join("")}> `;
        if (tj !== "") out.push(`[${tj}] TJ`);
        out.push(`1 0 0 1 ${num(cx + p.xOffset * scale)} ${num(by + p.yOffset * scale)} Tm`);
        out.push(`[<${encoded[i] ?? ""}>] TJ`);
        tj = "";
        last = i + 1;
        moved = true;
      } else {
        if (moved) {
          out.push(`1 0 0 1 ${num(cx)} ${num(by)} Tm`);
          moved = false;
        }
        const adj = p.xAdvance - p.advanceWidth;
        if (adj !== 0) {
          tj += `<${encoded.slice(last, i + 1).join("")}> ${num(-adj)} `;
          last = i + 1;
        }
      }
      cx += p.xAdvance * scale;
    }
    if (last < positions.length) tj += `<${encoded.slice(last).join("")}>`;
    if (tj !== "") out.push(`[${tj}] TJ`);
  }

  /** Writes the batched text; called before any shape and at the end of a page. */
  flushText(): void {
    if (this.pending.length === 0) return;
    this.doc.addContent(`q 1 0 0 -1 0 ${num(this.pageHeight)} cm BT 0 g\n${this.pending.join("\n")}\nET Q`);
    this.pending = [];
    this.pendingTf = "";
  }

  /**
   * Text that is the same on many pages (running heading, column captions, footer) is laid
   * out once: the first call records the text operators draw() produces, later calls
   * replay them. draw() must only write text (shapes are drawn outside).
   */
  replay(cache: Map<string, string[]>, key: string, draw: () => void): void {
    let ops = cache.get(key);
    if (ops === undefined) {
      this.recording = [];
      this.pendingTf = "";
      try {
        draw();
        ops = this.recording;
      } finally {
        this.recording = null;
      }
      cache.set(key, ops);
    }
    for (const op of ops) this.pending.push(op);
    this.pendingTf = "";
  }

  /** Text cut to one line with an ellipsis. */
  fitLine(text: string, width: number, size: number, bold = false): string {
    return this.wrap(text, width, 1, size, bold)[0] ?? "";
  }

  /**
   * Greedy word wrap into at most maxLines lines of the given width; a word wider than
   * a line is cut by characters; text that does not fit ends with "…".
   */
  wrap(text: string, width: number, maxLines: number, size: number, bold = false): string[] {
    const words = clean(text).split(" ").filter((w) => w !== "");
    return this.wrapTokens(words, new Array<number>(maxLines).fill(width), size, bold).lines;
  }

  /**
   * Greedy wrap of tokens (a token may hold spaces: it is never broken unless it is wider
   * than a line) into widths.length lines, line i at most widths[i] wide.
   *
   * Widths are summed per token the way pdfkit measures a string (runs split after each
   * space): width("t1 t2 … tn") = Σ width("ti ") for i < n, + width("tn").
   */
  wrapTokens(input: string[], widths: number[], size: number, bold = false): { lines: string[]; truncated: boolean } {
    const tokens = [...input];
    const f = this.fontOf(bold);
    const lines: string[] = [];
    let current = "";
    let currentTrail = 0; // width of current + " "
    let truncated = false;
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i] as string;
      const lineWidth = widths[Math.min(lines.length, widths.length - 1)] ?? 0;
      if (currentTrail + (this.unitWidth(f, token) * size) / 1000 <= lineWidth) {
        current = current === "" ? token : `${current} ${token}`;
        currentTrail += (this.unitWidth(f, `${token} `) * size) / 1000;
        i++;
        continue;
      }
      if (current === "") {
        // one token wider than the line: cut it by characters
        const chars = Array.from(token);
        let n = 1;
        while (n < chars.length && (this.unitWidth(f, chars.slice(0, n + 1).join("")) * size) / 1000 <= lineWidth) n++;
        current = chars.slice(0, n).join("");
        tokens[i] = chars.slice(n).join("").trimStart();
        if (tokens[i] === "") i++;
      }
      if (lines.length + 1 >= widths.length) {
        truncated = i < tokens.length;
        break;
      }
      lines.push(current);
      current = "";
      currentTrail = 0;
    }
    if (truncated) {
      const lineWidth = widths[Math.min(lines.length, widths.length - 1)] ?? 0;
      const chars = Array.from(current);
      while (chars.length > 0 && (this.unitWidth(f, chars.join("").trimEnd() + ELLIPSIS) * size) / 1000 > lineWidth) chars.pop();
      lines.push(chars.join("").trimEnd() + ELLIPSIS);
    } else if (current !== "") {
      lines.push(current);
    }
    return { lines, truncated };
  }

  /**
   * Description and counterparty in two lines. The counterparty (donor or household) is
   * kept whole when it fits a line; when everything does not fit, the description is cut
   * ("…") rather than the counterparty, which auditors look for. A counterparty the
   * description already names ("Nhận ủng hộ tiền mặt của Nguyễn Văn An") is shown once:
   * the description alone, unless cutting it would lose the name.
   */
  describe(description: string, party: string, width: number, size: number): string[] {
    const words = clean(description).split(" ").filter((w) => w !== "");
    let p = clean(party);
    if (p === "") return this.wrapTokens(words, [width, width], size).lines;
    const rest = unnamed(description, p);
    if (rest === "") {
      const alone = this.wrapTokens(words, [width, width], size);
      if (!alone.truncated || names(` ${fold(alone.lines.join(" "))} `, p)) return alone.lines;
    } else {
      p = rest;
    }
    const partyTokens = this.width(p, size) <= width ? [p] : p.split(" ");
    const all = this.wrapTokens([...words, "–", ...partyTokens], [width, width], size);
    if (!all.truncated) return all.lines;
    const tail = `– ${p}`;
    const tailW = this.width(` ${tail}`, size);
    if (tailW > width * 0.6) return this.describeLongParty(words, partyTokens, width, size) ?? all.lines;
    const head = this.wrapTokens(words, [width, width - tailW], size);
    const lines = [...head.lines];
    const last = lines.length - 1;
    if (last < 0) return [tail];
    const joined = `${lines[last]} ${tail}`;
    if (this.width(joined, size) <= width) lines[last] = joined;
    else lines.push(tail);
    return lines.slice(0, 2);
  }

  /**
   * A counterparty too long to share a line (a transfer's other campaign and resolution): it ends the second
   * line and, when it needs more, the first, after the description cut to what is left; null when it alone
   * needs more than both lines.
   */
  private describeLongParty(words: string[], partyTokens: string[], width: number, size: number): string[] | null {
    const tail = ["–", ...partyTokens];
    let k = tail.length; // tail[k…] is the second line
    while (k > 0 && this.width(tail.slice(k - 1).join(" "), size) <= width) k--;
    const second = tail.slice(k).join(" ");
    const rest = tail.slice(0, k).join(" "); // the counterparty's start, at the end of the first line
    const restW = rest === "" ? 0 : this.width(` ${rest}`, size);
    if (second === "" || restW > width * 0.8) return null;
    const head = this.wrapTokens(words, [width - restW], size).lines[0] ?? "";
    return [head === "" ? rest : rest === "" ? head : `${head} ${rest}`, second];
  }

  fillRect(x: number, y: number, w: number, h: number, colour: string): void {
    this.flushText();
    this.doc.rect(x, y, w, h).fill(colour);
    this.doc.fillColor(INK);
  }

  strokeRect(x: number, y: number, w: number, h: number, colour: string, lineWidth: number): void {
    this.flushText();
    this.doc.lineWidth(lineWidth).rect(x, y, w, h).stroke(colour);
  }

  /** Horizontal segments [x1, x2] at each y, one path. */
  hlines(ys: number[], x1: number, x2: number, colour: string, lineWidth: number): void {
    if (ys.length === 0) return;
    this.flushText();
    this.doc.lineWidth(lineWidth);
    for (const y of ys) this.doc.moveTo(x1, y).lineTo(x2, y);
    this.doc.stroke(colour);
  }

  /** Vertical segments [y1, y2] at each x, one path. */
  vlines(xs: number[], y1: number, y2: number, colour: string, lineWidth: number): void {
    if (xs.length === 0) return;
    this.flushText();
    this.doc.lineWidth(lineWidth);
    for (const x of xs) this.doc.moveTo(x, y1).lineTo(x, y2);
    this.doc.stroke(colour);
  }

  /** Filled rectangles in one path (chart bars). */
  bars(rects: Array<[number, number, number, number]>, colour: string): void {
    if (rects.length === 0) return;
    this.flushText();
    for (const [x, y, w, h] of rects) this.doc.rect(x, y, w, h);
    this.doc.fill(colour);
    this.doc.fillColor(INK);
  }
}

// ---------------------------------------------------------------------------------------
// Output plumbing: write pdfkit's chunks to `out`, honouring back-pressure between pages.

class Sink {
  failure: Error | null = null;
  private needDrain = false;
  private waiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private readonly onDrain = (): void => {
    this.needDrain = false;
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  };
  private readonly onError = (e: unknown): void => this.fail(e instanceof Error ? e : new Error(String(e)));
  private readonly onClose = (): void => {
    if (!this.finished) this.fail(new Error("the output stream closed before the PDF was complete"));
  };
  private finished = false;

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on("drain", this.onDrain);
    out.on("error", this.onError);
    out.on("close", this.onClose);
  }

  fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }

  write(chunk: Uint8Array): void {
    if (this.failure !== null) return;
    if (!this.out.write(chunk)) this.needDrain = true;
  }

  /** Between pages: wait while `out` is full, and let I/O run now and then. */
  async flow(pageNo: number): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.needDrain) {
      await new Promise<void>((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    } else if (pageNo % 16 === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.failure !== null) throw this.failure;
  }

  async end(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.waiter = { resolve: () => undefined, reject };
      this.out.end(() => {
        this.finished = true;
        resolve();
      });
    });
    this.detach();
  }

  detach(): void {
    this.out.removeListener("drain", this.onDrain);
    this.out.removeListener("error", this.onError);
    this.out.removeListener("close", this.onClose);
  }

  /**
   * Abandons `out` after a failure: destroyed without an error (an 'error' event nobody
   * listens to would crash the process); the caller gets the error from the promise.
   */
  destroy(): void {
    this.detach();
    const d = (this.out as unknown as { destroy?: () => void }).destroy;
    if (typeof d === "function") d.call(this.out);
  }
}

// ---------------------------------------------------------------------------------------
// The renderer

interface Running {
  inDong: bigint;
  outDong: bigint;
  balance: bigint;
}

class StatementPdf {
  readonly pages: number;
  pageNo = 0;
  private readonly c: Canvas;
  private readonly period: string;
  private readonly audience: string;
  /** Recorded text of what repeats on every page (see Canvas.replay). */
  private readonly furniture = new Map<string, string[]>();

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly input: PdfStatementInput,
  ) {
    this.c = new Canvas(doc);
    this.pages = statementPageCount(input.lineCount, input.people?.length);
    this.period = periodVi(input.header.from, input.header.to);
    this.audience = AUDIENCE_LABEL[input.header.audience] ?? String(input.header.audience);
  }

  /** Writes what is pending on the last page. */
  finish(): void {
    this.c.flushText();
  }

  newPage(): void {
    this.c.flushText();
    this.doc.addPage();
    this.pageNo++;
    this.c.startPage();
    this.footer();
  }

  private footer(): void {
    const { c } = this;
    const { header, digest } = this.input;
    c.hlines([FOOTER_RULE_Y], X0, X1, GRID, 0.4);
    c.replay(this.furniture, "footer", () => {
      const pos = `Vị trí sổ cái: số thứ tự ${header.position.seq}, hash ${header.position.hash.slice(0, 16)}${ELLIPSIS}`;
      c.text(pos, X0, FOOTER_RULE_Y + 4, 6.5, { color: MUTED });
      const middle = c.fitLine(`${this.audience} – ${header.campaign.code}`, 250, 6.5);
      c.text(middle, X0 + 280, FOOTER_RULE_Y + 4, 6.5, { width: 226, align: "center", color: MUTED });
      c.text(`Mã kiểm tra SHA-256 của sao kê (tệp CSV): ${digest}`, X0, FOOTER_RULE_Y + 14, 6, { color: MUTED });
    });
    c.text(`Trang ${this.pageNo}/${this.pages}`, X1 - 150, FOOTER_RULE_Y + 3.5, 7.5, { bold: true, width: 150, align: "right" });
  }

  // --- ledger -------------------------------------------------------------------------

  /** The heading of page 1; returns the table top. */
  private firstHeading(): number {
    const { c } = this;
    const { header } = this.input;
    // committee, top left
    let name = clean(header.committee.name);
    if (!/^(ủy|uỷ) ban|mặt trận|mttq/i.test(name)) name = `Ủy ban MTTQ Việt Nam ${name}`;
    const block = committeeBlock(c, name.toLocaleUpperCase("vi"));
    let y = block.top;
    for (const l of block.lines) {
      c.text(l, X0, y, block.size, { bold: true, width: block.width, align: "center" });
      y += block.step;
    }
    const mid = X0 + block.width / 2;
    c.hlines([y + 2], mid - 40, mid + 40, INK, 0.5);
    c.text(`Mã đơn vị: ${header.committee.code}`, X0, y + 5, 7, { width: block.width, align: "center", color: MUTED });
    // audience and campaign facts, top right
    c.text(this.audience, X1 - 300, 24, 9, { bold: true, width: 300, align: "right" });
    c.text(c.fitLine(`Mã cuộc vận động: ${header.campaign.code}`, 300, 7), X1 - 300, 37, 7, { width: 300, align: "right" });
    if (header.campaign.targetDong !== null) {
      c.text(`Mục tiêu vận động: ${formatDong(header.campaign.targetDong)} đồng`, X1 - 300, 47, 7, { width: 300, align: "right" });
    }
    // title
    c.text("SỔ THU CHI QUỸ", X0, 60, 15, { bold: true, width: TABLE_W, align: "center" });
    const campaign = c.fitLine(header.campaign.name, 600, 10, true);
    c.text(campaign, X0, 80, 10, { bold: true, width: TABLE_W, align: "center" });
    c.text(this.period, X0, 95, 8, { width: TABLE_W, align: "center" });
    c.text("Đơn vị tính: đồng", X1 - 150, 106, 7, { width: 150, align: "right" });
    return FIRST_TABLE_TOP;
  }

  /** The running heading of later ledger pages; returns the table top. */
  private nextHeading(): number {
    const { c } = this;
    c.replay(this.furniture, "next-heading", () => {
      const title = c.fitLine(`SỔ THU CHI QUỸ – ${this.input.header.campaign.name} (tiếp theo)`, 500, 8, true);
      c.text(title, X0, 25, 8, { bold: true });
      c.text(`${this.period} · Đơn vị tính: đồng`, X1 - 280, 26, 7, { width: 280, align: "right" });
    });
    return NEXT_TABLE_TOP;
  }

  private tableHeader(top: number): number {
    const { c } = this;
    c.fillRect(X0, top, TABLE_W, HEADER_H, HEAD_FILL);
    c.replay(this.furniture, `captions@${top}`, () => {
      for (const col of COLUMNS) {
        const lines = col.title;
        const size = 6.5;
        const step = 7.6;
        const y0 = top + (HEADER_H - lines.length * step) / 2 + 0.3;
        lines.forEach((l, i) => {
          c.text(c.fitLine(l, col.width - 2 * CELL_PAD, size, true), col.x, y0 + i * step, size, {
            bold: true,
            width: col.width,
            align: "center",
          });
        });
      }
    });
    return top + HEADER_H;
  }

  private specialRow(y: number, label: string, v: { inDong?: bigint; outDong?: bigint; balance?: bigint }, rules: number[], bold = true): number {
    const { c } = this;
    c.fillRect(X0, y, TABLE_W, SPECIAL_H, SPECIAL_FILL);
    const ty = y + 3;
    c.text(label, COL.description.x + CELL_PAD, ty, ROW_FONT, { bold });
    const put = (col: Column, value: bigint | undefined): void => {
      if (value === undefined) return;
      c.figure(formatDong(value), col.x + CELL_PAD, ty, col.width - 2 * CELL_PAD, ROW_FONT, bold);
    };
    put(COL.in, v.inDong);
    put(COL.out, v.outDong);
    put(COL.balance, v.balance);
    rules.push(y + SPECIAL_H);
    return y + SPECIAL_H;
  }

  private line(y: number, l: StatementLine): void {
    const { c } = this;
    const y1 = y + ROW_PAD_TOP;
    const y2 = y1 + ROW_LINE_STEP;
    const inner = (col: Column): number => col.width - 2 * CELL_PAD;
    c.text(formatDateVi(l.recordedDate), COL.recorded.x, y1, ROW_FONT, { width: COL.recorded.width, align: "center" });
    c.text(formatDateVi(l.documentDate), COL.document.x, y1, ROW_FONT, { width: COL.document.width, align: "center" });
    // A voucher number is one word an auditor reads against the voucher book: never wrapped, shrunk when long.
    if (l.voucherNo !== null && l.voucherNo !== "") c.figure(clean(l.voucherNo), COL.voucher.x + CELL_PAD, y1, inner(COL.voucher), ROW_FONT, false, "left");
    const party = l.transfer ? transferParty(l) : l.counterparty;
    const d = c.describe(l.description, party, inner(COL.description), ROW_FONT);
    d.forEach((t, i) => c.text(t, COL.description.x + CELL_PAD, i === 0 ? y1 : y2, ROW_FONT));
    if (l.quantity !== null && l.quantity !== "") {
      let q: string;
      try {
        q = formatDecimalVi(l.quantity);
      } catch {
        q = l.quantity;
      }
      if (l.unit !== null && clean(l.unit) !== "") q += ` ${clean(l.unit)}`;
      c.figure(q, COL.quantity.x + CELL_PAD, y1, inner(COL.quantity), ROW_FONT);
    }
    if (l.inDong !== 0n) c.figure(formatDong(l.inDong), COL.in.x + CELL_PAD, y1, inner(COL.in), ROW_FONT);
    if (l.outDong !== 0n) c.figure(formatDong(l.outDong), COL.out.x + CELL_PAD, y1, inner(COL.out), ROW_FONT);
    c.figure(formatDong(l.balanceDong), COL.balance.x + CELL_PAD, y1, inner(COL.balance), ROW_FONT);
    const notes: string[] = [];
    if (l.transfer) notes.push(l.kind === "reversal" ? TRANSFER_REVERSAL_NOTE : TRANSFER_NOTE);
    else if (l.kind === "reversal") notes.push("Bút toán đảo");
    if (l.verified === true) notes.push("Đã xác minh");
    else if (l.verified === false) notes.push("Chưa xác minh");
    notes.slice(0, 2).forEach((t, i) => c.text(c.fitLine(t, inner(COL.note), 6.5), COL.note.x + CELL_PAD, i === 0 ? y1 : y2, 6.5));
    c.text(String(l.seq), COL.seq.x + CELL_PAD, y1, ROW_FONT);
    c.text(l.hash.slice(0, 8), COL.seq.x + CELL_PAD, y2, ROW_FONT, { color: MUTED });
  }

  private wordsRow(y: number, closing: bigint): number {
    const { c } = this;
    c.fillRect(X0, y, TABLE_W, WORDS_H, SPECIAL_FILL);
    const lines = c.wrap(`Bằng chữ: ${this.inWords(closing)}`, TABLE_W - 2 * CELL_PAD - 4, 2, 7.5, true);
    const y0 = lines.length === 1 ? y + 6.5 : y + 2.5;
    lines.forEach((t, i) => c.text(t, X0 + CELL_PAD + 2, y0 + i * 9, 7.5, { bold: true }));
    return y + WORDS_H;
  }

  /** The amount in the committee's words. */
  private inWords(amount: bigint): string {
    return amountInWords(amount, this.input.words ?? DEFAULT_WORD_VARIANTS);
  }

  /** The closing balance by asset, each in figures in the balance column: "Trong đó – Tiền mặt …". */
  private assetRows(y: number, rules: number[]): number {
    const split = this.input.totals.closingByAsset;
    ASSET_LABEL.forEach(([key, label], i) => {
      y = this.specialRow(y, `${i === 0 ? "Trong đó – " : "– "}${label}`, { balance: split[key] }, rules, false);
    });
    return y;
  }

  /** Grid of a ledger page: row rules, column rules (down to gridBottom, and over the rows from [from, to] of more), outer frame. */
  private grid(top: number, rules: number[], gridBottom: number, bottom: number, more?: [number, number]): void {
    const { c } = this;
    c.hlines(rules, X0, X1, RULE, 0.35);
    c.vlines(COLUMNS.slice(1).map((col) => col.x), top, gridBottom, GRID, 0.4);
    if (more) c.vlines(COLUMNS.slice(1).map((col) => col.x), more[0], more[1], GRID, 0.4);
    c.hlines([top + HEADER_H], X0, X1, GRID, 0.6);
    c.strokeRect(X0, top, TABLE_W, bottom - top, INK, 0.7);
  }

  async ledger(sink: Sink): Promise<void> {
    const { header, totals, lineCount } = this.input;
    const iterator = this.input.lines[Symbol.asyncIterator]();
    let iteratorDone = false;
    const run: Running = { inDong: 0n, outDong: 0n, balance: header.openingDong };
    const moved = { inDong: 0n, outDong: 0n };
    let lastSeq = -Infinity;
    let remaining = lineCount;
    let read = 0;
    try {
      for (let first = true; ; first = false) {
        this.newPage();
        const top = first ? this.firstHeading() : this.nextHeading();
        let y = this.tableHeader(top);
        const rules: number[] = [];
        y = first
          ? this.specialRow(y, "Số dư đầu kỳ", { balance: header.openingDong }, rules)
          : this.specialRow(y, "Số mang sang", { inDong: run.inDong, outDong: run.outDong, balance: run.balance }, rules);
        const { take, last } = linesOnPage(first, remaining);
        let pageIn = 0n;
        let pageOut = 0n;
        for (let k = 0; k < take; k++) {
          const next = await iterator.next();
          if (next.done === true) {
            iteratorDone = true;
            throw new Error(`statement PDF: the lines ended after ${read} of the promised ${lineCount}`);
          }
          const l = next.value;
          read++;
          if (!(l.seq > lastSeq)) throw new Error(`statement PDF: line seq ${l.seq} is not after seq ${lastSeq}`);
          lastSeq = l.seq;
          if (l.inDong < 0n || l.outDong < 0n) throw new Error(`statement PDF: line seq ${l.seq} has a negative in/out amount`);
          const expected = run.balance + l.inDong - l.outDong;
          if (l.balanceDong !== expected) {
            throw new Error(`statement PDF: line seq ${l.seq} balance ${l.balanceDong} ≠ previous ${run.balance} + in ${l.inDong} − out ${l.outDong}`);
          }
          run.balance = expected;
          run.inDong += l.inDong;
          run.outDong += l.outDong;
          pageIn += l.inDong;
          pageOut += l.outDong;
          if (l.transfer) {
            moved.inDong += l.inDong;
            moved.outDong += l.outDong;
          }
          this.line(y, l);
          y += ROW_H;
          rules.push(y);
        }
        remaining -= take;
        y = this.specialRow(y, "Cộng trang", { inDong: pageIn, outDong: pageOut }, rules);
        if (last) {
          y = this.specialRow(y, "Cộng phát sinh", { inDong: run.inDong, outDong: run.outDong }, rules);
          y = this.specialRow(y, "Số dư cuối kỳ", { balance: run.balance }, rules);
          const gridBottom = y;
          y = this.wordsRow(y, totals.closingDong);
          rules.push(y);
          const splitTop = y;
          y = this.assetRows(y, rules);
          this.grid(top, rules, gridBottom, y, [splitTop, y]);
          break;
        }
        y = this.specialRow(y, "Mang sang trang sau", { inDong: run.inDong, outDong: run.outDong, balance: run.balance }, rules);
        this.grid(top, rules, y, y);
        await sink.flow(this.pageNo);
      }
      const extra = await iterator.next();
      if (extra.done !== true) throw new Error(`statement PDF: more lines than the promised ${lineCount}`);
      iteratorDone = true;
    } finally {
      if (!iteratorDone) await iterator.return?.();
    }
    if (run.inDong !== totals.inDong || run.outDong !== totals.outDong || run.balance !== totals.closingDong) {
      throw new Error(
        `statement PDF: lines add up to in ${run.inDong}, out ${run.outDong}, closing ${run.balance}; ` +
          `totals say in ${totals.inDong}, out ${totals.outDong}, closing ${totals.closingDong}`,
      );
    }
    const t = this.input.summary.transfers;
    if (moved.inDong !== t.inDong || moved.outDong !== t.outDong) {
      throw new Error(`statement PDF: lines between campaigns add up to in ${moved.inDong}, out ${moved.outDong}; the summary says in ${t.inDong}, out ${t.outDong}`);
    }
  }

  // --- summary page -------------------------------------------------------------------

  private summaryTable(
    x: number,
    y: number,
    title: string,
    head: [string, string, string],
    rows: Array<{ label: string; count: string; amount: bigint | null }>,
    total: { count: string; amount: bigint } | null,
  ): number {
    const { c } = this;
    const w = [138, 44, 68] as const;
    const width = w[0] + w[1] + w[2];
    const rowH = 12;
    c.text(title, x, y, 8, { bold: true });
    y += 14;
    const top = y;
    c.fillRect(x, y, width, rowH, HEAD_FILL);
    const cols = [x, x + w[0], x + w[0] + w[1]];
    head.forEach((h, i) => c.text(c.fitLine(h, (w[i] ?? 0) - 4, 6.5, true), cols[i] ?? x, y + 3, 6.5, { bold: true, width: w[i], align: "center" }));
    y += rowH;
    const rules: number[] = [y];
    const put = (label: string, count: string, amount: bigint | null, bold: boolean): void => {
      c.text(c.fitLine(label, w[0] - 6, 7, bold), x + 3, y + 2.5, 7, { bold });
      c.figure(count, x + w[0] + 3, y + 2.5, w[1] - 6, 7, bold);
      if (amount !== null) c.figure(formatDong(amount), x + w[0] + w[1] + 3, y + 2.5, w[2] - 6, 7, bold);
      y += rowH;
      rules.push(y);
    };
    for (const r of rows) put(r.label, r.count, r.amount, false);
    if (total !== null) {
      c.fillRect(x, y, width, rowH, SPECIAL_FILL);
      put("Cộng", total.count, total.amount, true);
    }
    c.hlines(rules.slice(0, -1), x, x + width, RULE, 0.35);
    c.vlines([cols[1] ?? x, cols[2] ?? x], top, y, GRID, 0.4);
    c.strokeRect(x, top, width, y - top, INK, 0.6);
    return y;
  }

  /** The committee's people, PEOPLE_PER_PAGE a page: id, name, role, from, until. */
  peoplePages(): void {
    const people = this.input.people;
    if (people === undefined) return;
    const count = peoplePageCount(people.length);
    for (let page = 0; page < count; page++) {
      this.newPage();
      const { c } = this;
      c.text("NGƯỜI CÓ QUYỀN GHI SỔ, DUYỆT HOẶC QUẢN TRỊ", X0, 24, 12, { bold: true, width: TABLE_W, align: "center" });
      c.text(`Mọi người của ủy ban từng có khóa truy cập, theo thứ tự tạo (trang ${page + 1}/${count}). Mã số trùng với mã trong điểm kiểm tra đã ký.`,
        X0, 40, 8, { width: TABLE_W, align: "center" });
      this.peopleTable(people.slice(page * PEOPLE_PER_PAGE, (page + 1) * PEOPLE_PER_PAGE), 60);
    }
  }

  private peopleTable(rows: StatementPerson[], top: number): void {
    const { c } = this;
    const cols = [{ w: 60, t: "Mã số" }, { w: 330, t: "Họ tên / tên khóa" }, { w: 130, t: "Vai trò" }, { w: 133, t: "Bắt đầu" }, { w: 133, t: "Thôi" }];
    const xs = cols.reduce<number[]>((a, col, i) => [...a, (a[i] ?? X0) + col.w], [X0]);
    c.fillRect(X0, top, TABLE_W, PEOPLE_ROW_H, HEAD_FILL);
    cols.forEach((col, i) => c.text(col.t, xs[i]!, top + 3, 6.5, { bold: true, width: col.w, align: "center" }));
    let y = top + PEOPLE_ROW_H;
    const rules: number[] = [y];
    // The day in Vietnam (UTC+7, no daylight saving), as every other date of the statement.
    const day = (iso: string | null) => (iso === null ? "" : formatDateVi(new Date(Date.parse(iso) + 7 * 3_600_000).toISOString().slice(0, 10)));
    for (const p of rows) {
      const cells = [String(p.id), p.name, ROLE_LABEL[p.role] ?? p.role, day(p.createdAt), day(p.disabledAt)];
      cells.forEach((v, i) => c.text(c.fitLine(clean(v), cols[i]!.w - 6, 7), xs[i]! + 3, y + 2.5, 7));
      y += PEOPLE_ROW_H;
      rules.push(y);
    }
    c.hlines(rules.slice(0, -1), X0, X1, RULE, 0.35);
    c.vlines(xs.slice(1, -1), top, y, GRID, 0.4);
    c.strokeRect(X0, top, TABLE_W, y - top, INK, 0.6);
  }

  summaryPage(): void {
    this.newPage();
    const { c } = this;
    const { header, summary, totals } = this.input;
    c.text("TỔNG HỢP THU CHI", X0, 24, 12, { bold: true, width: TABLE_W, align: "center" });
    c.text(c.fitLine(`${header.campaign.name} – ${this.period}`, 700, 8), X0, 40, 8, { width: TABLE_W, align: "center" });
    const recap =
      `Số dư đầu kỳ: ${formatDong(header.openingDong)} · Tổng thu: ${formatDong(totals.inDong)} · ` +
      `Tổng chi: ${formatDong(totals.outDong)} · Số dư cuối kỳ: ${formatDong(totals.closingDong)} (đồng)`;
    c.text(c.fitLine(recap, 760, 7.5), X0, 51, 7.5, { width: TABLE_W, align: "center" });

    const colX = [X0, X0 + 268, X0 + 536] as const;
    const top = 66;
    const count = (n: number): string => formatDong(BigInt(n));

    // 1. received by method
    const m = summary.receivedByMethod;
    let y = this.summaryTable(
      colX[0], top, "1. Đã nhận theo hình thức", ["Hình thức", "", "Số tiền (đồng)"],
      METHOD_LABEL.map(([k, label]) => ({ label, count: "", amount: m[k] })),
      { count: "", amount: m.cash + m.bank + m.in_kind },
    );
    // 3. disbursed by beneficiary category: the five categories always, then any other key
    const byCat = new Map(summary.disbursedByCategory.map((r) => [r.key, r]));
    const catRows = CATEGORY_LABEL.map(([k, label]) => {
      const r = byCat.get(k);
      byCat.delete(k);
      return { label, count: count(r?.count ?? 0), amount: r?.amountDong ?? 0n };
    });
    const extraCats = [...byCat.values()].map((r) => ({ label: r.key === "" ? "(không ghi)" : r.key, count: count(r.count), amount: r.amountDong }));
    const cats = capRows([...catRows, ...extraCats], 7);
    this.summaryTable(
      colX[0], y + 12, "3. Đã chi theo đối tượng", ["Đối tượng", "Số lượt", "Số tiền (đồng)"],
      cats,
      sumRows(summary.disbursedByCategory),
    );

    // 2. disbursed by purpose; 5. quantities by unit
    const purposes = capRows(
      summary.disbursedByPurpose.map((r) => ({ label: PURPOSE_LABEL[r.key] ?? (r.key === "" ? "(không ghi)" : r.key), count: count(r.count), amount: r.amountDong })),
      9,
    );
    y = this.summaryTable(
      colX[1], top, "2. Đã chi theo mục đích", ["Mục đích", "Số lượt", "Số tiền (đồng)"],
      purposes,
      sumRows(summary.disbursedByPurpose),
    );
    const quantities = capRows(
      summary.quantitiesByUnit.map((q) => ({
        label: q.direction === "in" ? "Đã nhận" : "Đã trao (chi)",
        count: `${safeDecimal(q.quantity)} ${q.unit}`.trim(),
        amount: q.valueDong,
      })),
      7,
      false,
    );
    this.summaryTable(colX[1], y + 12, "5. Hiện vật, suất quà theo đơn vị tính", ["", "Số lượng", "Giá trị (đồng)"], quantities, null);

    // 4. disbursed by area
    const areas = capRows(
      summary.disbursedByArea.map((r) => ({ label: r.key === "" ? "(không ghi khu vực)" : r.key, count: count(r.count), amount: r.amountDong })),
      18,
    );
    this.summaryTable(colX[2], top, "4. Đã chi theo khu vực (khu phố, ấp)", ["Khu vực", "Số lượt", "Số tiền (đồng)"], areas, sumRows(summary.disbursedByArea));

    // 6. chart, beside 7. transfers between campaigns
    this.chart(X0, 344, colX[2] - X0 - 16, CONTENT_BOTTOM - 344, summary.byMonth);
    this.transfersTable(colX[2], 334, X1 - colX[2], summary.transfers);
  }

  /**
   * 7. Money moved from and to other campaigns: the two totals, which a reader can check against the lines
   * marked "Điều chuyển", then each other campaign and resolution: the campaign's code and name, the
   * resolution, what came in and what went out.
   */
  private transfersTable(x: number, y: number, width: number, t: StatementSummary["transfers"]): void {
    const { c } = this;
    c.text("7. Điều chuyển giữa các cuộc vận động", x, y, 8, { bold: true });
    y += 13;
    if (t.rows.length === 0) {
      c.text(c.fitLine("Không có khoản điều chuyển nào trong kỳ.", width, 7), x, y, 7, { color: MUTED });
      return;
    }
    c.text(c.fitLine(`Nhận từ cuộc vận động khác: ${formatDong(t.inDong)} đồng`, width, 7, true), x, y, 7, { bold: true });
    c.text(c.fitLine(`Chuyển sang cuộc vận động khác: ${formatDong(t.outDong)} đồng`, width, 7, true), x, y + 9, 7, { bold: true });
    y += 22;
    const step = 8;
    const blockH = 4 * step + 5; // campaign, resolution on up to two lines, amounts; a gap
    const fits = Math.max(1, Math.floor((CONTENT_BOTTOM - y) / blockH));
    const shown = t.rows.length <= fits ? t.rows : t.rows.slice(0, fits - 1);
    const amounts = (inDong: bigint, outDong: bigint) => `Nhận về: ${formatDong(inDong)} đồng · Chuyển đi: ${formatDong(outDong)} đồng`;
    for (const r of shown) {
      c.hlines([y - 2.5], x, x + width, RULE, 0.35);
      c.text(c.fitLine(r.campaigns.map((k) => `${k.code} – ${k.name}`).join("; "), width, 6.5, true), x, y, 6.5, { bold: true });
      const because = c.wrap(`Theo: ${r.resolutionRef}`, width, 2, 6.5);
      because.forEach((l, i) => c.text(l, x, y + step * (i + 1), 6.5));
      c.text(c.fitLine(amounts(r.inDong, r.outDong), width, 6.5), x, y + step * (because.length + 1), 6.5);
      y += blockH;
    }
    if (shown.length < t.rows.length) {
      const rest = t.rows.slice(shown.length);
      c.hlines([y - 2.5], x, x + width, RULE, 0.35);
      c.text(`Các khoản khác (${rest.length})`, x, y, 6.5, { bold: true });
      c.text(c.fitLine(amounts(rest.reduce((a, r) => a + r.inDong, 0n), rest.reduce((a, r) => a + r.outDong, 0n)), width, 6.5), x, y + step, 6.5);
    }
  }

  private chart(x: number, y: number, w: number, h: number, byMonth: StatementSummary["byMonth"]): void {
    const { c } = this;
    const { header } = this.input;
    const months = chartMonths(byMonth, header.from.slice(0, 7), header.to.slice(0, 7));
    c.text("6. Thu và chi theo tháng", x, y, 8, { bold: true });
    // legend
    const lx = x + w - 130;
    c.fillRect(lx, y + 0.5, 9, 7, IN_COLOUR);
    c.text("Thu (tiền vào)", lx + 12, y, 7);
    c.fillRect(lx + 65, y + 0.5, 9, 7, OUT_COLOUR);
    c.text("Chi (tiền ra)", lx + 77, y, 7);

    const max = months.reduce((mx, r) => (r.inDong > mx ? r.inDong : r.outDong > mx ? r.outDong : mx), 0n);
    const unit = max >= 1_000_000_000n ? { size: 1e9, name: "Tỷ đồng" } : max >= 1_000_000n ? { size: 1e6, name: "Triệu đồng" } : { size: 1e3, name: "Nghìn đồng" };
    const { step, top } = niceScale(Number(max) / unit.size);

    const left = x + 52;
    const right = x + w - 8;
    const plotTop = y + 30;
    const bottom = y + h - 26;
    const plotH = bottom - plotTop;
    c.text(unit.name, x, plotTop - 12, 6.5, { bold: true });

    // grid and y ticks
    const ticks: number[] = [];
    for (let i = 0; i * step <= top + step / 2; i++) ticks.push(i * step);
    c.hlines(ticks.slice(1).map((v) => bottom - (v / top) * plotH), left, right, RULE, 0.35);
    for (const v of ticks) {
      const ty = bottom - (v / top) * plotH;
      c.text(formatTick(v), x, ty - 3, 6.5, { width: left - x - 4, align: "right" });
    }
    c.vlines([left], plotTop - 4, bottom, INK, 0.6);
    c.hlines([bottom], left, right, INK, 0.6);
    c.text("Tháng", left, bottom + 15, 6.5, { bold: true, width: right - left, align: "center" });

    if (months.every((r) => r.inDong === 0n && r.outDong === 0n)) {
      c.text("Không có số liệu trong kỳ", left, plotTop + plotH / 2 - 4, 8, { width: right - left, align: "center", color: MUTED });
    }
    const n = months.length;
    if (n === 0) return;
    const groupW = (right - left) / n;
    const barW = Math.min(26, groupW * 0.34);
    const labelEvery = Math.ceil(n / 24);
    const height = (v: bigint): number => (top === 0 ? 0 : (Number(v) / unit.size / top) * plotH);
    const inDx = -barW - 0.75;
    const outDx = 0.75;
    const bars = (pick: (r: (typeof months)[number]) => bigint, dx: number): Array<[number, number, number, number]> =>
      months.flatMap((r, i) => {
        const hh = height(pick(r));
        const cx = left + groupW * i + groupW / 2;
        return hh > 0 ? [[cx + dx, bottom - hh, barW, hh] as [number, number, number, number]] : [];
      });
    c.bars(bars((r) => r.inDong, inDx), IN_COLOUR);
    c.bars(bars((r) => r.outDong, outDx), OUT_COLOUR);
    months.forEach((r, i) => {
      const cx = left + groupW * i + groupW / 2;
      if (i % labelEvery === 0) c.text(monthLabel(r.month), cx - groupW, bottom + 4, 6.5, { width: groupW * 2, align: "center" });
      if (n <= 12) {
        for (const [v, dx] of [[r.inDong, inDx], [r.outDong, outDx]] as const) {
          if (v === 0n) continue;
          const label = formatTick(Number(v) / unit.size, 1);
          c.text(label, cx + dx - 10, bottom - height(v) - 8, 5.5, { width: barW + 20, align: "center", color: MUTED });
        }
      }
    });
  }

  // --- closing page -------------------------------------------------------------------

  closingPage(): void {
    this.newPage();
    const { c } = this;
    const { header, totals, digest, summary } = this.input;
    c.text("XÁC NHẬN SỔ THU CHI QUỸ", X0, 36, 13, { bold: true, width: TABLE_W, align: "center" });
    c.text(c.fitLine(header.campaign.name, 700, 10, true), X0, 56, 10, { bold: true, width: TABLE_W, align: "center" });
    c.text(this.period, X0, 71, 8, { width: TABLE_W, align: "center" });

    const bx = X0 + 193;
    const bw = 400;
    let y = 92;
    // [label, amount, bold, a part of the row above (indented, smaller)]
    const rows: Array<[string, bigint, boolean, boolean]> = [["Số dư đầu kỳ", header.openingDong, false, false], ["Tổng thu trong kỳ", totals.inDong, false, false]];
    if (summary.transfers.inDong !== 0n) rows.push(["trong đó: nhận điều chuyển từ cuộc vận động khác", summary.transfers.inDong, false, true]);
    rows.push(["Tổng chi trong kỳ", totals.outDong, false, false]);
    if (summary.transfers.outDong !== 0n) rows.push(["trong đó: chuyển sang cuộc vận động khác", summary.transfers.outDong, false, true]);
    rows.push(["Số dư cuối kỳ", totals.closingDong, true, false]);
    ASSET_LABEL.forEach(([key, label], i) => rows.push([`${i === 0 ? "trong đó: " : ""}${label}`, totals.closingByAsset[key], false, true]));
    const top = y;
    const rules: number[] = [];
    for (const [label, v, bold, part] of rows) {
      const h = part ? 13 : 16;
      const size = part ? 7.5 : 8.5;
      if (bold) c.fillRect(bx, y, bw, h, SPECIAL_FILL);
      c.text(c.fitLine(label, 200, size, bold), bx + (part ? 18 : 6), y + (h - size) / 2, size, { bold });
      c.figure(`${formatDong(v)} đồng`, bx + 230, y + (h - size) / 2, bw - 236, size, bold);
      y += h;
      rules.push(y);
    }
    c.hlines(rules.slice(0, -1), bx, bx + bw, RULE, 0.35);
    c.strokeRect(bx, top, bw, y - top, INK, 0.6);
    y += 8;
    const words = c.wrap(`Bằng chữ: ${this.inWords(totals.closingDong)}`, 640, 2, 8.5, true);
    for (const l of words) {
      c.text(l, X0, y, 8.5, { bold: true, width: TABLE_W, align: "center" });
      y += 11;
    }
    y += 6;
    const ledgerPages = ledgerPageCount(this.input.lineCount);
    const people = this.input.people === undefined ? "" : ` ${peoplePageCount(this.input.people.length)} trang người có quyền,`;
    c.text(
      `Sổ này có ${this.pages} trang, đánh số từ trang 01 đến trang ${this.pages}: ${ledgerPages} trang sổ (${formatDong(BigInt(totals.lines))} dòng), 1 trang tổng hợp,${people} 1 trang xác nhận.`,
      X0, y, 7.5, { width: TABLE_W, align: "center" },
    );
    y += 11;
    c.text(`Ngày mở sổ: ${formatDateVi(header.from)} · ${this.audience}`, X0, y, 7.5, { width: TABLE_W, align: "center" });
    y += 11;
    c.text(`Số liệu chốt tại vị trí sổ cái: số thứ tự ${header.position.seq}, hash ${header.position.hash}`, X0, y, 6.5, { width: TABLE_W, align: "center", color: MUTED });
    y += 9;
    c.text(`Mã kiểm tra SHA-256 của sao kê (tệp CSV): ${digest}`, X0, y, 6.5, { width: TABLE_W, align: "center", color: MUTED });

    // place and date over the last block, then the four signature blocks
    const blockW = TABLE_W / SIGNERS.length;
    const sy = Math.max(268, y + 34);
    const place = this.input.place !== undefined && clean(this.input.place) !== "" ? clean(this.input.place) : "……………";
    const when = this.input.signedOn !== undefined ? formatLongDateVi(this.input.signedOn) : "ngày …… tháng …… năm ……";
    c.text(c.fitLine(`${place}, ${when}`, blockW * 2 - 10, 8), X1 - blockW * 1.5, sy - 16, 8, { width: blockW * 2, align: "center" });
    const names = [this.input.preparedBy, this.input.signatories?.accountant, this.input.signatories?.treasurer, this.input.signatories?.chair];
    SIGNERS.forEach((s, i) => {
      const bxi = X0 + blockW * i;
      c.text(s.title, bxi, sy, 9.5, { bold: true, width: blockW, align: "center" });
      c.text(s.hint, bxi, sy + 14, 7.5, { width: blockW, align: "center", color: MUTED });
      const name = names[i];
      if (name !== undefined && clean(name) !== "") {
        c.text(c.fitLine(clean(name), blockW - 10, 9, true), bxi, sy + 90, 9, { bold: true, width: blockW, align: "center" });
      }
    });
  }
}

// ---------------------------------------------------------------------------------------
// Small pure helpers

/**
 * The committee's name in the heading's top-left block, whole and as large as it fits: 8.5 pt on up to
 * two lines 330 pt wide (most names), else wider (never into the right-hand block, which starts 300 pt
 * from the right edge), smaller and on more lines. The block ends above the title whatever the name
 * (a committee's name has at most 300 characters: at 4 pt it takes two lines).
 */
function committeeBlock(c: Canvas, name: string): { lines: string[]; size: number; step: number; width: number; top: number } {
  const words = clean(name).split(" ").filter((w) => w !== "");
  const usualTop = 24;
  const highestTop = 16;
  const linesEnd = 46; // the rule and the committee's code follow, ending above the title at 60
  let last: { lines: string[]; size: number; step: number; width: number; top: number } | null = null;
  for (const size of [8.5, 8, 7.5, 7, 6.5, 6, 5.5, 5, 4.5, 4]) {
    const step = Math.round(size * 2.6) / 2; // 1.3 lines, to the half point: 11 at 8.5 pt
    const most = Math.floor((linesEnd - highestTop) / step);
    for (const width of [330, 400, 460]) {
      const fit = c.wrapTokens(words, new Array<number>(most).fill(width), size, true);
      const top = Math.max(highestTop, Math.min(usualTop, linesEnd - fit.lines.length * step));
      last = { lines: fit.lines, size, step, width, top };
      if (!fit.truncated) return last;
    }
  }
  return last!;
}

/** What a line between campaigns names in place of a donor or household: the other campaign and the resolution. */
function transferParty(l: StatementLine): string {
  const t = l.transfer!;
  const codes = t.campaigns.map((c) => c.code).join(", ");
  const way = l.inDong > 0n && l.outDong === 0n ? "nhận từ" : l.outDong > 0n && l.inDong === 0n ? "chuyển sang" : "điều chuyển với";
  return `${way} ${codes} theo ${clean(t.resolutionRef)}`;
}

function capRows<T extends { label: string; count: string; amount: bigint | null }>(rows: T[], max: number, summable = true): Array<{ label: string; count: string; amount: bigint | null }> {
  if (rows.length <= max) return rows;
  const head = rows.slice(0, max - 1);
  const rest = rows.slice(max - 1);
  if (!summable) return [...head, { label: `Các mục khác (${rest.length})`, count: "", amount: null }];
  let amount = 0n;
  let n = 0n;
  for (const r of rest) {
    amount += r.amount ?? 0n;
    const digits = r.count.replace(/\./g, "");
    if (/^\d+$/.test(digits)) n += BigInt(digits);
  }
  return [...head, { label: `Các mục khác (${rest.length})`, count: formatDong(n), amount }];
}

function sumRows(rows: Array<{ amountDong: bigint; count: number }>): { count: string; amount: bigint } {
  let amount = 0n;
  let count = 0;
  for (const r of rows) {
    amount += r.amountDong;
    count += r.count;
  }
  return { count: formatDong(BigInt(count)), amount };
}

function safeDecimal(q: string): string {
  try {
    return formatDecimalVi(q);
  } catch {
    return q;
  }
}

/** "2024-01" → "01/2024", "2024-07" → "7/2024" (months 1 and 2 zero-padded, as in dates). */
function monthLabel(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  const mm = Number(m[2]);
  return `${mm <= 2 ? String(mm).padStart(2, "0") : String(mm)}/${m[1]}`;
}

/**
 * The months on the chart's axis: every month of the period (empty months included, so
 * the axis is a true time line) when the period has at most 36 months and holds all the
 * data; otherwise every month from the first to the last with data, or failing that (more
 * than 36) only the months with data.
 */
function chartMonths(byMonth: StatementSummary["byMonth"], from: string, to: string): StatementSummary["byMonth"] {
  const data = new Map(byMonth.map((r) => [r.month, r]));
  const sorted = [...data.keys()].sort();
  const span = (a: string, b: string): string[] | null => {
    const ma = /^(\d{4})-(\d{2})$/.exec(a);
    const mb = /^(\d{4})-(\d{2})$/.exec(b);
    if (!ma || !mb) return null;
    let yv = Number(ma[1]);
    let mv = Number(ma[2]);
    const end = Number(mb[1]) * 12 + Number(mb[2]);
    if (end - (yv * 12 + mv) > 35 || end < yv * 12 + mv) return null;
    const out: string[] = [];
    while (yv * 12 + mv <= end) {
      out.push(`${yv}-${String(mv).padStart(2, "0")}`);
      mv++;
      if (mv > 12) {
        mv = 1;
        yv++;
      }
    }
    return out;
  };
  const filled = (keys: string[]): StatementSummary["byMonth"] => keys.map((k) => data.get(k) ?? { month: k, inDong: 0n, outDong: 0n });
  const period = span(from, to);
  if (period !== null && sorted.every((k) => period.includes(k))) return filled(period);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (first !== undefined && last !== undefined) {
    const range = span(first, last);
    if (range !== null) return filled(range);
  }
  return sorted.map((k) => data.get(k) as StatementSummary["byMonth"][number]);
}

/** Axis scale: a step of 1, 2 or 5 × 10^k giving about five intervals. */
function niceScale(max: number): { step: number; top: number } {
  if (!(max > 0)) return { step: 1, top: 5 };
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  const step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
  return { step, top: Math.ceil(max / step - 1e-9) * step };
}

/** A tick or bar value in Vietnamese notation: 2.5 → "2,5", 1500 → "1.500". */
function formatTick(v: number, decimals = 3): string {
  const s = v.toFixed(decimals);
  return formatDecimalVi(s);
}

function creationDate(header: StatementHeader): Date {
  // The end of the period: the same statement always gives the same bytes.
  const d = new Date(`${header.to}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

// ---------------------------------------------------------------------------------------
// Entry point

/**
 * Renders the statement as a PDF to `out` and ends `out`. Pages are streamed as they are
 * made. Throws (and destroys `out`, without an error event) when the lines do not match lineCount or the totals,
 * or when the pages written differ from statementPageCount(lineCount).
 */
export async function renderStatementPdf(input: PdfStatementInput, out: NodeJS.WritableStream): Promise<void> {
  const { header, totals, lineCount } = input;
  if (!Number.isSafeInteger(lineCount) || lineCount < 0) throw new RangeError(`lineCount must be a whole number ≥ 0: ${lineCount}`);
  if (totals.lines !== lineCount) throw new RangeError(`lineCount ${lineCount} ≠ totals.lines ${totals.lines}`);
  if (header.openingDong + totals.inDong - totals.outDong !== totals.closingDong) {
    throw new RangeError("totals: opening + in − out ≠ closing");
  }
  const split = totals.closingByAsset;
  if (split.cash + split.bank + split.goods !== totals.closingDong) {
    throw new RangeError(`totals: cash ${split.cash} + bank ${split.bank} + goods ${split.goods} ≠ closing ${totals.closingDong}`);
  }
  if (!/^[0-9a-f]{64}$/i.test(input.digest)) throw new RangeError("digest must be 64 hex digits (SHA-256)");

  const when = creationDate(header);
  const PDFDocument = await loadPdfkit();
  const doc = new PDFDocument({
    size: "A4",
    layout: "landscape",
    margin: 0,
    autoFirstPage: false,
    bufferPages: false,
    compress: true,
    font: FONT_REGULAR_PATH,
    lang: "vi-VN",
    info: {
      Title: `Sổ thu chi quỹ – ${header.campaign.name}`,
      Author: header.committee.name,
      Subject: `${periodVi(header.from, header.to)} – ${AUDIENCE_LABEL[header.audience] ?? header.audience}`,
      Keywords: `sha256:${input.digest} seq:${header.position.seq} hash:${header.position.hash}`,
      Creator: "soquy",
      Producer: "soquy (PDFKit)",
      CreationDate: when,
      ModDate: when,
    },
  });
  const sink = new Sink(out);
  const ended = new Promise<void>((resolve, reject) => {
    doc.on("end", resolve);
    doc.on("error", reject);
  });
  ended.catch(() => undefined);
  doc.on("data", (chunk: Uint8Array) => sink.write(chunk));

  try {
    const pdf = new StatementPdf(doc, input);
    await pdf.ledger(sink);
    await sink.flow(pdf.pageNo);
    pdf.summaryPage();
    pdf.peoplePages();
    pdf.closingPage();
    pdf.finish();
    if (pdf.pageNo !== pdf.pages) {
      throw new Error(`statement PDF: wrote ${pdf.pageNo} pages but promised ${pdf.pages} (a pagination bug)`);
    }
    doc.end();
    await ended;
    await sink.end();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    doc.removeAllListeners("data");
    sink.destroy();
    throw err;
  }
}

/**
 * Renders a prepared statement as its PDF to out (and ends out): every caller (the API, the kept public files,
 * the CLI) gives the renderer the same parts, so none prints a statement without its split or its words.
 */
export function writeStatementPdf(st: PreparedStatement, out: NodeJS.WritableStream, extra: Pick<PdfStatementInput, "preparedBy" | "signatories" | "place" | "signedOn"> = {}): Promise<void> {
  return renderStatementPdf({
    header: st.header, totals: st.totals, summary: st.summary, digest: st.digest, lines: st.lines(), lineCount: st.totals.lines,
    people: st.people, words: st.words, ...extra,
  }, out);
}
