import { neutralise } from "../src/statements/csv.js";
import type { Reconciliation } from "../src/imports/reconciliation.js";

const cell = (v: string | number | null) => {
  const raw = v === null ? "" : String(v);
  const t = /^-?\d+$/.test(raw) ? raw : neutralise(raw); // a signed amount is a number, not a formula
  return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
};

/** The reconciliation as CSV (UTF-8 with BOM, CRLF): balances first, then one row per transfer. */
export function reconciliationCsv(r: Reconciliation): string {
  const rows: (string | number | null)[][] = [
    ["status", "date", "amount_dong", "bank_import", "bank_line", "doc_ref", "memo", "entry_sequence", "entry_date", "donor_name"],
    ["bank_balance", r.to ?? "", r.bankBalanceDong, null, null, null, `tài khoản ${r.bankAccount}`, null, null, null],
    ["ledger_balance", r.to ?? "", r.ledgerBalanceDong, null, null, null, null, null, null, null],
    ...r.matched.map((m) => ["matched", m.date, m.amountDong, m.importId, m.lineNo, m.docRef, null, m.entrySeq, m.ledgerDate, m.donorName]),
    ...r.onlyInBank.map((b) => ["only_in_bank", b.date, b.direction === "C" ? b.amountDong : `-${b.amountDong}`, b.importId, b.lineNo, b.docRef, b.memo, null, null, null]),
    ...r.onlyInLedger.map((l) => ["only_in_ledger", l.date, l.amountDong, null, null, l.bankReference, null, l.entrySeq, l.date, l.donorName]),
  ];
  return "\uFEFF" + rows.map((row) => row.map(cell).join(",") + "\r\n").join("");
}
