import type {
  Account, Area, Campaign, CampaignFields, CampaignKind, CommittedEntry, Committee, Principal, Role,
} from "./types.js";

// What the ledger needs from storage. src/db/ implements it with knex; the
// ledger core never sees SQL.

export interface StoredResponse {
  requestHash: string;
  response: unknown;
}

export type NewCampaign = CampaignFields;

/** What a campaign's use so far freezes: its entries were checked against its kind and dates; its publications print its name. */
export interface CampaignUse {
  /** Something was published (or a checkpoint signed) since the campaign was set up: public statements print its name and launch date. */
  published: boolean;
  /** An entry is recorded on its accounts: it was checked against its kind (purposes) and launch date. */
  hasEntries: boolean;
}

export interface EntryFilter {
  campaignId?: number;
  verified?: boolean;
  from?: string;
  to?: string;
  afterSeq?: number;
  limit: number;
}

export interface CampaignFigures {
  receivedDong: bigint;
  receivedByMethod: Record<"cash" | "bank" | "in_kind", bigint>;
  disbursedDong: bigint;
  balanceDong: bigint;
  holdingsDong: Record<"cash" | "bank" | "goods", bigint>;
  donations: number;
  donors: number;
  disbursements: number;
  households: number;
  receivedQuantities: { unit: string; quantity: string; valueDong: bigint }[];
  disbursedQuantities: { unit: string; quantity: string; valueDong: bigint }[];
  lastSeq: number;
  pledgedDong: bigint;
  pledges: number;
  late: { deadline: string | null; disbursements: number; amountDong: bigint };
}

export interface AccountBalance {
  account: Account;
  balanceDong: bigint;
}

export interface ChainLink {
  entry: CommittedEntry;
}

/** Inside the committee's write lock: one transaction, one writer per committee. */
export interface LockedLedger {
  head(): Promise<{ seq: number; hash: string }>;
  storedResponses(keys: string[]): Promise<Map<string, StoredResponse>>;
  balance(accountId: number): Promise<bigint>;
  lastVoucherNumber(series: "PT" | "PC", year: number): Promise<{ bookId: number; bookCode: string; number: number }>;
  /** Which of these (bank account, reference) pairs are recorded already, as "account\u0000reference" keys. */
  bankReferencesUsed(refs: { bankAccount: string | null; reference: string }[]): Promise<Set<string>>;
  isReversed(entryId: string): Promise<boolean>;
  closedThrough(): Promise<string | null>;
  /** Everything a batch reads before planning, in one go. */
  batchContext(q: BatchQuery): Promise<BatchContextData>;
  /** The batch's entries with their details, donor and household rows and idempotency records. */
  insertEntries(rows: EntryRow[], responses: IdempotentResponse[]): Promise<void>;
}

export interface BatchQuery {
  /** Idempotency keys of the batch. */
  keys: string[];
  /** Bank transfers the batch's requests declared. */
  refs: { bankAccount: string | null; reference: string }[];
  /** Voucher series and years the batch's requests expect to number in (default books). */
  vouchers: { series: "PT" | "PC"; year: number }[];
}

export interface BatchContextData {
  head: { seq: number; hash: string };
  closedThrough: string | null;
  stored: Map<string, StoredResponse>;
  /** Those of the declared references already recorded, as "account\u0000reference" keys. */
  refsUsed: Set<string>;
  /** The last voucher number per "PT-2025" of the requested series and years (0 when none yet). */
  lastVouchers: Map<string, { bookId: number; bookCode: string; number: number }>;
}

/**
 * What an entry's rows point at besides what its hash covers, as stored: which committee each row and the rows it
 * names belong to, the campaign its donation or disbursement counts under, the donor or household row each names,
 * the voucher book and number its voucher number should spell. Verify checks these (src/ledger/verify.ts).
 * A committee, campaign or book is null where the row it names is missing.
 */
export interface EntryLinks {
  /** The committee of the campaign the entry names (null: no campaign, or none with that id). */
  campaignCommitteeId: number | null;
  /** Every posting of the entry in line order, also those whose account is missing (absent from the entry's postings). */
  postings: { committeeId: number; accountCommitteeId: number | null }[];
  donation: { committeeId: number; campaignId: number; donorCommitteeId: number | null; donorKind: string | null } | null;
  disbursement: {
    committeeId: number; campaignId: number;
    /** The household row it names: null when missing. */
    beneficiary: { committeeId: number; name: string; category: string; area: string } | null;
  } | null;
  /** The committee of each goods row. */
  itemCommitteeIds: number[];
  voucher: { committeeId: number; year: number; number: number; voucherNo: string; book: { committeeId: number; series: string; code: string } | null } | null;
}

export interface EntryRow {
  entry: CommittedEntry;
  voucher: { bookId: number; year: number; number: number } | null;
}

export interface IdempotentResponse {
  key: string;
  requestHash: string;
  entryId: string | null;
  response: unknown;
}

/** A bank import about to be reversed as a whole, as the committee's lock sees it. */
export interface ImportToReverse {
  id: number;
  campaignCode: string;
  bankAccount: string;
  /** The reversal already made of it, or null. */
  reversalId: number | null;
  /** Its lines a reversal releases (all but those matched to hand-recorded transfers), and those matched. */
  releasable: number;
  matched: number;
}

/** Inside the committee's lock: a bank import's entries reversed and its lines released, in one transaction. */
export interface ImportReversalTx extends LockedLedger {
  readonly target: ImportToReverse;
  /**
   * The entries the import recorded itself and nobody reversed yet, as ids in the order their reversals go in:
   * those whose reversal gives an asset back (a bank fee's) first, so that no running balance dips below zero.
   */
  entriesToReverse(): Promise<string[]>;
  /** What those reversals do to each account, summed: the import's entries' postings with their signs turned. */
  reversalsNet(): Promise<{ account: Account; amountDong: bigint }[]>;
  /** These entries, in the order given. */
  entries(ids: string[]): Promise<CommittedEntry[]>;
  /** The reversal's own row, and the import's lines released by it (once their entries are reversed). */
  release(r: { reason: string; reversedBy: number; entries: number }): Promise<{ id: number; released: number }>;
}

export interface VerificationTx {
  approvals(ids: string[]): Promise<Map<string, Approvals>>;
  add(verifier: number, ids: string[]): Promise<void>;
}

export interface Approvals {
  id: string;
  seq: number;
  recordedBy: number;
  /** The person the recording token acted for, and the people who verified so far. */
  recorderPerson: number;
  requiredApprovals: number;
  verifiers: number[];
  verifierPersons: number[];
  /** For a reversal: the entry it reverses, and whether that one is verified. */
  reversalOf: string | null;
  originalVerified: boolean;
}

export interface PeriodClose {
  id: number;
  throughDate: string;
  closedBy: number;
  closedAt: string;
  headSeq: number;
  headHash: string;
  balances: Record<string, string>;
  note: string | null;
}

export interface NewPledge {
  pledgedOn: string;
  pledgerName: string;
  pledgerKind: string;
  publishName: boolean;
  amountDong: bigint;
  note: string | null;
}

export interface Pledge extends NewPledge {
  id: number;
  campaign: string;
  recordedBy: number;
  recordedAt: string;
}

export interface LedgerStore {
  createCommittee(code: string, name: string): Promise<Committee>;
  findCommittee(code: string): Promise<Committee | null>;
  listCommittees(): Promise<Committee[]>;
  /** The committee's areas, in the order they were added. */
  listAreas(committeeId: number): Promise<Area[]>;
  /** Adds an area (already normalised); an area already listed is given back as it is. */
  addArea(committeeId: number, name: string, by: number | null): Promise<{ area: Area; created: boolean }>;
  /** A token for person personId, or for a new person of that name and role when personId is null. */
  createToken(committeeId: number, role: Role, name: string, tokenHash: string, personId: number | null, createdByUser?: number): Promise<number>;
  findPrincipal(tokenHash: string): Promise<Principal | null>;

  createCampaign(committeeId: number, input: NewCampaign, idem: { key: string; requestHash: string },
    respond: (c: Campaign) => unknown): Promise<{ response: unknown; replayed: boolean }>;
  /**
   * Changes a campaign's fields under the committee's write lock (no entry is recorded meanwhile): `change` is given the
   * campaign as it is and its use, and returns the fields to keep (or refuses).
   */
  updateCampaign(committeeId: number, code: string, change: (current: Campaign, use: CampaignUse) => CampaignFields,
    idem: { key: string; requestHash: string }, respond: (c: Campaign) => unknown): Promise<{ response: unknown; replayed: boolean }>;
  /** What the campaign's use so far has frozen (see CampaignUse). */
  campaignUse(campaignId: number): Promise<CampaignUse>;
  findCampaign(committeeId: number, code: string): Promise<Campaign | null>;
  findCampaignById(committeeId: number, id: number): Promise<Campaign | null>;
  listCampaigns(committeeId: number): Promise<Campaign[]>;
  campaignFigures(campaign: Campaign, verifiedOnly?: boolean): Promise<CampaignFigures>;

  accountsByCode(committeeId: number, codes: string[]): Promise<Map<string, Account>>;
  listAccounts(committeeId: number): Promise<AccountBalance[]>;
  balancesAsOf(committeeId: number, asOf: string | null, accountId?: number, verifiedOnly?: boolean): Promise<AccountBalance[]>;

  findEntry(committeeId: number, id: string): Promise<CommittedEntry | null>;
  listEntries(committeeId: number, filter: EntryFilter): Promise<CommittedEntry[]>;
  reversalOf(committeeId: number, id: string): Promise<string | null>;
  /** Where the kept public figures differ from a recomputation from the published entries, or null. */
  publicFiguresMismatch(committeeId: number): Promise<string | null>;
  /**
   * Every entry of a committee in sequence order, each with the stored links its hash does not cover, read once
   * (each table's rows in sequence order, a page at a time, so memory stays bounded whatever the ledger's size).
   */
  walkChain(committeeId: number, visit: (e: CommittedEntry, links: EntryLinks) => void): Promise<void>;

  withCommitteeLock<T>(committeeId: number, work: (tx: LockedLedger) => Promise<T>): Promise<T>;
  /**
   * The same lock and transaction for the group committer, except that the rows given to
   * insertEntries are written together with the COMMIT, in one round trip, once work
   * returns: insertEntries is the last thing work does, and its errors come from here.
   */
  withCommitteeBatch<T>(committeeId: number, work: (tx: LockedLedger) => Promise<T>): Promise<T>;
  /** Runs a non-ledger write once per Idempotency-Key, inside the committee's lock. */
  idempotent<T>(committeeId: number, idem: { key: string; requestHash: string }, work: (trx: unknown) => Promise<T>,
    respond: (value: T) => unknown): Promise<{ response: unknown; replayed: boolean }>;

  /**
   * One transaction in which an approver's call reads the approvals its outcomes rest on and then adds to them,
   * one call of a committee at a time: two calls at once (a retry, two approvers) each see the other's approvals,
   * so neither adds one twice and neither reports a count or a refusal the other made stale.
   */
  withVerifications<T>(committeeId: number, work: (v: VerificationTx) => Promise<T>): Promise<T>;
  /** The committee's lock, a bank import's facts, and what reversing it as a whole needs (refused: bank_import_not_found). */
  withImportReversal<T>(committeeId: number, importId: number, work: (x: ImportReversalTx) => Promise<T>): Promise<T>;
  verificationsOf(committeeId: number, id: string): Promise<{ by: number; name: string; at: string }[]>;
  unverifiedThrough(committeeId: number, through: string, limit: number): Promise<number[]>;

  /** Closes the books through a date, inside the committee's lock (khóa sổ). */
  closePeriod(committeeId: number, closedBy: number, through: string, note: string | null, idem: { key: string; requestHash: string },
    respond: (c: PeriodClose) => unknown): Promise<{ response: unknown; replayed: boolean }>;
  listCloses(committeeId: number): Promise<PeriodClose[]>;
  findClose(committeeId: number, id: number): Promise<PeriodClose | null>;
  entryHashAt(committeeId: number, seq: number): Promise<string | null>;

  insertPledge(trx: unknown, committeeId: number, campaignId: number, recordedBy: number, p: NewPledge): Promise<Pledge>;
  listPledges(campaign: Campaign): Promise<Pledge[]>;
}
