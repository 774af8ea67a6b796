import { FONT_BOLD, FONT_REGULAR } from "./fonts.js";
import { formatDateVi, formatDecimalVi, formatDong, formatLongDateVi } from "./format.js";
import { A4, capitalized, openForm, signatureBlocks } from "./forms.js";
import { amountInWords, type WordVariants } from "./words.js";

// Danh sách ký nhận: the list a committee's households sign when they receive their gift packages (or any
// payment of one campaign on one day), A4 landscape. One row a household: its head's name, area, category,
// what it receives (quantity and unit), the amount, the voucher or entry it was recorded as, and an empty
// cell to sign in. The heading says which distribution it is (campaign, day, area) and whether the list is
// planned (made before the day from the households the treasurer chose, nothing recorded yet: "DỰ KIẾN") or
// recorded (made from the ledger's entries of that day: "ĐÃ GHI SỔ", each row naming its entry). The last page
// carries the totals, the total in words and the signatures; every page says which it is ("Trang 2/5").

export interface SignListRow {
  name: string;
  area: string;
  /** The category in Vietnamese ("Hộ nghèo"). */
  category: string;
  /** What is given, in Vietnamese ("Quà Tết", "Hỗ trợ tiền mặt"). */
  what: string;
  /** Decimal text as stored ("1.000"); null when nothing is counted. */
  quantity: string | null;
  unit: string | null;
  /** Null: no amount is given (a planned list without a value). */
  amountDong: bigint | null;
  /** The voucher (PC-2024-000012) or the entry ("Bút toán 57") the row was recorded as; "" for a planned row. */
  reference: string;
}

export type SignListState =
  | { kind: "recorded"; entries: number; firstSequence: number | null; lastSequence: number | null; reversedLeftOut: number }
  | { kind: "planned"; preparedOn: string };

export interface SignListData {
  committeeName: string;
  /** How the committee writes amounts in words ("linh"/"lẻ", "nghìn"/"ngàn"). */
  words: WordVariants;
  campaignName: string;
  campaignCode: string;
  /** The day of the distribution (ISO). */
  date: string;
  /** The area the list is for; null: every area of that day. */
  area: string | null;
  /** What the distribution gives, for the title ("Trao quà (suất quà)"); null when the rows differ. */
  purpose: string | null;
  state: SignListState;
  rows: SignListRow[];
  /** Empty rows after the listed households, for those added on the day by hand (planned lists). */
  blankRows: number;
  totals: { households: number; quantities: { unit: string; quantity: string }[]; amountDong: bigint };
  preparedBy: string;
}

const [PW, PH] = [A4[1], A4[0]]; // landscape
const M = 28;
const W = PW - 2 * M;
const ROW_H = 26; // two lines of 8 pt, and room to sign
const HEAD_H = 26;
const FOOTER_Y = PH - 22;
const BOTTOM = FOOTER_Y - 8;
const PAD = 3;

interface Col { title: string; width: number; align?: "left" | "right" | "center" }
const COLS: Col[] = [
  { title: "STT", width: 26, align: "center" },
  { title: "Họ và tên chủ hộ", width: 140 },
  { title: "Khu phố / ấp", width: 84 },
  { title: "Đối tượng", width: 92 },
  { title: "Nội dung nhận", width: 104 },
  { title: "Số lượng", width: 62, align: "right" },
  { title: "Số tiền (đồng)", width: 82, align: "right" },
  { title: "Chứng từ", width: 96 },
];
COLS.push({ title: "Ký nhận (ký, ghi rõ họ tên)", width: W - COLS.reduce((s, c) => s + c.width, 0), align: "center" });

/** Where the first page's table starts (below the heading). */
const FIRST_TOP = 150;
/** What the totals, the amount in words, the date line and the signatures need below the last row. */
const CLOSING_H = ROW_H + 30 + 16 + 110;

/**
 * The pages a list of this many rows (blank ones counted) takes: the geometry is fixed (every row the same
 * height, the closing block on the last page or on one of its own), so each page's "Trang N/M" is printed as
 * it is made, with no page kept in memory.
 */
export function signListPages(rows: number): number {
  let pages = 1;
  let y = FIRST_TOP + HEAD_H;
  for (let i = 0; i < rows; i++) {
    if (y + ROW_H > BOTTOM) {
      pages++;
      y = M + HEAD_H;
    }
    y += ROW_H;
  }
  return y + CLOSING_H > BOTTOM ? pages + 1 : pages;
}

export async function renderSignListPdf(d: SignListData, out: NodeJS.WritableStream): Promise<void> {
  const planned = d.state.kind === "planned";
  const title = `Danh sách ký nhận ${d.campaignCode} ${formatDateVi(d.date)}${d.area ? ` ${d.area}` : ""}`;
  const { doc, done } = await openForm(out, { size: A4, landscape: true, margin: M, title, author: d.committeeName });
  const all: (SignListRow | null)[] = [...d.rows, ...Array.from({ length: d.blankRows }, () => null)];
  const pages = signListPages(all.length);
  let page = 1;
  const footer = () => {
    doc.font(FONT_REGULAR).fontSize(7).fillColor("#555")
      .text(`Danh sách ký nhận · ${d.campaignCode} · ngày ${formatDateVi(d.date)}${d.area ? ` · ${d.area}` : ""} · ${planned ? "DỰ KIẾN, chưa ghi sổ" : "đã ghi sổ"}`,
        M, FOOTER_Y, { width: W * 0.75, lineBreak: false })
      .text(`Trang ${page}/${pages}`, M + W * 0.75, FOOTER_Y, { width: W * 0.25, align: "right", lineBreak: false })
      .fillColor("black");
  };
  const nextPage = () => {
    doc.addPage();
    page++;
    footer();
  };
  footer();

  // Heading (page 1 only).
  doc.font(FONT_BOLD).fontSize(9.5).text(d.committeeName.toUpperCase(), M, M, { width: W * 0.6 });
  doc.font(FONT_BOLD).fontSize(16).text("DANH SÁCH KÝ NHẬN", M, 56, { width: W, align: "center" });
  doc.font(FONT_REGULAR).fontSize(10)
    .text(`${d.purpose ?? "Nhận hỗ trợ"} — ${d.campaignName} (${d.campaignCode})`, M, doc.y + 2, { width: W, align: "center" });
  doc.text(`Ngày trao: ${formatLongDateVi(d.date)}${d.area ? ` — Khu phố / ấp: ${d.area}` : " — Tất cả khu phố / ấp"}`, M, doc.y + 1, { width: W, align: "center" });
  const state = planned
    ? `DỰ KIẾN — lập ${formatLongDateVi((d.state as { preparedOn: string }).preparedOn)}, trước ngày trao: chưa ghi sổ; sau khi trao, in lại danh sách từ sổ.`
    : recordedLine(d.state as Extract<SignListState, { kind: "recorded" }>);
  doc.save().fillColor(planned ? "#8a4b00" : "#1f6f43").font(FONT_BOLD).fontSize(9.5).text(state, M, doc.y + 4, { width: W, align: "center" }).restore();

  let y = FIRST_TOP;
  header(doc, y);
  y += HEAD_H;
  all.forEach((row, i) => {
    if (y + ROW_H > BOTTOM) {
      nextPage();
      y = M;
      header(doc, y);
      y += HEAD_H;
    }
    cells(doc, y, ROW_H, row === null ? [String(i + 1), "", "", "", "", "", "", "", ""] : [
      String(i + 1), row.name, row.area, row.category, row.what,
      row.quantity === null ? "" : `${formatDecimalVi(row.quantity)} ${row.unit ?? ""}`.trim(),
      row.amountDong === null ? "" : formatDong(row.amountDong), row.reference, "",
    ], 8);
    y += ROW_H;
  });

  // Totals, in words, the date line and the signatures: on a page of their own when they do not fit.
  if (y + CLOSING_H > BOTTOM) {
    nextPage();
    y = M;
  }
  const t = d.totals;
  const quantities = t.quantities.map((q) => `${formatDecimalVi(q.quantity)} ${q.unit}`).join("\n");
  doc.font(FONT_BOLD);
  cells(doc, y, ROW_H, ["", `Cộng: ${t.households} hộ`, "", "", "", quantities, formatDong(t.amountDong), "", ""], 8, true);
  y += ROW_H + 6;
  if (t.amountDong > 0n || !planned) {
    doc.font(FONT_REGULAR).fontSize(9.5).text("Tổng số tiền (viết bằng chữ): ", M, y, { width: W, continued: true })
      .font(FONT_BOLD).text(amountInWords(t.amountDong, d.words));
  } else {
    doc.font(FONT_REGULAR).fontSize(9.5).text("Tổng số tiền (viết bằng chữ): ......................................................", M, y, { width: W });
  }
  if (planned) doc.font(FONT_REGULAR).fontSize(8.5).text("Các dòng để trống dành cho hộ được bổ sung trong ngày trao: ghi tay, ký nhận, rồi ghi sổ.", M, doc.y + 2, { width: W });
  y = doc.y + 8;
  doc.font(FONT_REGULAR).fontSize(9).text(planned ? "Ngày ...... tháng ...... năm ......" : capitalized(formatLongDateVi(d.date)), M + W * 0.62, y, { width: W * 0.38, align: "center" });
  y = doc.y + 3;
  signatureBlocks(doc, M, y, W, [
    { title: "NGƯỜI LẬP DANH SÁCH", hint: "(Ký, họ tên)", name: d.preparedBy || undefined },
    { title: "THỦ QUỸ", hint: "(Ký, họ tên)" },
    { title: "KẾ TOÁN", hint: "(Ký, họ tên)" },
    { title: "CHỦ TỊCH / TRƯỞNG BAN", hint: "(Ký, họ tên, đóng dấu)" },
  ], { size: 8.5, room: 46 });

  doc.end();
  await done;
}

function recordedLine(s: Extract<SignListState, { kind: "recorded" }>): string {
  const seqs = s.firstSequence === null ? "" : s.firstSequence === s.lastSequence ? ` (bút toán số ${s.firstSequence})` : ` (bút toán số ${s.firstSequence} đến ${s.lastSequence})`;
  const left = s.reversedLeftOut > 0 ? `; không gồm ${s.reversedLeftOut} khoản đã đảo` : "";
  return `ĐÃ GHI SỔ — lập từ ${s.entries} khoản chi đã ghi${seqs}${left}.`;
}

function header(doc: PDFKit.PDFDocument, y: number): void {
  doc.save().rect(M, y, W, HEAD_H).fill("#eeeeee").restore();
  doc.font(FONT_BOLD);
  cells(doc, y, HEAD_H, COLS.map((c) => c.title), 8, true, "center");
}

function cells(doc: PDFKit.PDFDocument, y: number, h: number, values: string[], size: number, keepFont = false, align?: "center"): void {
  let x = M;
  doc.lineWidth(0.5).strokeColor("#333");
  COLS.forEach((c, i) => {
    doc.rect(x, y, c.width, h).stroke();
    const v = values[i] ?? "";
    if (v !== "") {
      if (!keepFont) doc.font(FONT_REGULAR);
      doc.fontSize(size).fillColor("black").text(v, x + PAD, y + PAD, { width: c.width - 2 * PAD, height: h - 2 * PAD, ellipsis: true, align: align ?? c.align ?? "left", lineGap: -0.5 });
    }
    x += c.width;
  });
}
