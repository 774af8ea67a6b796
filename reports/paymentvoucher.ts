import { FONT_BOLD, FONT_REGULAR } from "./fonts.js";
import { formatDecimalVi, formatDong, formatLongDateVi } from "./format.js";
import { A5, capitalized, dotted, labelled, openForm, signatureBlocks } from "./forms.js";
import { amountInWords, type WordVariants } from "./words.js";

// Phiếu chi: the payment voucher of one cash disbursement, A5 landscape, in the layout of the cash-payment
// form (mẫu C41-BB, Thông tư 107/2017/TT-BTC): the committee, the form's number, the title with its date,
// the voucher number and the accounts debited and credited; the recipient (the household's head) with its
// area and category, what the money is for, the campaign, the amount in figures and in words; the
// signatures of the chair, the accountant, the treasurer and the recipient; and the line on which the
// recipient writes in words the amount received. The ledger's sequence and hash close the page, so the
// paper can be traced to its entry. An entry reversed since it was recorded prints that it was, in red.

export interface PaymentVoucherData {
  committeeName: string;
  /** How the committee writes amounts in words ("linh"/"lẻ", "nghìn"/"ngàn"). */
  words: WordVariants;
  voucherNumber: string; // PC-2024-000007
  date: string; // ISO document date
  recipientName: string;
  area: string;
  /** The household's category in Vietnamese ("Hộ nghèo"). */
  category: string;
  /** The purpose in Vietnamese ("Trao quà (suất quà)"). */
  purpose: string;
  description: string;
  /** Decimal text as stored ("1.000") and its unit, when the payment counted something. */
  quantity: string | null;
  unit: string | null;
  campaignName: string;
  campaignCode: string;
  amountDong: bigint;
  debitAccount: string;
  creditAccount: string;
  /** The person who recorded the payment (printed under Thủ quỹ). */
  recordedBy: string;
  sequence: number;
  hash: string;
  /** The reversal that undid this payment, when one did. */
  reversedBy: { sequence: number; date: string } | null;
}

const PAGE: [number, number] = [A5[1], A5[0]]; // landscape
const M = 28;

export async function renderPaymentVoucherPdf(v: PaymentVoucherData, out: NodeJS.WritableStream): Promise<void> {
  const { doc, done } = await openForm(out, { size: A5, landscape: true, margin: M, title: `Phiếu chi ${v.voucherNumber}`, author: v.committeeName });
  const W = PAGE[0] - 2 * M;
  const left = W * 0.6;
  // Heading: the committee on the left, the form's number on the right.
  doc.font(FONT_BOLD).fontSize(9).text(v.committeeName.toUpperCase(), M, M, { width: left });
  doc.font(FONT_REGULAR).fontSize(7.5).text(`Cuộc vận động: ${v.campaignName} (${v.campaignCode})`, M, doc.y + 2, { width: left });
  doc.font(FONT_BOLD).fontSize(8.5).text("Mẫu số C41-BB", M + left, M, { width: W - left, align: "right" });
  doc.font(FONT_REGULAR).fontSize(7).text("(Theo Thông tư 107/2017/TT-BTC)", M + left, doc.y, { width: W - left, align: "right" });

  // Title in the middle; number and accounts on the right.
  const titleY = 66;
  doc.font(FONT_BOLD).fontSize(18).text("PHIẾU CHI", M, titleY, { width: W, align: "center" });
  doc.font(FONT_REGULAR).fontSize(9.5).text(capitalized(formatLongDateVi(v.date)), M, doc.y + 1, { width: W, align: "center" });
  const boxX = M + W * 0.74;
  const boxW = W * 0.26;
  doc.font(FONT_REGULAR).fontSize(9).text("Số: ", boxX, titleY, { width: boxW, continued: true }).font(FONT_BOLD).text(v.voucherNumber);
  doc.font(FONT_REGULAR).fontSize(8.5).text(`Nợ: ${v.debitAccount}`, boxX, doc.y + 2, { width: boxW });
  doc.text(`Có: ${v.creditAccount}`, boxX, doc.y + 1, { width: boxW });

  let y = 116;
  const line = (label: string, value: string, bold = false) => {
    y = labelled(doc, M, y, W, label, value, { bold, size: 10 }) + 4;
  };
  line("Họ và tên người nhận tiền:", v.recipientName, true);
  line("Địa chỉ:", `${v.area} — Đối tượng: ${v.category}`);
  const counted = v.quantity !== null ? ` — ${formatDecimalVi(v.quantity)} ${v.unit ?? ""}`.trimEnd() : "";
  line("Nội dung chi:", `${v.purpose}${counted}. ${v.description}`);
  line("Số tiền:", `${formatDong(v.amountDong)} đồng`, true);
  line("Viết bằng chữ:", amountInWords(v.amountDong, v.words));
  y = dotted(doc, M, y, W * 0.55, "Kèm theo:");
  doc.font(FONT_REGULAR).fontSize(10).text("chứng từ gốc.", M + W * 0.55 + 4, y - 10 * 1.45, { width: W * 0.45 - 4 });

  if (v.reversedBy) {
    const note = `ĐÃ ĐẢO: khoản chi này đã bị đảo bởi bút toán số ${v.reversedBy.sequence} (${formatLongDateVi(v.reversedBy.date)}). Phiếu chi không còn giá trị thanh toán.`;
    doc.save().fillColor("#a4161a").font(FONT_BOLD).fontSize(9).text(note, M, y + 2, { width: W }).restore();
    y = doc.y + 2;
  }

  // The date line and the signatures (chair, accountant, treasurer, recipient), as the form orders them.
  y += 4;
  doc.font(FONT_REGULAR).fontSize(9).text(capitalized(formatLongDateVi(v.date)), M + W / 2, y, { width: W / 2, align: "center" });
  y = doc.y + 3;
  y = signatureBlocks(doc, M, y, W, [
    { title: "CHỦ TỊCH / TRƯỞNG BAN", hint: "(Ký, họ tên, đóng dấu)" },
    { title: "KẾ TOÁN", hint: "(Ký, họ tên)" },
    { title: "THỦ QUỸ", hint: "(Ký, họ tên)", name: v.recordedBy || undefined },
    { title: "NGƯỜI NHẬN TIỀN", hint: "(Ký, họ tên)" },
  ], { size: 8.5, room: 48 });
  dotted(doc, M, Math.min(y + 2, PAGE[1] - M - 30), W, "Đã nhận đủ số tiền (viết bằng chữ):", 9);
  doc.font(FONT_REGULAR).fontSize(6.5).fillColor("#555")
    .text(`Sổ quỹ: bút toán số ${v.sequence} · mã SHA-256 ${v.hash}`, M, PAGE[1] - M - 8, { width: W, lineBreak: false });
  doc.end();
  await done;
}
