import { csvText } from "../src/statements/csv.js";

// The public sao kê as CSV: the bank's lines as published (memo and reference masked, account
// numbers to their last 3 digits), in bank order, one per row. UTF-8 with a BOM, CRLF, RFC 4180
// quoting, formulas defused, ISO dates, integer đồng, and columns that do not change. The bytes
// depend only on the lines published (not on what has been verified since), so a day's file keeps
// its digest until a later import adds lines to that day.

export const saokeColumns = [
  "date", "time", "bank_account", "reference", "memo", "credit_dong", "debit_dong", "balance_dong", "import_id", "line_no",
] as const;

export interface SaokeCsvLine {
  date: string;
  time: string | null;
  bankAccount: string;
  reference: string;
  memo: string;
  direction: "C" | "D";
  amountDong: string;
  balanceDong: string | null;
  importId: string;
  lineNo: number;
}

export const SAOKE_CSV_HEADER = `\uFEFF${saokeColumns.join(",")}\r\n`;

export function saokeCsvRow(l: SaokeCsvLine): string {
  return `${l.date},${csvText(l.time)},${csvText(l.bankAccount)},${csvText(l.reference)},${csvText(l.memo)},`
    + `${l.direction === "C" ? l.amountDong : ""},${l.direction === "D" ? l.amountDong : ""},${l.balanceDong ?? ""},${l.importId},${l.lineNo}\r\n`;
}
