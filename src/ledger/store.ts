import type {
  Account, Campaign, CampaignKind, CommittedEntry, Committee, PartyIdentity, Principal, Role,
} from "./types.js";

// What the ledger needs from storage. src/db/ implements it with knex; the
// ledger core never sees SQL.

export interface StoredResponse {
  requestHash: string;
  response: unknown;
}

export interface NewCampaign {
  code: string;
  name: string;
  kind: CampaignKind;
  fundCode: string | null;
  targetDong: bigint | null;
  startsOn: string;
  endsOn: string | null;
  launchDocument: string | null;
}

export interface EntryFilter {
  campaignId?: number;
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
  bankReferenceUsed(bankAccount: string | null, reference: string): Promise<boolean>;
  isReversed(entryId: string): Promise<boolean>;
  upsertParties(kind: "donor" | "beneficiary", parties: PartyIdentity[]): Promise<Map<string, number>>;
  insertEntries(rows: EntryRow[], responses: IdempotentResponse[]): Promise<void>;
}

export interface EntryRow {
  entry: CommittedEntry;
  voucher: { bookId: number; year: number; number: number } | null;
  donorId: number | null;
  beneficiaryId: number | null;
}

export interface IdempotentResponse {
  key: string;
  requestHash: string;
  entryId: string | null;
  response: unknown;
}

export interface LedgerStore {
  createCommittee(code: string, name: string): Promise<Committee>;
  findCommittee(code: string): Promise<Committee | null>;
  listCommittees(): Promise<Committee[]>;
  createToken(committeeId: number, role: Role, name: string, tokenHash: string): Promise<number>;
  findPrincipal(tokenHash: string): Promise<Principal | null>;

  createCampaign(committeeId: number, input: NewCampaign, idempotency: IdempotentResponse | null,
    respond: (c: Campaign) => unknown): Promise<{ campaign: Campaign; response: unknown; replayed: boolean }>;
  findCampaign(committeeId: number, code: string): Promise<Campaign | null>;
  findCampaignById(committeeId: number, id: number): Promise<Campaign | null>;
  listCampaigns(committeeId: number): Promise<Campaign[]>;
  campaignFigures(campaign: Campaign): Promise<CampaignFigures>;

  accountsByCode(committeeId: number, codes: string[]): Promise<Map<string, Account>>;
  listAccounts(committeeId: number): Promise<AccountBalance[]>;
  balancesAsOf(committeeId: number, asOf: string | null, accountId?: number): Promise<AccountBalance[]>;

  findEntry(committeeId: number, id: string): Promise<CommittedEntry | null>;
  listEntries(committeeId: number, filter: EntryFilter): Promise<CommittedEntry[]>;
  reversalOf(committeeId: number, id: string): Promise<string | null>;
  /** Streams every entry of a committee in sequence order, in pages. */
  walkChain(committeeId: number, visit: (e: CommittedEntry) => void): Promise<void>;

  withCommitteeLock<T>(committeeId: number, work: (tx: LockedLedger) => Promise<T>): Promise<T>;
}
