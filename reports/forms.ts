import { FONT_BOLD, FONT_REGULAR, loadPdfkit, registerDejaVu } from "./fonts.js";

// What the committee's printed forms share (phiếu chi, danh sách ký nhận, giấy xác nhận): a pdfkit
// document with DejaVu Sans, finished when its stream is, and the signature blocks at the foot of a form
// (a title, "(Ký, họ tên)" and room to sign, a printed name under it when one is known).

/** Page sizes in points. */
export const A4: [number, number] = [595.28, 841.89];
export const A5: [number, number] = [419.53, 595.28];

export interface OpenedForm {
  doc: PDFKit.PDFDocument;
  /** Resolves when the last byte is written to the output. */
  done: Promise<void>;
}

export async function openForm(out: NodeJS.WritableStream, o: {
  size: [number, number]; landscape?: boolean; margin: number; title: string; author: string;
}): Promise<OpenedForm> {
  const PDFDocument = await loadPdfkit();
  // The bottom margin is small on purpose: pdfkit starts a new page for any text that would end below it, and
  // these forms place their footers themselves.
  const doc = new PDFDocument({
    size: o.size, layout: o.landscape ? "landscape" : "portrait", margins: { top: o.margin, left: o.margin, right: o.margin, bottom: 6 },
    info: { Title: o.title, Author: o.author },
  });
  registerDejaVu(doc);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  doc.pipe(out);
  return { doc, done };
}

export interface SignatureBlock {
  /** Upper-case title, e.g. "THỦ QUỸ"; a second line after "\n" (e.g. "CHỦ TỊCH" under "TM. BAN THƯỜNG TRỰC"). */
  title: string;
  /** What to write there, e.g. "(Ký, họ tên)". */
  hint: string;
  /** The name printed under the room to sign, when known. */
  name?: string | undefined;
}

/** Signature blocks side by side from x over width, starting at y; returns the y below them. */
export function signatureBlocks(doc: PDFKit.PDFDocument, x: number, y: number, width: number, blocks: SignatureBlock[], o: { size?: number; room?: number } = {}): number {
  const size = o.size ?? 8.5;
  const room = o.room ?? 52;
  const col = width / blocks.length;
  let bottom = y;
  blocks.forEach((b, i) => {
    const cx = x + i * col;
    doc.font(FONT_BOLD).fontSize(size).text(b.title, cx + 2, y, { width: col - 4, align: "center" });
    doc.font(FONT_REGULAR).fontSize(size - 1.5).text(b.hint, cx + 2, doc.y + 1, { width: col - 4, align: "center" });
    const nameY = doc.y + room;
    if (b.name) doc.font(FONT_BOLD).fontSize(size).text(b.name, cx + 2, nameY, { width: col - 4, align: "center" });
    bottom = Math.max(bottom, nameY + size + 4);
  });
  return bottom;
}

/** "ngày 05 tháng 3 năm 2024" → "Ngày 05 tháng 3 năm 2024". */
export function capitalized(s: string): string {
  return s.charAt(0).toLocaleUpperCase("vi") + s.slice(1);
}

/** A label in regular and its value (bold when asked) on one wrapped line at (x, y); returns the y below it. */
export function labelled(doc: PDFKit.PDFDocument, x: number, y: number, width: number, label: string, value: string, o: { bold?: boolean; size?: number } = {}): number {
  doc.font(FONT_REGULAR).fontSize(o.size ?? 10).text(`${label} `, x, y, { width, continued: true });
  doc.font(o.bold ? FONT_BOLD : FONT_REGULAR).text(value, { width });
  return doc.y;
}

/** A line of dots to fill by hand after a label. */
export function dotted(doc: PDFKit.PDFDocument, x: number, y: number, width: number, label: string, size = 10): number {
  doc.font(FONT_REGULAR).fontSize(size);
  const labelWidth = doc.widthOfString(`${label} `);
  const dot = doc.widthOfString(".");
  const dots = ".".repeat(Math.max(3, Math.floor((width - labelWidth - 2) / dot)));
  doc.text(`${label} ${dots}`, x, y, { width, lineBreak: false });
  return y + size * 1.45;
}
