import { assetRoleByMethod } from "./chart.js";
import { canonicalEntry, chainHash } from "./canonical.js";
import { bankDonorIdentity, bankDonorKind, IMPORT_KEY_PREFIX, UNKNOWN_DONOR } from "./donors.js";
import { newEntryId } from "./ids.js";
import type { Account, Campaign, CommittedEntry, DonationDetail, EntryDraft, ItemDraft, PartyIdentity } from "./types.js";

// The one way an entry is made: a draft (what it records), then its seal (its
// place in the committee's chain: sequence, recorded-at, recorder, key, hash).
// The API's group committer and the bank statement import both make their
// entries here; only how many are written at once differs between them.

/** What recording gives a draft besides its place in the chain. */
export interface Seal {
  committeeId: number;
  committeeCode: string;
  recordedBy: number;
  recordedAt: string;
  idempotencyKey: string | null;
  voucherNo: string | null;
}

/** A draft as the chain records it after `head`: sequence, prev_hash and hash. */
export function sealEntry(d: EntryDraft, s: Seal, head: { seq: number; hash: string }): CommittedEntry {
  // One object literal, no spreads: spreading a 17-field object into another cost ~10 µs an entry in a bank import.
  const e: CommittedEntry = {
    id: d.id, kind: d.kind, entryDate: d.entryDate, description: d.description, campaign: d.campaign, reversalOf: d.reversalOf,
    resolutionRef: d.resolutionRef, requiredApprovals: d.requiredApprovals, postings: d.postings, voucherSeries: d.voucherSeries,
    donation: d.donation, items: d.items, disbursement: d.disbursement, donorIdentity: d.donorIdentity, beneficiaryIdentity: d.beneficiaryIdentity,
    committeeId: s.committeeId, committeeCode: s.committeeCode, seq: head.seq + 1, recordedAt: s.recordedAt, recordedBy: s.recordedBy,
    idempotencyKey: s.idempotencyKey, voucherNo: s.voucherNo, prevHash: head.hash, hash: "",
  };
  e.hash = chainHash(head.hash, canonicalEntry(e));
  return e;
}

export interface DonationFields {
  entryDate: string;
  amountDong: bigint;
  description: string;
  donation: DonationDetail;
  items: ItemDraft[];
  donor: PartyIdentity;
}

/** A donation: the campaign's asset for its method debited, its income credited; a cash donation gets a receipt (PT). */
export function donationDraft(c: Campaign, f: DonationFields): EntryDraft {
  const method = f.donation.method;
  return {
    id: newEntryId(), kind: "donation", entryDate: f.entryDate, description: f.description, campaign: { id: c.id, code: c.code },
    reversalOf: null, resolutionRef: null, requiredApprovals: 1,
    postings: [{ account: c.accounts[assetRoleByMethod[method]], amountDong: f.amountDong }, { account: c.accounts.income, amountDong: -f.amountDong }],
    voucherSeries: method === "cash" ? "PT" : null, donation: f.donation, items: f.items, disbursement: null,
    donorIdentity: f.donor, beneficiaryIdentity: null,
  };
}

/** A line of a bank statement that the ledger records: a transfer in, or the bank's own fee. */
export interface BankLine {
  /** The line's identity in its account (hex): the entry's idempotency key is made from it. */
  key: string;
  date: string;
  docRef: string | null;
  amountDong: bigint;
  memo: string;
  /** The sender's name as the memo printed it; null when it names no one. */
  donorName: string | null;
  kind: "donation" | "fee";
}

const dmy = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
// A string of at most n UTF-16 units has at most n code points: only longer ones are counted.
const clip = (s: string, n: number) => (s.length <= n || [...s].length <= n ? s : [...s].slice(0, n - 1).join("") + "…");

/** The idempotency key of the entry that records a bank line. */
export const bankLineKey = (line: Pick<BankLine, "key">) => `${IMPORT_KEY_PREFIX}${line.key}`;

/**
 * A bank line's entry: a transfer in is a bank donation of the sender as the memo names them (never published
 * by name: the sender did not say they agree), a debit the bank charged is a fee from the campaign's bank account.
 */
export function bankLineDraft(line: BankLine, c: Campaign, accountNo: string, fee: Account): EntryDraft {
  const doc = line.docRef ? ` số ${line.docRef}` : "";
  if (line.kind === "fee") {
    return {
      id: newEntryId(), kind: "general", entryDate: line.date, campaign: { id: c.id, code: c.code },
      description: clip(`Phí ngân hàng${doc} ngày ${dmy(line.date)}, tài khoản ${accountNo}: ${line.memo.replace(/\s+/g, " ")}`, 2000),
      reversalOf: null, resolutionRef: null, requiredApprovals: 1,
      postings: [{ account: fee, amountDong: line.amountDong }, { account: c.accounts.bank, amountDong: -line.amountDong }],
      voucherSeries: null, donation: null, items: [], disbursement: null, donorIdentity: null, beneficiaryIdentity: null,
    };
  }
  const name = line.donorName ?? UNKNOWN_DONOR;
  const kind = bankDonorKind(name);
  const note = clip(line.memo, 2000) || null;
  return donationDraft(c, {
    entryDate: line.date, amountDong: line.amountDong,
    description: clip(`Nhận chuyển khoản${doc} ngày ${dmy(line.date)} vào tài khoản ${accountNo} của ${name}`, 2000),
    donation: { method: "bank", donorName: name, donorKind: kind, publishName: false, bankAccount: accountNo, bankReference: null, note },
    items: [], donor: bankDonorIdentity(name, kind, note),
  });
}

/**
 * A reversal (đảo bút toán): the original's postings with their signs turned, in its campaign, needing as many
 * approvals as it did. A wrong line is corrected by a new line, never overwritten.
 */
export function reversalDraft(original: CommittedEntry, description: string, entryDate: string): EntryDraft {
  return {
    id: newEntryId(), kind: "reversal", entryDate, description, campaign: original.campaign, reversalOf: original.id,
    resolutionRef: original.resolutionRef, requiredApprovals: original.requiredApprovals,
    postings: original.postings.map((x) => ({ account: x.account, amountDong: -x.amountDong })),
    voucherSeries: null, donation: null, items: [], disbursement: null, donorIdentity: null, beneficiaryIdentity: null,
  };
}
