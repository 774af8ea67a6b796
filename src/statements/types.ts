// A campaign statement as data: what the CSV and the PDF are both rendered
// from, so they always carry the same rows and totals. Amounts are bigint
// đồng; dates ISO YYYY-MM-DD. Built by src/statements/builder.ts; rendered
// by reports/ (which import only these types).

import type { Audience, StatementFormat } from "../ledger/mask.js";

export type { Audience, StatementFormat };


/**
 * The statement's format: "soquy-statement/1" for statements cut at a publication
 * made before the current masking rules (their bytes are signed and kept),
 * "soquy-statement/2" after, written in the opening row's entry_id cell.
 */

export interface StatementHeader {
  committee: { code: string; name: string };
  campaign: { code: string; name: string; kind: string; startsOn: string; endsOn: string | null; targetDong: bigint | null };
  from: string;
  to: string;
  audience: Audience;
  format: StatementFormat;
  /** Only entries an approver has verified (what the press and the public are given). */
  verifiedOnly: boolean;
  openingDong: bigint;
  /** The ledger position the statement was cut from: every row has seq ≤ this. */
  position: { seq: number; hash: string };
}

export interface StatementLine {
  seq: number;
  entryId: string;
  documentDate: string; // the entry date (ngày chứng từ)
  recordedDate: string; // the day it was recorded (ngày ghi sổ), in Vietnam's time zone
  voucherNo: string | null; // PT-… / PC-…
  kind: "donation" | "disbursement" | "general" | "reversal";
  description: string; // already masked for the public audience
  counterparty: string; // donor or beneficiary (masked for the public audience), "" if none
  inDong: bigint; // thu: increases of the campaign's cash, bank and goods
  outDong: bigint; // chi: decreases
  balanceDong: bigint; // tồn after this line
  quantity: string | null; // "607" / "10,5"? no: plain decimal text as stored, e.g. "1.000"
  unit: string | null; // "suất", "kg", "căn"
  verified: boolean | null; // null until verification exists
  hash: string;
  /** Set when the entry moves money between this campaign and another (never a donation or a payment). */
  transfer?: StatementTransfer | null;
}

/**
 * An entry between campaigns: it posts to this campaign's cash, bank or goods and to another campaign's
 * accounts, under the resolution that allowed it (every such entry carries one: SQ009).
 */
export interface StatementTransfer {
  /** The other campaign(s), by code. */
  campaigns: { code: string; name: string }[];
  resolutionRef: string;
}

export type { AssetSplit } from "../db/statements.js";
import type { AssetSplit } from "../db/statements.js";

/** One of the committee's people, for the auditor's statement: who could record or check, and when. */
export interface StatementPerson {
  id: number;
  name: string;
  role: "treasurer" | "approver" | "auditor" | "admin";
  createdAt: string; // ISO timestamp
  disabledAt: string | null;
}

export interface StatementSummary {
  receivedByMethod: { cash: bigint; bank: bigint; in_kind: bigint };
  disbursedByPurpose: { key: string; amountDong: bigint; count: number }[];
  disbursedByCategory: { key: string; amountDong: bigint; count: number }[];
  disbursedByArea: { key: string; amountDong: bigint; count: number }[];
  quantitiesByUnit: { unit: string; direction: "in" | "out"; quantity: string; valueDong: bigint }[];
  byMonth: { month: string; inDong: bigint; outDong: bigint }[]; // "2024-01"
  /** Money moved from and to other campaigns in the period, by other campaign and resolution. */
  transfers: TransferSummary;
}

export interface TransferSummary {
  inDong: bigint;
  outDong: bigint;
  /** One row per other campaign(s) and resolution, in the order first met. */
  rows: { campaigns: { code: string; name: string }[]; resolutionRef: string; inDong: bigint; outDong: bigint; lines: number }[];
}

export interface StatementTotals {
  lines: number;
  inDong: bigint;
  outDong: bigint;
  closingDong: bigint; // = opening + in − out, asserted
  /** The closing balance by asset, from the ledger's accounts (the same entries as the lines); sums to closingDong, asserted. */
  closingByAsset: AssetSplit;
}
