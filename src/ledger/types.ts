import type { WordVariants } from "./wording.js";
// The ledger's vocabulary. Amounts are bigint đồng; dates are ISO strings
// (YYYY-MM-DD); ids of entries are UUIDs made by the app.
export const campaignKinds = ["for_the_poor", "tet_gifts", "solidarity_house", "livelihood", "relief", "other"] as const;
export type CampaignKind = (typeof campaignKinds)[number];

export const roles = ["treasurer", "approver", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

export const methods = ["cash", "bank", "in_kind"] as const;
export type Method = (typeof methods)[number];

export const donorKinds = ["individual", "business", "organisation", "anonymous"] as const;
export type DonorKind = (typeof donorKinds)[number];

export const beneficiaryCategories = ["poor", "near_poor", "hardship", "policy_family", "other"] as const;
export type BeneficiaryCategory = (typeof beneficiaryCategories)[number];

export const purposes = [
  "gift_package", "house_new", "house_repair", "livelihood", "schooling", "health", "relief_cash", "infrastructure", "regular_support", "other",
] as const;
export type Purpose = (typeof purposes)[number];

export type EntryKind = "donation" | "disbursement" | "general" | "reversal";

export interface Principal {
  tokenId: number;
  committeeId: number;
  committeeCode: string;
  role: Role;
  name: string;
  /** The person the token acts for: maker-checker compares people, never tokens. */
  personId: number;
  /** That person's role (an admin's integration token carries treasurer or auditor, yet acts as the admin). */
  personRole: Role;
}

/** An area (khu phố, thôn, ấp) of a committee's own list. */
export interface Area {
  name: string;
  createdAt: string;
}

export interface Committee {
  id: number;
  code: string;
  name: string;
  /** How it writes amounts in words, where the committee's row was read whole (findCommittee). */
  words?: WordVariants;
}

export interface Account {
  id: number;
  code: string;
  name: string;
  type: "asset" | "liability" | "net_assets" | "income" | "expense";
  role: "cash" | "bank" | "goods" | "fund" | "income" | "expense" | "receivable" | "payable" | "fee";
  campaignId: number | null;
}

/** What a campaign is created with. */
export interface CampaignFields {
  code: string;
  name: string;
  kind: CampaignKind;
  fundCode: string | null;
  targetDong: bigint | null;
  startsOn: string;
  endsOn: string | null;
  launchDocument: string | null;
  /** Why this campaign may receive beyond 90 days or its end date (null: it may not). */
  receivingException: string | null;
  /** The last day the exception lets it receive (null: its end date, or no closing date without one). */
  receivingExceptionUntil: string | null;
  distributionDays: number;
}

export interface Campaign extends CampaignFields {
  id: number;
  committeeId: number;
  /** The campaign's own accounts by role: cash, bank, goods, fund, income, expense. */
  accounts: Record<"cash" | "bank" | "goods" | "fund" | "income" | "expense", Account>;
}

export interface PostingDraft {
  account: Account;
  amountDong: bigint;
  /** As stored; a draft's postings are numbered 1..n in order. */
  line?: number;
}

export interface ItemDraft {
  line?: number;
  description: string;
  quantity: string; // decimal text with 3 places, as numeric(18,3) prints it
  unit: string;
  unitValueDong: bigint;
  valueDong: bigint;
  valuationBasis: string;
}

export interface DonationDetail {
  method: Method;
  donorName: string;
  donorKind: DonorKind;
  publishName: boolean;
  bankAccount: string | null;
  bankReference: string | null;
  note: string | null;
}

export interface DisbursementDetail {
  method: Method;
  beneficiaryName: string;
  category: BeneficiaryCategory;
  area: string;
  purpose: Purpose;
  quantity: string | null;
  unit: string | null;
  note: string | null;
}

/** An entry as planned, before the chain gives it a sequence and hash. */
export interface EntryDraft {
  id: string;
  kind: EntryKind;
  entryDate: string;
  description: string;
  campaign: { id: number; code: string } | null;
  reversalOf: string | null;
  /** The decision (nghị quyết, biên bản) that allows moving money between campaigns. */
  resolutionRef: string | null;
  /** 2 for an entry between campaigns, else 1 (checked again in SQL). */
  requiredApprovals: 1 | 2;
  postings: PostingDraft[];
  voucherSeries: "PT" | "PC" | null;
  donation: DonationDetail | null;
  items: ItemDraft[];
  disbursement: DisbursementDetail | null;
  donorIdentity: PartyIdentity | null;
  beneficiaryIdentity: PartyIdentity | null;
}

export interface PartyIdentity {
  key: string;
  name: string;
  kind: string; // donor kind or beneficiary category
  phone?: string | null;
  area?: string;
}

/** An entry as the chain recorded it. */
export interface CommittedEntry extends EntryDraft {
  committeeId: number;
  committeeCode: string;
  seq: number;
  recordedAt: string; // ISO 8601 UTC with milliseconds
  recordedBy: number;
  idempotencyKey: string | null;
  voucherNo: string | null;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);
