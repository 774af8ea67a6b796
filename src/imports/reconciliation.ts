// Reconciliation of a bank account: what the bank's statements say (the
// recorded bank lines) beside what the ledger says (entries recording those
// lines, and bank donations recorded by hand for the account). Every bank
// line is either recorded by the import, matched to a hand-recorded transfer,
// or only in the bank (debits to classify); hand-recorded transfers with no
// line are only in the ledger. Balances side by side: the bank's (opening
// anchor + lines) and the ledger's (anchor + what the ledger recorded), whose
// difference is exactly only-in-bank minus only-in-ledger. src/db/reconcile.ts
// reads one, reports/reconcile.ts writes it as CSV.

export interface Reconciliation {
  bankAccount: string;
  from: string | null;
  to: string | null;
  openingAnchor: { date: string; balanceDong: string } | null;
  bankBalanceDong: string | null;
  ledgerBalanceDong: string | null;
  differenceDong: string | null;
  onlyInBankDong: string;
  onlyInLedgerDong: string;
  recordedByImport: number;
  matched: { lineNo: number; importId: number; date: string; amountDong: string; docRef: string; entryId: string; entrySeq: number; ledgerDate: string; donorName: string }[];
  onlyInBank: { lineNo: number; importId: number; date: string; direction: "C" | "D"; amountDong: string; docRef: string; memo: string; kind: string }[];
  onlyInLedger: { entryId: string; entrySeq: number; date: string; amountDong: string; bankReference: string | null; donorName: string }[];
  truncated: boolean;
}
