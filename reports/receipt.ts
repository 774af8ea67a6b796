import QRCode from "qrcode";
import { FONT_BOLD, FONT_REGULAR, loadPdfkit, registerDejaVu } from "./fonts.js";
import { formatDong, formatLongDateVi } from "./format.js";
import { amountInWords, DEFAULT_WORD_VARIANTS, type WordVariants } from "./words.js";

// Phiếu thu: the receipt a treasurer hands a donor, A5 portrait, in the
// layout of the cash-receipt form (mẫu C40-BB style): committee, title and
// number, date, who paid, for what, the amount in figures and in words,
// signature lines, and a QR code that opens the public self-check for this
// receipt, so the donor can see it recorded in the ledger.

export interface ReceiptData {
  committeeName: string;
  receiptNumber: string; // PT-2024-000012
  date: string; // ISO document date
  donorName: string;
  campaignName: string;
  description: string;
  amountDong: bigint;
  method: "cash" | "bank" | "in_kind";
  recordedBy: string;
  sequence: number;
  hash: string;
  checkUrl: string; // absolute URL of the public self-check for this receipt
  /** How the committee writes amounts in words ("linh"/"lẻ", "nghìn"/"ngàn"); the standard words when absent. */
  words?: WordVariants | undefined;
}

const A5: [number, number] = [419.53, 595.28];

export async function renderReceiptPdf(r: ReceiptData, out: NodeJS.WritableStream): Promise<void> {
  const PDFDocument = await loadPdfkit();
  const doc = new PDFDocument({ size: A5, margins: { top: 28, bottom: 28, left: 32, right: 32 }, info: { Title: `Phiếu thu ${r.receiptNumber}`, Author: r.committeeName } });
  registerDejaVu(doc);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  doc.pipe(out);
  const W = A5[0] - 64;
  doc.font(FONT_BOLD).fontSize(9).text(r.committeeName.toUpperCase(), 32, 28, { width: W * 0.62 });
  doc.font(FONT_REGULAR).fontSize(8).text(`Số: ${r.receiptNumber}`, 32 + W * 0.62, 28, { width: W * 0.38, align: "right" });
  doc.text(`Sổ cái: số thứ tự ${r.sequence}`, 32 + W * 0.62, 40, { width: W * 0.38, align: "right" });
  doc.moveDown(2);
  doc.font(FONT_BOLD).fontSize(18).text("PHIẾU THU", 32, 84, { width: W, align: "center" });
  doc.font(FONT_REGULAR).fontSize(9).text(capitalize(formatLongDateVi(r.date)), { width: W, align: "center" });
  let y = 140;
  const row = (label: string, value: string, bold = false) => {
    doc.font(FONT_REGULAR).fontSize(10).text(label, 32, y, { continued: true });
    doc.font(bold ? FONT_BOLD : FONT_REGULAR).text(` ${value}`, { width: W });
    y = doc.y + 6;
  };
  row("Họ và tên người nộp tiền:", r.donorName, true);
  row("Nội dung:", r.description);
  row("Cuộc vận động:", r.campaignName);
  row("Hình thức:", r.method === "cash" ? "Tiền mặt" : r.method === "bank" ? "Chuyển khoản" : "Hiện vật (quy ra tiền)");
  row("Số tiền:", `${formatDong(r.amountDong)} đồng`, true);
  row("Bằng chữ:", amountInWords(r.amountDong, r.words ?? DEFAULT_WORD_VARIANTS));
  y += 8;
  const col = W / 3;
  doc.font(FONT_BOLD).fontSize(9);
  for (const [i, t] of ["Người nộp tiền", "Thủ quỹ", "Chủ tịch Ủy ban MTTQ"].entries()) doc.text(t, 32 + i * col, y, { width: col, align: "center" });
  doc.font(FONT_REGULAR).fontSize(7.5);
  for (let i = 0; i < 3; i++) doc.text("(Ký, ghi rõ họ tên)", 32 + i * col, y + 12, { width: col, align: "center" });
  doc.fontSize(8.5).text(r.recordedBy, 32 + col, y + 70, { width: col, align: "center" });

  // The QR code for the donor's self-check, drawn as squares (no image library).
  const qr = QRCode.create(r.checkUrl, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const cell = 2.2;
  const qx = 32;
  const qy = A5[1] - 28 - size * cell - 34;
  doc.save().fillColor("black");
  for (let row = 0; row < size; row++) {
    for (let c = 0; c < size; c++) if (qr.modules.get(row, c)) doc.rect(qx + c * cell, qy + row * cell, cell, cell).fill();
  }
  doc.restore();
  const tx = qx + size * cell + 12;
  doc.font(FONT_BOLD).fontSize(8.5).text("Tra cứu khoản ủng hộ này:", tx, qy, { width: A5[0] - 32 - tx });
  doc.font(FONT_REGULAR).fontSize(7.5).text("Quét mã QR để xem khoản ủng hộ đã được ghi vào sổ quỹ và công khai.", { width: A5[0] - 32 - tx });
  doc.text(r.checkUrl, { width: A5[0] - 32 - tx, link: r.checkUrl });
  doc.fontSize(6.5).fillColor("#555").text(`Mã bút toán (SHA-256): ${r.hash}`, 32, A5[1] - 28 - 22, { width: W });
  doc.end();
  await done;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
