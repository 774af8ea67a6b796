import { FONT_BOLD, FONT_REGULAR } from "./fonts.js";
import { formatDateVi, formatDecimalVi, formatDong, formatLongDateVi } from "./format.js";
import { A4, capitalized, labelled, openForm, signatureBlocks } from "./forms.js";
import { amountInWords, type WordVariants } from "./words.js";

// Giấy xác nhận: the committee's letter confirming to a donor, on request, that a donation (by bank transfer
// or in kind, or cash beside its phiếu thu) was received and recorded. A4 portrait in the shape of an
// administrative letter (Nghị định 30/2020/NĐ-CP): the committee and the national motto side by side, the
// letter's number and date, the title; the donor as recorded, the campaign, the day received, how it came
// (the bank account and reference, the phiếu thu, or the goods with their quantities and values), the amount
// in figures and in words, where it stands in the ledger; the signatures of the treasurer and the chair.
// It goes to the donor, so it names them; nothing about anyone else is on it.

export interface ConfirmationItem {
  description: string;
  quantity: string; // decimal text as stored
  unit: string;
  unitValueDong: bigint;
  valueDong: bigint;
  valuationBasis: string;
}

export interface ConfirmationData {
  committeeName: string;
  /** How the committee writes amounts in words ("linh"/"lẻ", "nghìn"/"ngàn"). */
  words: WordVariants;
  /** The letter's number: the entry's sequence in the committee's ledger, "57/GXN". */
  number: string;
  /** The day the letter is issued (ISO). */
  issuedOn: string;
  donorName: string;
  campaignName: string;
  campaignCode: string;
  receivedOn: string;
  method: "cash" | "bank" | "in_kind";
  amountDong: bigint;
  /** Cash: the phiếu thu given at the time. */
  receiptNumber: string | null;
  /** Bank: the receiving account and the bank's reference (as typed, or as the statement printed it). */
  bankAccount: string | null;
  bankReference: string | null;
  items: ConfirmationItem[];
  sequence: number;
  hash: string;
}

const [PW, PH] = A4;
const M = 50;
const W = PW - 2 * M;

export async function renderConfirmationPdf(c: ConfirmationData, out: NodeJS.WritableStream): Promise<void> {
  const { doc, done } = await openForm(out, { size: A4, margin: M, title: `Giấy xác nhận ${c.number}`, author: c.committeeName });
  const half = W * 0.45;
  doc.font(FONT_BOLD).fontSize(9.5).text(c.committeeName.toUpperCase(), M, M, { width: half, align: "center" });
  const leftBottom = doc.y;
  doc.font(FONT_BOLD).fontSize(9.5).text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", M + half, M, { width: W - half, align: "center" });
  doc.font(FONT_BOLD).fontSize(10).text("Độc lập - Tự do - Hạnh phúc", M + half, doc.y + 1, { width: W - half, align: "center" });
  const y0 = Math.max(leftBottom, doc.y) + 8;
  doc.font(FONT_REGULAR).fontSize(10).text(`Số: ${c.number}`, M, y0, { width: half, align: "center" });
  doc.text(capitalized(formatLongDateVi(c.issuedOn)), M + half, y0, { width: W - half, align: "center" });

  doc.font(FONT_BOLD).fontSize(16).text("GIẤY XÁC NHẬN", M, y0 + 40, { width: W, align: "center" });
  doc.font(FONT_BOLD).fontSize(11).text("Tiếp nhận tiền, hàng ủng hộ", M, doc.y + 2, { width: W, align: "center" });

  let y = doc.y + 22;
  doc.font(FONT_REGULAR).fontSize(11).text(`${c.committeeName} xác nhận đã tiếp nhận khoản ủng hộ sau:`, M, y, { width: W });
  y = doc.y + 8;
  const line = (label: string, value: string, bold = false) => {
    y = labelled(doc, M + 14, y, W - 14, label, value, { bold, size: 11 }) + 5;
  };
  line("Người / đơn vị ủng hộ:", c.donorName, true);
  line("Ủng hộ cuộc vận động:", `${c.campaignName} (${c.campaignCode})`);
  line("Ngày nhận:", formatDateVi(c.receivedOn));
  if (c.method === "bank") {
    const ref = c.bankReference ? `, mã giao dịch ${c.bankReference}` : "";
    line("Hình thức:", `Chuyển khoản${c.bankAccount ? ` vào tài khoản ${c.bankAccount}` : ""}${ref}`);
  } else if (c.method === "cash") {
    line("Hình thức:", `Tiền mặt${c.receiptNumber ? `, phiếu thu số ${c.receiptNumber}` : ""}`);
  } else {
    line("Hình thức:", "Hiện vật (quy ra tiền theo giá trị dưới đây)");
  }
  if (c.items.length > 0) y = itemsTable(doc, y + 2, c.items) + 8;
  line(c.method === "in_kind" ? "Tổng giá trị:" : "Số tiền:", `${formatDong(c.amountDong)} đồng`, true);
  line("Bằng chữ:", amountInWords(c.amountDong, c.words));
  line("Ghi sổ quỹ:", `bút toán số ${c.sequence}${c.receiptNumber ? `, chứng từ ${c.receiptNumber}` : ""}.`);
  y += 6;
  doc.font(FONT_REGULAR).fontSize(11).text(`${c.committeeName} trân trọng cảm ơn tấm lòng của ${c.donorName} đối với cuộc vận động.`, M, y, { width: W });
  y = doc.y + 24;
  signatureBlocks(doc, M, y, W, [
    { title: "THỦ QUỸ", hint: "(Ký, ghi rõ họ tên)" },
    { title: "TM. BAN THƯỜNG TRỰC\nCHỦ TỊCH", hint: "(Ký tên, đóng dấu)" },
  ], { size: 10.5, room: 64 });
  doc.font(FONT_REGULAR).fontSize(7).fillColor("#555")
    .text(`Sổ quỹ: bút toán số ${c.sequence} · mã SHA-256 ${c.hash}`, M, PH - 36, { width: W, lineBreak: false });
  doc.end();
  await done;
}

/** The goods of an in-kind donation: name, quantity, unit, unit value, value; the valuation basis under it. */
function itemsTable(doc: PDFKit.PDFDocument, y: number, items: ConfirmationItem[]): number {
  const cols = [
    { title: "STT", width: 30, align: "center" as const },
    { title: "Tên hàng", width: W - 30 - 62 - 52 - 78 - 88, align: "left" as const },
    { title: "Số lượng", width: 62, align: "right" as const },
    { title: "Đơn vị", width: 52, align: "left" as const },
    { title: "Đơn giá (đồng)", width: 78, align: "right" as const },
    { title: "Thành tiền (đồng)", width: 88, align: "right" as const },
  ];
  const row = (values: string[], bold: boolean) => {
    doc.font(bold ? FONT_BOLD : FONT_REGULAR).fontSize(9);
    const h = Math.max(18, ...values.map((v, i) => doc.heightOfString(v, { width: cols[i]!.width - 6 }) + 6));
    let x = M;
    cols.forEach((c, i) => {
      doc.lineWidth(0.5).rect(x, y, c.width, h).stroke();
      doc.text(values[i] ?? "", x + 3, y + 3, { width: c.width - 6, align: c.align });
      x += c.width;
    });
    y += h;
  };
  row(cols.map((c) => c.title), true);
  items.forEach((it, i) => row([String(i + 1), it.description, formatDecimalVi(it.quantity), it.unit, formatDong(it.unitValueDong), formatDong(it.valueDong)], false));
  const bases = [...new Set(items.map((it) => it.valuationBasis))].join("; ");
  doc.font(FONT_REGULAR).fontSize(9).text(`Căn cứ định giá: ${bases}`, M, y + 3, { width: W });
  return doc.y;
}
