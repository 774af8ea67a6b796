import type { StatementHeader, StatementLine, StatementTotals } from "./types.js";

// The statement as CSV for people and machines: UTF-8 with a BOM (Excel in
// Vietnamese opens it cleanly), CRLF, RFC 4180 quoting, one header row with
// stable English names, ISO dates, integer đồng. These bytes are also the
// canonical statement: its digest is SHA-256 over them.

export const csvColumns = [
  "row_type", "sequence", "entry_id", "document_date", "recorded_date", "voucher_no", "kind", "description",
  "counterparty", "in_dong", "out_dong", "balance_dong", "quantity", "unit", "verified", "entry_hash",
] as const;

const BOM = "\uFEFF";

/** Text a spreadsheet would run as a formula is defused with a leading apostrophe (OWASP). */
export function neutralise(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** A text cell: "" for null, formulas defused, quoted when needed. */
export function csvText(value: string | null): string {
  return value === null ? "" : quote(neutralise(value));
}

function row(cells: string[]): string {
  return `${cells.join(",")}\r\n`;
}

/** "607.000" → "607", "10.500" → "10.5" */
export function plainQuantity(q: string | null): string {
  if (q === null) return "";
  return q.includes(".") ? q.replace(/\.?0+$/, "") : q;
}

export function csvHeader(): string {
  return BOM + row([...csvColumns]);
}

/**
 * The opening row. From format v2 its entry_id cell names the format ("soquy-statement/2"): the header
 * keeps its 16 names and every row its 16 cells, so readers by name or by position keep working, and a
 * v1 statement (that cell empty) keeps its signed bytes.
 */
export function csvOpening(h: StatementHeader): string {
  return row([
    "opening", "", h.format === "soquy-statement/1" ? "" : h.format, h.from, "", "", "",
    csvText(`Số dư đầu kỳ — ${h.campaign.code} ${h.campaign.name}${h.verifiedOnly ? " (chỉ các bút toán đã kiểm duyệt)" : ""}`), csvText(h.committee.name),
    "", "", h.openingDong.toString(), "", "", "", "",
  ]);
}

export function csvLine(l: StatementLine): string {
  return row([
    "entry", String(l.seq), l.entryId, l.documentDate, l.recordedDate, csvText(l.voucherNo), l.kind, csvText(l.description),
    csvText(l.counterparty), l.inDong.toString(), l.outDong.toString(), l.balanceDong.toString(), plainQuantity(l.quantity),
    csvText(l.unit), l.verified === null ? "" : String(l.verified), l.hash,
  ]);
}

export function csvClosing(h: StatementHeader, t: StatementTotals): string {
  return row([
    "closing", String(h.position.seq), "", h.to, "", "", "", csvText(`Số dư cuối kỳ (${t.lines} dòng; bản ${h.audience === "public" ? "công khai" : "kiểm toán"})`),
    "", t.inDong.toString(), t.outDong.toString(), t.closingDong.toString(), "", "", "", h.position.hash,
  ]);
}
